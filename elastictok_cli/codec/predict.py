"""A pass-budgeted search: predict each tile's crossing on log-log axes, at most 3 passes.

Distortion falls roughly as a power of k, so two probes of a tile are enough to predict
where its curve meets the threshold. The search spends a fixed number of passes:

1. the previous block's k of each tile and the k one tolerance step below it (a tile
   whose content did not change is settled here), or on the first block a few
   log-spaced k;
2. for tiles not yet settled, the predicted crossing, one step below it and one point
   further out, so that a small prediction error still brackets the crossing;
3. (the last pass) every k left in the bracket at tolerance spacing around the
   prediction, or, for a tile still unbracketed, a geometric sweep to the end of the
   range (the largest k included, so a tile no k satisfies is known for certain).

Every tile's smallest verified passing k is kept by the engine, so committing it costs
no extra pass; the bounded rescue of `ledger.rescue` may add one for near misses.
"""

from __future__ import annotations

import math

import numpy as np

from elastictok_cli.codec.ledger import (
    Ledger,
    Probe,
    SearchSpace,
    crossing,
    gap,
    log_candidates,
    rescue,
    warm_start,
)

FIRST_BLOCK_CANDIDATES = 5  # log-spaced k probed when there is no previous block
OUTER_MARGIN = 0.15  # how far past the prediction pass 2 also looks, relative to k
SLOPE_RANGE = (-4.0, -0.25)  # plausible log-log slopes; -1 when two probes say otherwise


def predict(
    probe: Probe,
    tiles: int,
    space: SearchSpace,
    hint: np.ndarray | None = None,
    *,
    passes: int = 3,
    rel_tol: float = 0.01,
    final_width: int = 12,
) -> np.ndarray:
    """Warm-started, prediction-guided search in at most `passes` passes (plus rescue)."""
    ledger = Ledger(probe, tiles, space)
    if hint is None:
        first = [log_candidates(space, FIRST_BLOCK_CANDIDATES)] * tiles
    else:
        first = warm_start(space, hint, rel_tol)
    ledger.ask(first)
    for done in range(1, passes):
        last = done == passes - 1
        requests = [
            _candidates(ledger, t, rel_tol, final_width if last else 0) for t in range(tiles)
        ]
        if not any(requests):
            break
        ledger.ask(requests)
    return rescue(ledger)


def _candidates(ledger: Ledger, t: int, rel_tol: float, sweep: int) -> list[int]:
    """The k to probe next for tile t (empty when settled); `sweep` > 0 on the last pass."""
    space = ledger.space
    seen = ledger.seen[t]
    tau = max(space.threshold, 1e-12)
    best = ledger.passing(t)
    if best is None:
        top = max(seen)
        if top >= space.max_k:
            return []  # the largest k fails: settled at max_k
        guess = _extrapolate(seen, top, tau)
        if sweep:
            points = np.geomspace(max(top + 1, min(guess, space.max_k)), space.max_k, sweep)
        else:
            top_guess = math.ceil(guess)  # the smallest k predicted to pass
            points = [top_guess, top_guess - gap(top_guess, rel_tol), guess * (1 + OUTER_MARGIN)]
            if guess * (1 + 2 * OUTER_MARGIN) >= space.max_k:
                points.append(space.max_k)
        return sorted(k for k in {space.clip(p) for p in points} if k > top)
    if best == space.min_k:
        return []
    step = gap(best, rel_tol)
    failing = [k for k, d in seen.items() if k < best and d > space.threshold]
    if failing:
        low = max(failing)
        if best - low <= step:
            return []
        guess = crossing(low, seen[low], best, seen[best], tau)
        if sweep:
            return _fill(low, best, guess, step, sweep)
        points = [math.ceil(guess), math.ceil(guess) - step]
        return sorted({min(best - 1, max(low + 1, round(p))) for p in points})
    guess = min(best - 1, _extrapolate(seen, best, tau))
    if sweep:
        points = np.geomspace(space.min_k, max(space.min_k, guess), sweep)
    else:
        top_guess = math.ceil(guess)
        points = [top_guess, top_guess - gap(top_guess, rel_tol), guess * (1 - OUTER_MARGIN)]
    return sorted(k for k in {space.clip(p) for p in points} if k < best)


def _fill(low: int, best: int, guess: float, step: int, width: int) -> list[int]:
    """Up to `width` k strictly inside (low, best), `step` apart, nearest the guess first."""
    inside = np.arange(low + 1, best)
    if len(inside) <= width:
        return inside.tolist()
    # Points on a step grid anchored at best, so the chosen k is within a step of the truth
    # wherever the prediction holds; nearest the prediction first.
    grid = np.arange(best - step, low, -step)
    order = np.argsort(np.abs(grid - guess), kind="stable")
    return sorted(int(k) for k in grid[order[:width]])


def _extrapolate(seen: dict[int, float], anchor: int, tau: float) -> float:
    """Where the curve through `anchor` meets tau, with a slope fitted from two probes."""
    d0 = max(seen[anchor], 1e-12)
    slope = -1.0
    others = [k for k in seen if k != anchor]
    if others:
        near = min(others, key=lambda k: abs(math.log(k / anchor)))
        d1 = max(seen[near], 1e-12)
        fitted = (math.log(d1) - math.log(d0)) / (math.log(near) - math.log(anchor))
        if SLOPE_RANGE[0] <= fitted <= SLOPE_RANGE[1]:
            slope = fitted
    return anchor * math.exp((math.log(tau) - math.log(d0)) / slope)
