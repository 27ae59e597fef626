"""Video in, .etok out: block by block, each tile searched for its smallest passing k."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from elastictok_cli import __version__
from elastictok_cli.codec import search
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.codec.search import RESCUE_WITHIN
from elastictok_cli.codec.summary import EncodeStats
from elastictok_cli.codec.tiling import TileGrid
from elastictok_cli.container import BlockRecord, ContainerWriter, EncodeFacts, Header, VideoFacts
from elastictok_cli.errors import UsageError
from elastictok_cli.media import fit_frames, iter_blocks
from elastictok_cli.model.registry import LoadedModel

DEFAULT_MSE = 0.003  # the paper's default threshold on the [-1, 1] scale
MAX_OPTIMIZE = 1000  # optimization gains level off within tens of steps; more is a typo


@dataclass(frozen=True)
class EncodeSettings:
    """How to choose k: an MSE threshold with a search strategy, or a fixed k."""

    threshold: float = DEFAULT_MSE
    metric: str = "mse"  # what the user asked for: "mse", "psnr" or "tokens"
    target: float = DEFAULT_MSE  # the user's number, in the metric's own unit
    tokens: int | None = None
    search: str = search.DEFAULT_STRATEGY
    fit: str | None = None  # None: tile; "resize" or "crop" to the native size
    rescue: bool = True  # guarantee: no tile misses a target that some k meets...
    rescue_within: float = RESCUE_WITHIN  # ...when its best distortion is that close
    optimize: int = 0  # gradient steps on each tile's tokens at its k (codec/optimize)

    def __post_init__(self):
        """Refuse settings that cannot work."""
        if self.search not in search.SEARCHES:
            raise UsageError(f"unknown search {self.search!r}; use {', '.join(search.SEARCHES)}")
        if self.tokens is None and not self.threshold > 0:
            raise UsageError("the quality target must be positive")
        if not 0 <= self.optimize <= MAX_OPTIMIZE:
            raise UsageError(f"--optimize must lie in 0..{MAX_OPTIMIZE}")


def build_header(loaded: LoadedModel, grid: TileGrid, fps: Fraction, frames: int, settings):
    """The container header: model identity, video facts, tile grid and encode settings."""
    fixed = settings.tokens is not None
    video = VideoFacts(
        width=grid.width,
        height=grid.height,
        fps_num=fps.numerator,
        fps_den=fps.denominator,
        frames=frames,
        pix_fmt="rgb24",
        tiles_x=grid.tiles_x,
        tiles_y=grid.tiles_y,
        tile_width=grid.tile_w,
        tile_height=grid.tile_h,
        pad_right=grid.pad_right,
        pad_bottom=grid.pad_bottom,
        blocks=-(-frames // loaded.config.frames_per_block),
    )
    encode = EncodeFacts(
        metric=settings.metric,
        threshold=float(settings.tokens if fixed else settings.threshold),
        target=float(settings.tokens if fixed else settings.target),
        search="fixed" if fixed else settings.search,
        fit=settings.fit or "tile",
        tool_version=__version__,
        optimize_steps=settings.optimize,
    )
    return Header(model=loaded.facts, video=video, encode=encode)


def encode(
    source,
    out_path: str,
    loaded: LoadedModel,
    settings: EncodeSettings,
    *,
    force: bool = False,
    on_block: Callable[[EncodeStats], None] | None = None,
) -> EncodeStats:
    """Encode an opened media source into `out_path`, streaming; returns the totals."""
    config = loaded.config
    if (
        settings.tokens is not None
        and not config.min_tokens <= settings.tokens <= config.max_tokens
    ):
        raise UsageError(f"--tokens must lie in {config.min_tokens}..{config.max_tokens}")
    width, height = source.width, source.height
    frames = source.frames()
    if settings.fit:
        width, height = config.tile_width, config.tile_height
        frames = fit_frames(frames, settings.fit, width, height)
    grid = grid_for(config, width, height)
    # A pipe may not state its frame count: start from a guess, correct it at the end.
    guess = source.frame_count or config.frames_per_block
    header = build_header(loaded, grid, source.fps, guess, settings)
    engine = TileEngine(loaded.model, grid.tile_count)
    stats = EncodeStats(width, height, grid.tile_count, config.max_tokens)
    space = search.SearchSpace(
        config.min_tokens,
        config.max_tokens,
        settings.threshold,
        settings.rescue,
        settings.rescue_within,
    )
    weights: dict[int, np.ndarray] = {}
    hint = None
    start = time.perf_counter()
    with ContainerWriter(out_path, header, force=force) as writer:
        for index, (block, real) in enumerate(iter_blocks(frames, config.frames_per_block)):
            if real not in weights:
                weights[real] = real_weights(grid, config, real)
            patches = block_patches(block, grid, config)
            code = _code_block(engine, patches, weights[real], space, settings, hint)
            hint = code.keep
            writer.write_block(
                BlockRecord(index, tuple(code.keep.tolist()), tuple(code.ids), code.distortion)
            )
            missed = 0 if settings.tokens else int((code.distortion > space.threshold).sum())
            pixel_counts = weights[real].sum(axis=(1, 2))
            stats.add_block(
                real, int(code.keep.sum()), code.passes, code.distortion, pixel_counts, missed
            )
            stats.seconds = time.perf_counter() - start
            if on_block:
                on_block(stats)
        blocks = stats.blocks
        if blocks == 0:
            raise UsageError("the input has no frames")  # open_media refuses this earlier
        writer.update_video(frames=stats.frames, blocks=blocks)
    stats.bytes = os.path.getsize(writer.path)
    stats.seconds = time.perf_counter() - start
    return stats


def _code_block(engine: TileEngine, patches, weight, space, settings, hint):
    """Search (or fix) k for every tile of one block and commit it."""
    if settings.tokens is not None:
        engine.begin_block(patches, weight, np.inf)
        engine.probe([np.array([settings.tokens])] * engine.tiles)
        return engine.finish_block(np.full(engine.tiles, settings.tokens), settings.optimize)
    engine.begin_block(patches, weight, space.threshold)
    chosen = search.run_search(settings.search, engine.probe, engine.tiles, space, hint)
    return engine.finish_block(chosen, settings.optimize)
