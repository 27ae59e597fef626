"""Choosing k per tile: search strategies as pure functions over a batched probe.

A probe takes, for every tile, an array of candidate k (possibly empty) and returns the
distortion of each, all in one batched model pass. Strategies only decide which k to
ask about; the answer is always the smallest k they verified to meet the threshold, or
the largest k when none did. Distortion need not fall monotonically with k, so no
strategy trusts an unverified k, and every strategy ends with a rescue: a tile with no
verified passing k has all its remaining k probed in one more pass, so no block misses
a target that some k meets. With a capable model that pass is rare; it is where the
largest k itself misses the target.

The rescue is bounded by `rescue_within`: only a tile whose best verified distortion is
within that factor of the threshold is swept. A tile that misses by more (by default
1.25x, about 1 dB, at every k tried, the largest included) would need a dip in its curve
that real models do not show, and sweeping it costs one probe per k; content the model
cannot reach would otherwise make every block an exhaustive search. `math.inf` restores
the unconditional guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# requests[s] = candidate k for tile s -> distortions[s], same order; one call = one pass.
Probe = Callable[[Sequence[np.ndarray]], Sequence[np.ndarray]]

STRATEGIES = ("gallop", "binary", "linear", "exhaustive")
DEFAULT_STRATEGY = "gallop"
LINEAR_CANDIDATES = 100  # the paper's log-spaced linear search
RESCUE_WITHIN = 1.25  # sweep only tiles whose best distortion is within ~1 dB of the target


@dataclass(frozen=True)
class SearchSpace:
    """The range of k a block may use and the distortion it must reach."""

    min_k: int
    max_k: int
    threshold: float
    rescue: bool = True  # sweep every k of a tile whose verified candidates all miss
    rescue_within: float = RESCUE_WITHIN  # ...if its best distortion is this close

    def __post_init__(self):
        """Refuse an empty range."""
        if not 1 <= self.min_k <= self.max_k:
            raise ValueError(f"bad token range [{self.min_k}, {self.max_k}]")

    def clip(self, k: float) -> int:
        """Round and clamp a candidate into the range."""
        return int(min(self.max_k, max(self.min_k, round(k))))


class Ledger:
    """Every (tile, k) -> distortion verified so far for one block; skips repeated probes."""

    def __init__(self, probe: Probe, tiles: int, space: SearchSpace):
        """Wrap `probe` for `tiles` tiles searching in `space`."""
        self._probe = probe
        self.space = space
        self.seen: list[dict[int, float]] = [{} for _ in range(tiles)]
        self.passes = 0

    @property
    def tiles(self) -> int:
        """Number of tiles searched together."""
        return len(self.seen)

    def ask(self, requests: Sequence[Sequence[int]]) -> None:
        """Probe the candidates not yet verified, all tiles in one pass."""
        fresh = [
            np.array(sorted({int(k) for k in ks} - seen.keys()), dtype=np.int64)
            for ks, seen in zip(requests, self.seen, strict=True)
        ]
        if not any(len(ks) for ks in fresh):
            return
        answers = self._probe(fresh)
        self.passes += 1
        for seen, ks, ds in zip(self.seen, fresh, answers, strict=True):
            seen.update(zip(ks.tolist(), np.asarray(ds, dtype=np.float64).tolist(), strict=True))

    def passing(self, tile: int) -> int | None:
        """Smallest verified k of a tile that meets the threshold."""
        good = [k for k, d in self.seen[tile].items() if d <= self.space.threshold]
        return min(good) if good else None

    def choice(self) -> np.ndarray:
        """(tiles,) the smallest verified passing k per tile, else the largest k."""
        return np.array(
            [
                self.passing(t) if self.passing(t) is not None else self.space.max_k
                for t in range(self.tiles)
            ],
            dtype=np.int64,
        )


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
    return _rescue(ledger)


def log_candidates(space: SearchSpace, count: int) -> np.ndarray:
    """Up to `count` distinct log-spaced k from min to max, both ends included."""
    points = np.geomspace(space.min_k, space.max_k, count)
    return np.unique(np.clip(np.round(points), space.min_k, space.max_k).astype(np.int64))


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
    # Tiles that never passed end on max_k; probe it so its result is known and committed.
    ledger.ask([[] if ledger.passing(t) is not None else [space.max_k] for t in range(tiles)])
    return _rescue(ledger)


def gallop(
    probe: Probe,
    tiles: int,
    space: SearchSpace,
    hint: np.ndarray | None = None,
    *,
    width: int = 2,
    rel_tol: float = 0.01,
) -> np.ndarray:
    """Warm-started galloping bracket search, `width` candidates per tile per pass.

    Each tile starts from `hint` (its k in the previous block): the first pass probes
    the hint and the k one tolerance step below it, which settles a tile whose content
    did not change. A tile whose candidates all fail gallops up with growing steps (the
    largest k included once the steps reach it); one whose candidates all pass gallops
    down; a tile with a failing k below a passing one splits that gap into `width` + 1
    parts per pass. A tile is done when the gap is within `rel_tol` of its k (one token
    at small k), when its smallest k passes, or when its largest k fails.
    """
    ledger = Ledger(probe, tiles, space)
    growth = np.ones(tiles)
    if hint is None:
        hint = np.full(tiles, math.sqrt(space.min_k * space.max_k))
    first = []
    for t in range(tiles):
        h = space.clip(hint[t])
        first.append({h, space.clip(h - _gap(h, rel_tol))})
    ledger.ask(first)
    while True:
        requests = []
        for t in range(tiles):
            requests.append(_next_candidates(ledger, t, width, rel_tol, growth[t]))
            growth[t] *= 4
        if not any(requests):
            break
        ledger.ask(requests)
    return _rescue(ledger)


def _rescue(ledger: Ledger) -> np.ndarray:
    """Probe every remaining k of near-miss tiles with no verified pass; return the choice."""
    space = ledger.space
    if not space.rescue:
        return ledger.choice()
    everything = range(space.min_k, space.max_k + 1)
    ledger.ask([everything if _near_miss(ledger, t) else [] for t in range(ledger.tiles)])
    return ledger.choice()


def _near_miss(ledger: Ledger, tile: int) -> bool:
    """Whether a tile has no verified pass but came within `rescue_within` of the target."""
    space = ledger.space
    if ledger.passing(tile) is not None:
        return False
    if math.isinf(space.rescue_within):  # also right for a zero threshold, where inf*0 is nan
        return True
    best = min(ledger.seen[tile].values(), default=0.0)
    return best <= space.rescue_within * space.threshold


def _gap(k: int, rel_tol: float) -> int:
    """How far below a passing k a failing one may be for the search to stop."""
    return max(1, int(rel_tol * k))


def _next_candidates(ledger: Ledger, t: int, width: int, rel_tol: float, growth: float):
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
    gap = _gap(best, rel_tol)
    if best - low <= gap:
        return []
    guess = _crossing(low, seen[low], best, seen[best], tau)
    if growth > 4 or best - low <= 2 * width:
        inner = np.linspace(low, best, width + 2)[1:-1]  # stragglers: plain splitting
    else:
        inner = [guess, guess - gap]
    return sorted({min(best - 1, max(low + 1, int(round(p)))) for p in inner})


def _crossing(k0: int, d0: float, k1: int, d1: float, tau: float) -> float:
    """Where the line through (log k, log d) at k0 and k1 meets the threshold."""
    if not (d0 > 0 and d1 > 0 and d0 > d1):
        return (k0 + k1) / 2
    frac = (math.log(d0) - math.log(tau)) / (math.log(d0) - math.log(d1))
    return math.exp(math.log(k0) + min(1.0, max(0.0, frac)) * (math.log(k1) - math.log(k0)))


SEARCHES: dict[str, Callable[..., np.ndarray]] = {
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
