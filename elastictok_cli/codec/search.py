"""Choosing k per tile: search strategies as pure functions over a batched probe.

A probe takes, for every tile, an array of candidate k (possibly empty) and returns the
distortion of each, all in one batched model pass. Strategies only decide which k to
ask about; the answer is always the smallest k they verified to meet the threshold, or,
when none did, the verified k that came closest (the largest k, unless the curve rises
at its end: `ledger.preferred`). Distortion need not fall monotonically with k, so no
strategy trusts an unverified k, and every strategy ends with the bounded rescue of
`ledger.rescue`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from elastictok_cli.codec.kpredict import verify
from elastictok_cli.codec.ledger import (
    RESCUE_WITHIN,
    Ledger,
    Probe,
    SearchSpace,
    crossing,
    gap,
    log_candidates,
    rescue,
)
from elastictok_cli.codec.predict import predict

__all__ = ["RESCUE_WITHIN", "SEARCHES", "Probe", "SearchSpace", "run_search"]

STRATEGIES = ("gallop", "predict", "verify", "binary", "linear", "exhaustive")
DEFAULT_STRATEGY = "gallop"
LINEAR_CANDIDATES = 100  # the paper's log-spaced linear search
# A bracket whose failing end is within FLAT_BAND above the threshold, on a curve falling
# slower than k^-FLAT_SLOPE across it, sits on a flat stretch; real curves wobble around
# the threshold there and often pass again further down, so gallop looks once at
# LOOK_BELOW times the failing k (replayed on real curves: see benchmarks/RESULTS.md).
FLAT_BAND = 0.03
FLAT_SLOPE = 0.5
LOOK_BELOW = 0.9
# Gallop's bracket: 3% cost 0.2% more tokens than 1% and 10-20% less time on 640x480
# Megamind; settling on any pass within a few % of the threshold cost more tokens for the
# same time (benchmarks/RESULTS.md, "Medium at 3x").
GALLOP_TOLERANCE = 0.03


def exhaustive(probe: Probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """Every k at once: exact, and the reference the others are measured against."""
    ledger = Ledger(probe, tiles, space)
    everything = np.arange(space.min_k, space.max_k + 1)
    ledger.ask([everything] * tiles)
    return ledger.choice()


def linear(probe: Probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """The paper's linear search: about 100 log-spaced candidates, probed in one pass."""
    ledger = Ledger(probe, tiles, space)
    ledger.ask([log_candidates(space, LINEAR_CANDIDATES)] * tiles)
    return rescue(ledger)


def binary(probe: Probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """Bisection, one probe per tile per pass, returning the smallest k it verified passing.

    The paper's version returns the last probed k, which can be a failing one; here the
    upper end is only ever a verified pass, and the largest k is probed when nothing is.
    """
    ledger = Ledger(probe, tiles, space)
    lo = np.full(tiles, space.min_k)
    hi = np.full(tiles, space.max_k)  # invariant: hi passes, or hi is max_k unverified
    while True:
        active = lo < hi
        if not active.any():
            break
        mids = (lo + hi) // 2
        ledger.ask([[int(m)] if a else [] for m, a in zip(mids, active, strict=True)])
        for t in np.flatnonzero(active):
            if ledger.seen[t][int(mids[t])] <= space.threshold:
                hi[t] = mids[t]
            else:
                lo[t] = mids[t] + 1
    # Tiles that never passed fall back to their closest miss, which needs max_k verified.
    ledger.ask([[] if ledger.passing(t) is not None else [space.max_k] for t in range(tiles)])
    return rescue(ledger)


def gallop(
    probe: Probe,
    tiles: int,
    space: SearchSpace,
    hint: np.ndarray | None = None,
    *,
    width: int = 2,
    rel_tol: float = GALLOP_TOLERANCE,
) -> np.ndarray:
    """Warm-started galloping bracket search, `width` candidates per tile per pass.

    Each tile starts from `hint` (its k in the previous block): the first pass probes that
    k alone (a second k one step below it cost probes and saved no tokens on real clips).
    A tile whose candidates all fail gallops up with growing steps (the largest k included
    once the steps reach it); one whose candidates all pass gallops down; a tile with a
    failing k below a passing one splits that gap into `width` + 1 parts per pass. A tile
    is done when the gap is within `rel_tol` of its k (one token at small k), when its
    smallest k passes, or when its largest k fails. A tile that moved (its first pass did
    not settle it) and closed its bracket on a flat stretch looks once further down first
    (see FLAT_BAND).
    """
    ledger = Ledger(probe, tiles, space)
    growth = np.ones(tiles)
    if hint is None:
        hint = np.full(tiles, math.sqrt(space.min_k * space.max_k))
    ledger.ask([[space.clip(h)] for h in hint])
    while True:
        requests = []
        for t in range(tiles):
            moved = len(ledger.seen[t]) > 1
            requests.append(_next_candidates(ledger, t, width, rel_tol, growth[t], moved))
            growth[t] *= 4
        if not any(requests):
            break
        ledger.ask(requests)
    return rescue(ledger)


def _next_candidates(
    ledger: Ledger, t: int, width: int, rel_tol: float, growth: float, moved: bool
):
    """The k to probe next for tile t, or an empty list when it is settled.

    Distortion falls roughly as a power of k, so the crossing of the threshold is
    predicted on log-log axes (slope -1 outside a bracket) and probed as a pair one
    tolerance step apart; `growth` widens the pair for tiles that keep missing.
    """
    space = ledger.space
    seen = ledger.seen[t]
    tau = max(space.threshold, 1e-12)
    best = ledger.passing(t)
    if best is None:
        low = max(seen)  # everything probed failed: look above the largest
        if low >= space.max_k:
            return []
        guess = max(low + 1, low * max(seen[low], tau) / tau)
        points = [guess * (1 + 0.1 * growth) ** i for i in range(width)]
        return sorted({space.clip(p) for p in points} - {low})
    if best == space.min_k:
        return []
    failing_below = [k for k, d in seen.items() if k < best and d > space.threshold]
    if not failing_below:
        # Everything probed passes: aim just below the predicted crossing.
        guess = min(best - 1, best * max(seen[best], 1e-12) / tau)
        points = [guess * (1 - 0.1 * growth) ** i for i in range(width)]
        return sorted({space.clip(p) for p in points} - {best})
    low = max(failing_below)
    step = gap(best, rel_tol)
    if best - low <= step:
        below = space.clip(low * LOOK_BELOW)
        if moved and _flat(seen, low, best, tau) and below < low and below not in seen:
            return [below]
        return []
    guess = crossing(low, seen[low], best, seen[best], tau)
    if growth > 4 or best - low <= 2 * width:
        inner = np.linspace(low, best, width + 2)[1:-1]  # stragglers: plain splitting
    else:
        inner = [guess, guess - step]
    return sorted({min(best - 1, max(low + 1, int(round(p)))) for p in inner})


def _flat(seen: dict[int, float], low: int, best: int, tau: float) -> bool:
    """Whether the bracket (low fails, best passes) sits on a flat stretch near tau."""
    d_low, d_best = seen[low], seen[best]
    if d_best <= 0 or d_low > tau * (1 + FLAT_BAND):
        return False
    slope = math.log(d_low / d_best) / math.log(best / low)  # 1 for d ~ 1/k
    return slope < FLAT_SLOPE


SEARCHES: dict[str, Callable[..., np.ndarray]] = {
    "predict": predict,
    "verify": verify,
    "gallop": gallop,
    "binary": binary,
    "linear": linear,
    "exhaustive": exhaustive,
}


def run_search(
    name: str, probe: Probe, tiles: int, space: SearchSpace, hint: np.ndarray | None = None
) -> np.ndarray:
    """Run the named strategy and return the chosen k per tile."""
    try:
        search = SEARCHES[name]
    except KeyError:
        raise ValueError(f"unknown search {name!r}; choose from {', '.join(SEARCHES)}") from None
    return search(probe, tiles, space, hint)
