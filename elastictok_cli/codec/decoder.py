""".etok in, frames out: the model is checked against the file's, then blocks are decoded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np

from elastictok_cli.codec import skip
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import grid_for, patches_to_frames
from elastictok_cli.codec.readahead import read_ahead
from elastictok_cli.container import ContainerReader, Header
from elastictok_cli.errors import IncompatibleError
from elastictok_cli.media import open_writer
from elastictok_cli.model.registry import LoadedModel


def check_model(header: Header, loaded: LoadedModel) -> None:
    """Refuse a model other than the one the file was encoded with."""
    wanted = header.model
    if wanted.sha256 != loaded.sha256:
        raise IncompatibleError(
            f"file was encoded with model {wanted.name!r} (sha256 {wanted.sha256[:12]}), "
            f"not {loaded.name!r} (sha256 {loaded.sha256[:12]}); pass --model with that model"
        )
    mismatch = wanted.decoding_mismatch(loaded.facts)
    if mismatch:
        raise IncompatibleError(f"model {loaded.name!r} has {mismatch}")


def decoded_frames(reader: ContainerReader, loaded: LoadedModel) -> Iterator[np.ndarray]:
    """Every original frame of the file, in order, as uint8 RGB (H, W, 3)."""
    video = reader.header.video
    check_model(reader.header, loaded)
    config = loaded.config
    grid = grid_for(config, video.width, video.height)
    engine = TileEngine(loaded.model, grid.tile_count)
    left = video.frames
    recon = None
    for record in read_ahead(reader):
        skipped = np.asarray(record.skipped, bool)
        if skipped.all():
            patches = None  # nothing to run the model for
        else:
            counts = np.asarray(record.token_counts)
            patches = engine.decode_block(record.tokens, counts, ~skipped)
        if skipped.any():
            held = skip.held_block(recon, config, grid.tile_count)
            patches = skip.with_held(patches, held, skipped)
        recon = patches
        real = min(left, config.frames_per_block)
        yield from patches_to_frames(patches, grid, config, real)
        left -= real


def decode(
    reader: ContainerReader,
    out_path: str,
    loaded: LoadedModel,
    *,
    force: bool = False,
    codec: str | None = None,
    on_frame: Callable[[int, float], None] | None = None,
) -> dict:
    """Decode a container into a video, image or folder of frames; returns its facts."""
    check_model(reader.header, loaded)
    video = reader.header.video
    width, height, fps, frames = video.width, video.height, video.fps, video.frames
    start = time.perf_counter()
    written = 0
    with open_writer(
        out_path, width, height, fps, codec, force=force, frame_count=frames
    ) as writer:
        for frame in decoded_frames(reader, loaded):
            writer.write(frame)
            written += 1
            if on_frame:
                on_frame(written, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return {
        "output": out_path,
        "width": width,
        "height": height,
        "fps": str(fps),
        "frames": written,
        "seconds": seconds,
        "frames_per_second": written / seconds if seconds else 0.0,
    }
