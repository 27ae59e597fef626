"""Choosing lambda block by block so the file lands on a size or a bitrate, as x264's ABR does.

Every block is probed at the lambda the controller expects, and the probes say what the
block would spend at any lambda (`rdo.BlockCurve`). Lambda is then the one at which the
blocks of a window, the current one and those before it (or, in a second pass, those
after it, known from the first), would spend their share of the budget left, corrected by
the bytes over or under plan so far. The window is the buffer: a complexity jump moves
lambda at once through the current block's own curve, yet no single block is forced to
its share, so bits still go where they buy the most. The window shrinks to the blocks
left when the length is known, so the last block spends exactly what remains (limited
only by what its options allow); `benchmarks/rate_control.py` measures where files end.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from elastictok_cli.codec.rdo import BlockCurve

# Lambda (MSE per bit per pixel) stays within LAMBDA_RANGE, near-lossless to skip
# everything: the range the file's per-block lambda byte spans, so every one is recorded.
from elastictok_cli.container.lambdas import LAMBDA_RANGE

WINDOW = 8  # blocks the over- or under-spend is spread across, and the curves predicting
START_LAMBDA = 0.02  # before any block has been seen
CALIBRATION = 0.3  # weight of each block in the running bytes-per-estimated-bit ratio


class RateController:
    """One encode's lambda per block from the bytes spent so far (one pass, causal)."""

    def __init__(
        self, budget: float, plan: list[float] | None, blocks: int | None, fixed: int, empty: int
    ):
        """`budget` bytes per block (or `plan`, bytes per block from a first pass) for
        `blocks` blocks (None: unknown), after `fixed` bytes of header and tail; a block
        costs at least `empty` bytes (every tile skipped)."""
        self.budget, self.plan, self.blocks = budget, plan, blocks
        self.fixed, self.empty = fixed, empty
        self.spent = 0.0  # bytes of the blocks so far
        self.planned = 0.0  # what the plan gave them
        self.index = 0
        self.scale = 1.0  # record bytes beyond `empty` per estimated token byte, running
        self.lam = START_LAMBDA
        self.history: deque[BlockCurve] = deque(maxlen=WINDOW - 1)
        self.future: list[BlockCurve] | None = None  # a first pass's curves, by block
        self.lambdas: list[float] = []

    def share(self, index: int) -> float:
        """Bytes the plan gives block `index`."""
        if self.plan is not None:
            return self.plan[min(index, len(self.plan) - 1)]
        return self.budget

    def settle(self, curve: BlockCurve) -> float:
        """Lambda for the current block, given what its probes say it costs."""
        left = None if self.blocks is None else max(1, self.blocks - self.index)
        horizon = WINDOW if left is None else min(WINDOW, left)
        if self.future is not None:
            window = [curve] + self.future[self.index + 1 : self.index + horizon]
        else:
            window = [curve, *list(self.history)[-(horizon - 1) :]] if horizon > 1 else [curve]
        shares = [self.share(self.index + j) for j in range(horizon)]
        over = self.spent - self.planned
        want = sum(shares[: len(window)]) - over * len(window) / horizon
        floor = self.empty * len(window)
        lam = self._solve(window, max(want, floor))
        self.lam = lam
        self.lambdas.append(lam)
        return lam

    def _predict(self, window: list[BlockCurve], lam: float) -> float:
        """Bytes the window's blocks would spend at `lam`."""
        return sum(self.empty + self.scale * c.bits(lam) / 8 for c in window)

    def _solve(self, window: list[BlockCurve], want: float) -> float:
        """The smallest lambda at which the window spends at most `want` bytes."""
        lo, hi = (math.log(x) for x in LAMBDA_RANGE)
        if self._predict(window, math.exp(lo)) <= want:
            return math.exp(lo)
        for _ in range(40):  # the curves are steps: bisect on log lambda to ~1e-5 relative
            mid = (lo + hi) / 2
            if self._predict(window, math.exp(mid)) <= want:
                hi = mid
            else:
                lo = mid
        return math.exp(hi)

    def record(self, curve: BlockCurve, estimated_bits: float, spent: int) -> None:
        """Fold in the block just written: its curve, its estimated token bits, its bytes."""
        if estimated_bits > 0:
            ratio = max(0.0, spent - self.empty) / (estimated_bits / 8)
            self.scale += CALIBRATION * (float(np.clip(ratio, 0.5, 2.0)) - self.scale)
        self.spent += spent
        self.planned += self.share(self.index)
        self.history.append(curve)
        self.index += 1


def even_budget(total: float, fixed: int, blocks: int) -> float:
    """Bytes per block of a file of `total` bytes, `blocks` blocks after `fixed` bytes."""
    return (total - fixed) / blocks


def plan_from(curves: list[BlockCurve], total: float, fixed: int, empty: int, scale: float):
    """A second pass's plan: the one lambda at which the first pass's blocks fill `total`.

    Returns that lambda and each block's bytes at it, scaled so they sum to the budget.
    """
    budget = total - fixed
    probe = RateController(budget / len(curves), None, len(curves), fixed, empty)
    probe.scale = scale
    lam = probe._solve(curves, budget)
    share = np.array([empty + scale * c.bits(lam) / 8 for c in curves])
    return lam, list(share * budget / share.sum())
