""".etok in, frames out: the model is checked against the file's, then blocks are decoded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from fractions import Fraction

import numpy as np

from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import patches_to_frames
from elastictok_cli.model.registry import LoadedModel
from elastictok_cli.codec.tiling import TileGrid
from elastictok_cli.container import ContainerReader
from elastictok_cli.errors import IncompatibleError
from elastictok_cli.media import open_writer


def video_facts(header: dict) -> tuple[int, int, Fraction, int]:
    """(width, height, fps, frames) of the original video."""
    v = header["video"]
    return v["width"], v["height"], Fraction(v["fps_num"], v["fps_den"]), v["frames"]


def check_model(header: dict, loaded: LoadedModel) -> None:
    """Refuse a model other than the one the file was encoded with."""
    wanted = header["model"]
    if wanted["sha256"] != loaded.sha256:
        raise IncompatibleError(
            f"file was encoded with model {wanted['name']!r} (sha256 {wanted['sha256'][:12]}), "
            f"not {loaded.name!r} (sha256 {loaded.sha256[:12]}); pass --model with that model"
        )
    c = loaded.config
    facts = {
        "patch": list(c.patch),
        "frames_per_block": c.frames_per_block,
        "tile_size": [c.tile_height, c.tile_width],
        "fsq_levels": list(c.fsq_levels),
        "max_tokens": c.max_tokens,
        "context_blocks": c.context_blocks,
    }
    for key, value in facts.items():
        recorded = wanted["config"].get(key, value)
        if recorded != value:
            raise IncompatibleError(
                f"model {loaded.name!r} has {key} {value}, the file needs {recorded}"
            )


def decoded_frames(reader: ContainerReader, loaded: LoadedModel) -> Iterator[np.ndarray]:
    """Every original frame of the file, in order, as uint8 RGB (H, W, 3)."""
    header = reader.header
    check_model(header, loaded)
    config = loaded.config
    width, height, _, frames = video_facts(header)
    grid = TileGrid(height=height, width=width, tile_h=config.tile_height, tile_w=config.tile_width)
    engine = TileEngine(loaded.model, grid.tile_count)
    left = frames
    for record in reader:
        patches = engine.decode_block(record.tokens, np.asarray(record.token_counts))
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
    width, height, fps, frames = video_facts(reader.header)
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
