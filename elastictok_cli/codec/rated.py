"""Rate-controlled encoding: each tile's k (or its skip) by cost D + lambda * bpp.

Lambda is the user's (`--lambda`), or steered block by block towards a size or a bitrate
(`codec.control`). A second pass, or a size on an input of unknown length, first stores the
frames in a temporary file and encodes them once to learn each block's costs.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Iterator

import numpy as np

from elastictok_cli.codec import skip
from elastictok_cli.codec.control import RateController, even_budget, plan_from
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import encoder_blocks
from elastictok_cli.codec.ledger import SearchSpace, subset_probe
from elastictok_cli.codec.rate import BitPricer
from elastictok_cli.codec.rdo import BlockCurve, Scorer, rd_search
from elastictok_cli.codec.summary import EncodeStats
from elastictok_cli.container import BlockRecord
from elastictok_cli.container.lambdas import LAMBDA_RANGE
from elastictok_cli.errors import UsageError


def start_blocks(frames, grid, loaded, settings, stats, on_block, header, frame_count, fps):
    """Check the target against the container's floor now; return the lazy coded blocks."""
    tables = loaded.token_tables if header.token_tables else None
    pricer = BitPricer(header, tables)
    per_block = loaded.config.frames_per_block
    blocks = None if frame_count is None else -(-frame_count // per_block)
    seconds = per_block / float(fps)
    if settings.bitrate is not None and pricer.empty_bytes * 8 / seconds > settings.bitrate:
        floor = pricer.empty_bytes * 8 / seconds
        raise UsageError(
            f"--bitrate {settings.bitrate:g} is below this input's floor of {floor:.0f}"
        )
    if (
        settings.size is not None
        and blocks is not None
        and pricer.floor_bytes(blocks) > settings.size
    ):
        floor = pricer.floor_bytes(blocks)
        raise UsageError(f"--size {settings.size:g} is below this input's floor of {floor} bytes")
    run = _Run(grid, loaded, settings, stats, on_block, header, tables, fps)
    if settings.lam is not None:
        return run.blocks(frames, None)
    if settings.passes == 2 or (settings.size is not None and blocks is None):
        return run.two_pass(frames)
    return run.blocks(frames, run.controller(blocks))


class _Run:
    """Everything one rate-controlled encode needs besides the frames."""

    def __init__(self, grid, loaded, settings, stats, on_block, header, tables, fps):
        """Keep the encode's facts."""
        self.grid, self.loaded, self.settings = grid, loaded, settings
        self.stats, self.on_block, self.header, self.tables, self.fps = (
            stats,
            on_block,
            header,
            tables,
            fps,
        )

    def pricer(self) -> BitPricer:
        """A fresh writer's view of the bits (each pass codes from the file's start)."""
        return BitPricer(self.header, self.tables)

    def total(self, blocks: int | None) -> float | None:
        """The target file size in bytes, when it is known."""
        if self.settings.size is not None:
            return self.settings.size
        if blocks is None:
            return None
        seconds = blocks * self.loaded.config.frames_per_block / float(self.fps)
        return self.settings.bitrate * seconds / 8

    def controller(self, blocks: int | None) -> RateController:
        """The one-pass controller: an even share per block of what the target leaves."""
        pricer = self.pricer()
        total = self.total(blocks)
        if total is None:  # a bitrate on a stream of unknown length: its share per block
            budget = self.settings.bitrate * self._block_seconds() / 8
        else:
            budget = even_budget(total, pricer.fixed_bytes, blocks)
        return RateController(budget, None, blocks, pricer.fixed_bytes, pricer.empty_bytes)

    def _block_seconds(self) -> float:
        return self.loaded.config.frames_per_block / float(self.fps)

    def two_pass(self, frames) -> Iterator[BlockRecord]:
        """Store the frames, encode them once to learn the costs, then encode for real."""
        with tempfile.TemporaryFile(prefix="elastictok-pass-") as store:
            shape, count = None, 0
            for frame in frames:
                shape = frame.shape
                store.write(np.ascontiguousarray(frame, np.uint8).tobytes())
                count += 1
            blocks = -(-count // self.loaded.config.frames_per_block)
            pricer = self.pricer()
            total = self.total(blocks)
            if pricer.floor_bytes(blocks) > total:
                raise UsageError(f"the target of {total:.0f} bytes is below this input's floor")
            first = self.controller(blocks)
            curves: list[BlockCurve] = []
            scratch = EncodeStats(self.stats.width, self.stats.height, self.stats.tiles, 1)
            for _ in self.blocks(_replay(store, shape, count), first, curves, scratch, quiet=True):
                pass
            lam, plan = plan_from(
                curves, total, pricer.fixed_bytes, pricer.empty_bytes, first.scale
            )
            second = RateController(0.0, plan, blocks, pricer.fixed_bytes, pricer.empty_bytes)
            second.future, second.scale, second.lam = curves, first.scale, lam
            yield from self.blocks(_replay(store, shape, count), second)

    def blocks(self, frames, controller, curves=None, stats=None, quiet=False):
        """Code the frames block by block at the fixed lambda or the controller's."""
        stats = stats or self.stats
        config, grid, settings = self.loaded.config, self.grid, self.settings
        pricer = self.pricer()
        engine = TileEngine(self.loaded.model, grid.tile_count)
        space = SearchSpace(config.min_tokens, config.max_tokens, -math.inf)
        hint, recon = None, None
        cheapest = np.full(grid.tile_count, np.inf)  # fewest bits any probe of the tile cost
        lambdas, bits_out, estimates = [], [], []
        started = time.perf_counter()
        for index, patches, weight, real in encoder_blocks(frames, grid, config):
            pixels = weight.sum(axis=(1, 2)) / 3
            pricer.begin_block(index)
            curve = BlockCurve(pixels)
            lam = settings.lam if controller is None else controller.lam
            held, unprobed = None, np.zeros(grid.tile_count, bool)
            if settings.skip and recon is not None:
                held, held_error = skip.hold(recon, patches, weight, config)
                for t in range(grid.tile_count):
                    curve.options[t][0] = (float(held_error[t]), 0.0)
                # No coded k can cost less than its bits alone: such a tile skips unprobed.
                unprobed = held_error <= lam * cheapest / pixels
            engine.rank = Scorer(pricer, curve, lam)
            engine.begin_block(patches, weight, -math.inf)
            coded = np.flatnonzero(~unprobed)
            if len(coded):
                part_hint = None if hint is None else hint[coded]
                rd_search(
                    subset_probe(engine.probe, engine.tiles, coded), len(coded), space, part_hint
                )
            if controller is not None:
                lam = controller.settle(curve)
            engine.rank.lam = lam
            ks, _, bits = curve.choose(lam)
            active = ks > 0
            code = engine.finish_block(ks, settings.optimize, active)
            if held is not None and not active.all():
                code.distortion = np.where(active, code.distortion, held_error)
                code.recon = skip.with_held(code.recon, held, ~active)
            recon = code.recon
            for t in coded:
                probed = [b for k, (_, b) in curve.options[t].items() if k > 0]
                cheapest[t] = min(cheapest[t], min(probed, default=np.inf))
            hint = ks.copy() if hint is None else np.where(active, ks, hint)
            record = BlockRecord(
                index,
                tuple(ks.tolist()),
                tuple(code.ids),
                code.distortion,
                tuple((~active).tolist()) if held is not None else (),
            )
            spent = pricer.commit(record)
            if controller is not None:
                controller.record(curve, float(bits[active].sum()), spent)
            if curves is not None:
                curves.append(curve)
            lambdas.append(lam)
            bits_out.append(8 * spent)
            estimates.append(round(float(bits[active].sum()), 1))
            stats.add_block(
                real,
                int(ks.sum()),
                code.passes,
                code.distortion,
                weight.sum(axis=(1, 2)),
                0,
                int((~active).sum()),
            )
            stats.extra["rate"] = {
                "mode": settings.rate_mode,
                "lambda": lambdas,
                "bits": bits_out,  # the block's record, index entry and lambda byte
                "estimated_token_bits": estimates,  # what the choice priced its ids at
                "empty_block_bits": 8 * pricer.empty_bytes,
            }
            if controller is not None:  # the file size aimed at, for the blocks so far
                stats.extra["rate"]["target_bytes"] = round(self.total(stats.blocks))
                # Lambda can go no lower: every tile keeps the tokens that cost it least.
                stats.extra["rate"]["lambda_at_floor"] = lam <= LAMBDA_RANGE[0] * 1.01
            stats.seconds = time.perf_counter() - started
            if self.on_block and not quiet:
                self.on_block(stats)
            yield record
        if stats.blocks == 0:
            raise UsageError("the input has no frames")


def _replay(store, shape, count) -> Iterator[np.ndarray]:
    """The stored frames again, in order, one at a time."""
    store.seek(0)
    size = int(np.prod(shape))
    for _ in range(count):
        yield np.frombuffer(store.read(size), np.uint8).reshape(shape)
