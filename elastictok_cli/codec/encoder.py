"""Video in, .etok out: block by block, each tile searched for its smallest passing k."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from elastictok_cli import __version__
from elastictok_cli.codec import kpredict, search, skip
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.eta import CompileClock
from elastictok_cli.codec.frames import encoder_blocks, grid_for
from elastictok_cli.codec.ledger import subset_probe
from elastictok_cli.codec.settings import EncodeSettings
from elastictok_cli.codec.summary import EncodeStats
from elastictok_cli.codec.tiling import TileGrid
from elastictok_cli.container import BlockRecord, ContainerWriter, EncodeFacts, Header, VideoFacts
from elastictok_cli.container.coding import DEFAULT_RESET
from elastictok_cli.container.lambdas import encode_lambdas
from elastictok_cli.container.layout import CONTEXT_CODING
from elastictok_cli.errors import UsageError
from elastictok_cli.media import fit_frames
from elastictok_cli.model.registry import LoadedModel


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
        search="fixed" if fixed else "rdo" if settings.rate_mode else settings.search,
        fit=settings.fit or "tile",
        tool_version=__version__,
        optimize_steps=settings.optimize,
        skip_tiles=settings.skips,
        preset=None if fixed else settings.preset,  # a fixed k searches nothing
        passes=settings.passes if settings.rate_mode in ("size", "bitrate") else None,
    )
    tables = _tables_for(loaded, settings)
    if tables is None:
        return Header(model=loaded.facts, video=video, encode=encode)
    return Header(
        model=loaded.facts,
        video=video,
        encode=encode,
        token_coding=CONTEXT_CODING,
        token_tables=tables.sha256,
        coding_reset=DEFAULT_RESET,
    )


def _tables_for(loaded: LoadedModel, settings: EncodeSettings):
    """The token tables to code ids with, or None to bit-pack them (format v1)."""
    if settings.coding == "bitpack":
        return None
    tables = loaded.token_tables
    if tables is None and settings.coding == "context":
        raise UsageError(f"model {loaded.name!r} ships no token tables; use --coding bitpack")
    return tables


@dataclass
class Encoding:
    """An encode under way: its header (frame count provisional), blocks and totals."""

    header: Header
    blocks: Iterator[BlockRecord]  # coded lazily, one block per step
    stats: EncodeStats  # grows as `blocks` is consumed

    def final_header(self) -> Header:
        """The header with what the end of the input tells: the frame and block counts,
        and under rate control each block's lambda."""
        header = self.header.with_video(frames=self.stats.frames, blocks=self.stats.blocks)
        rate = self.stats.extra.get("rate")
        if not rate:
            return header
        codes, group = encode_lambdas(rate["lambda"])
        return header.with_encode(lambdas=codes, lambda_group=group)


def start(
    source,
    loaded: LoadedModel,
    settings: EncodeSettings,
    *,
    on_block: Callable[[EncodeStats], None] | None = None,
) -> Encoding:
    """Set up the encode of an opened source (media file or ArraySource); code nothing yet."""
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
    stats = EncodeStats(width, height, grid.tile_count, config.max_tokens)
    clock = CompileClock()

    def report(block_stats: EncodeStats) -> None:
        block_stats.compile_seconds = clock.seconds
        if on_block:
            on_block(block_stats)

    if settings.rate_mode:
        from elastictok_cli.codec import rated

        facts = (header, source.frame_count, source.fps)
        blocks = rated.start_blocks(frames, grid, loaded, settings, stats, report, *facts)
    else:
        blocks = _coded_blocks(frames, grid, loaded, settings, stats, report)
    return Encoding(header, _clocked(blocks, clock), stats)


def _clocked(blocks: Iterator[BlockRecord], clock: CompileClock) -> Iterator[BlockRecord]:
    """The blocks, with JAX's compile time counted while they are coded."""
    with clock:
        yield from blocks


def _coded_blocks(frames, grid, loaded, settings, stats, on_block) -> Iterator[BlockRecord]:
    """Code the frames block by block, updating `stats` and reporting after each block."""
    config = loaded.config
    engine = TileEngine(loaded.model, grid.tile_count)
    space = search.SearchSpace(
        config.min_tokens,
        config.max_tokens,
        settings.threshold,
        settings.rescue,
        settings.rescue_within,
        settings.rescue_points,
    )
    hint, recon = None, None
    # The fast preset starts every tile from a predicted k instead of its previous one.
    # (Starting medium's first block there too saved 7% of its probes on 640x480 but chose
    # 2-5% more tokens on the small validation clips: benchmarks/RESULTS.md.)
    predicts_every_block = settings.search == "verify"
    predictor = kpredict.KPredictor.load(loaded.folder) if predicts_every_block else None
    bias = kpredict.ClipBias()
    previous, need = None, None  # the fast preset's last block, and each tile's needed k
    # Per tile, the error a held frame must not exceed: the target, or, where the tile's
    # last coded block could not reach it, the error that block did reach.
    bar = np.full(grid.tile_count, space.threshold)
    start_time = time.perf_counter()
    for index, patches, weight, real in encoder_blocks(frames, grid, config):
        skipped = np.zeros(grid.tile_count, bool)
        if settings.skips and recon is not None:
            held, held_error = skip.hold(recon, patches, weight, config)
            skipped = held_error <= bar
        start = hint
        if predicts_every_block:
            predicted = predictor.start(patches, previous, need, space.threshold, space)
            start = bias.shift(predicted, space)
            previous = patches
        code = _code_block(engine, patches, weight, space, settings, start, ~skipped)
        if skipped.any():
            code.distortion = np.where(skipped, held_error, code.distortion)
            code.recon = skip.with_held(code.recon, held, skipped)
        recon = code.recon
        coded = ~skipped
        bar[coded] = np.maximum(space.threshold, code.distortion[coded])
        # A skipped tile's search resumes next time from the k it last coded with.
        hint = code.keep if hint is None else np.where(skipped, hint, code.keep)
        if predicts_every_block:
            estimate = kpredict.needed(code.keep, code.distortion, space)
            bias.update(predicted, estimate, coded & (code.distortion <= space.threshold))
            need = estimate if need is None else np.where(skipped, need, estimate)
        yield BlockRecord(
            index, tuple(code.keep.tolist()), tuple(code.ids), code.distortion, tuple(skipped)
        )
        missed = 0 if settings.tokens else int((code.distortion > space.threshold).sum())
        pixel_counts = weight.sum(axis=(1, 2))
        stats.add_block(
            real,
            int(code.keep.sum()),
            code.passes,
            code.distortion,
            pixel_counts,
            missed,
            int(skipped.sum()),
        )
        stats.seconds = time.perf_counter() - start_time
        if on_block:
            on_block(stats)
    if stats.blocks == 0:
        raise UsageError("the input has no frames")  # open_media refuses this earlier


def encode(
    source,
    out_path: str,
    loaded: LoadedModel,
    settings: EncodeSettings,
    *,
    force: bool = False,
    on_block: Callable[[EncodeStats], None] | None = None,
) -> EncodeStats:
    """Encode an opened source into the .etok file `out_path`, streaming; returns the totals."""
    started = time.perf_counter()
    run = start(source, loaded, settings, on_block=on_block)
    tables = loaded.token_tables if run.header.token_tables else None
    with ContainerWriter(out_path, run.header, force=force, tables=tables) as writer:
        for record in run.blocks:
            writer.write_block(record)
        writer.update_header(run.final_header())
    run.stats.bytes = os.path.getsize(writer.path)
    run.stats.seconds = time.perf_counter() - started
    return run.stats


def _code_block(engine: TileEngine, patches, weight, space, settings, hint, active):
    """Search (or fix) k for every active tile of one block and commit it."""
    if settings.tokens is not None:
        engine.begin_block(patches, weight, np.inf)
        engine.probe([np.array([settings.tokens])] * engine.tiles)
        return engine.finish_block(np.full(engine.tiles, settings.tokens), settings.optimize)
    engine.begin_block(patches, weight, space.threshold)
    coded = np.flatnonzero(active)
    chosen = np.zeros(engine.tiles, np.int64)
    if len(coded):
        probe = subset_probe(engine.probe, engine.tiles, coded)
        part_hint = None if hint is None else np.asarray(hint)[coded]
        chosen[coded] = search.run_search(settings.search, probe, len(coded), space, part_hint)
    return engine.finish_block(chosen, settings.optimize, active)
