"""What a search knows about one block: its range, its target and every verified probe.

The rescue lives here too because every strategy ends with it: a tile with no verified
passing k has its remaining k probed in one more pass, so no block misses a target some
k meets. It is bounded by `rescue_within`: only a tile whose best verified distortion is
within that factor of the threshold is swept. A tile that misses by more (by default
1.25x, about 1 dB, at every k tried, the largest included) would need a dip in its curve
that real models do not show, and sweeping it costs one probe per k; content the model
cannot reach would otherwise make every block an exhaustive search. `math.inf` restores
the unconditional guarantee. By the same rule a capped sweep (`rescue_points`) goes down
from the top a few k per pass and leaves out the k below any k the tile missed by more
than that factor, one met on the way included: on vtest at 640x480 that cut its sweeps'
probes from 374 to 160 and changed no choice (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# requests[s] = candidate k for tile s -> distortions[s], same order; one call = one pass.
Probe = Callable[[Sequence[np.ndarray]], Sequence[np.ndarray]]

RESCUE_WITHIN = 1.25  # sweep only tiles whose best distortion is within ~1 dB of the target
RESCUE_STEP = 4  # k per tile and pass of a capped sweep, from the top down


@dataclass(frozen=True)
class SearchSpace:
    """The range of k a block may use and the distortion it must reach."""

    min_k: int
    max_k: int
    threshold: float
    rescue: bool = True  # sweep every k of a tile whose verified candidates all miss
    rescue_within: float = RESCUE_WITHIN  # ...if its best distortion is this close
    rescue_points: int | None = None  # ...at most this many log-spaced k (None: every k)

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

    def best(self, tile: int) -> int | None:
        """The verified k of a tile that `preferred` ranks first (None before any probe)."""
        best = None
        for k, d in self.seen[tile].items():
            if best is None or preferred(k, d, best, self.seen[tile][best], self.space.threshold):
                best = k
        return best

    def passing(self, tile: int) -> int | None:
        """Smallest verified k of a tile that meets the threshold."""
        good = [k for k, d in self.seen[tile].items() if d <= self.space.threshold]
        return min(good) if good else None

    def choice(self) -> np.ndarray:
        """(tiles,) per tile its `best` verified k, or the largest k while it may still pass."""
        # A tile with no pass falls back to its closest miss only once the largest k is
        # verified; until then the largest k stands, unverified (the commit probes it).
        top = self.space.max_k
        return np.array(
            [
                self.best(t) if self.passing(t) is not None or top in self.seen[t] else top
                for t in range(self.tiles)
            ],
            dtype=np.int64,
        )


def preferred(k: int, d: float, other_k: int, other_d: float, threshold: float) -> bool:
    """Whether probe (k, d) is a better choice for a tile than (other_k, other_d).

    The one rule every search and the engine's kept probes follow: a pass beats a miss;
    between passes the smaller k wins; between misses the lower distortion, then the
    smaller k. Curves need not fall to the end, so a smaller k can miss by less than the
    largest one, and then it costs fewer tokens too.
    """
    passes, other_passes = d <= threshold, other_d <= threshold
    if passes != other_passes:
        return passes
    if passes:
        return k < other_k
    return (d, k) < (other_d, other_k)


def subset_probe(probe: Probe, tiles: int, coded: np.ndarray) -> Probe:
    """`probe` of `tiles` tiles seen as a probe of the `coded` tiles alone (the rest skipped)."""
    if len(coded) == tiles:
        return probe

    def probe_coded(requests: Sequence[np.ndarray]) -> list[np.ndarray]:
        full = [np.zeros(0, np.int64)] * tiles
        for tile, ks in zip(coded, requests, strict=True):
            full[tile] = ks
        answers = probe(full)
        return [answers[tile] for tile in coded]

    return probe_coded


def log_candidates(space: SearchSpace, count: int) -> np.ndarray:
    """Up to `count` distinct log-spaced k from min to max, both ends included."""
    points = np.geomspace(space.min_k, space.max_k, count)
    return np.unique(np.clip(np.round(points), space.min_k, space.max_k).astype(np.int64))


def rescue(ledger: Ledger) -> np.ndarray:
    """Probe every remaining k of near-miss tiles with no verified pass; return the choice."""
    space = ledger.space
    if not space.rescue:
        return ledger.choice()
    if space.rescue_points is None:
        sweep = range(space.min_k, space.max_k + 1)
        ledger.ask([sweep if near_miss(ledger, t) else [] for t in range(ledger.tiles)])
        return ledger.choice()
    # A capped rescue: its cost is bounded whatever the content (the medium preset). It
    # sweeps down from the top a few k per pass, so a far miss found on the way ends it.
    sweep = log_candidates(space, space.rescue_points)
    while True:
        requests = []
        for t in range(ledger.tiles):
            if not near_miss(ledger, t):
                requests.append([])
                continue
            left = [k for k in _plausible(ledger, t, sweep) if k not in ledger.seen[t]]
            requests.append(left[-RESCUE_STEP:])
        if not any(requests):
            return ledger.choice()
        ledger.ask(requests)


def _plausible(ledger: Ledger, tile: int, sweep: np.ndarray) -> np.ndarray:
    """The sweep's k above the largest k the tile missed by more than `rescue_within`."""
    space = ledger.space
    far = [k for k, d in ledger.seen[tile].items() if d > space.rescue_within * space.threshold]
    return sweep[sweep > max(far, default=0)]


def near_miss(ledger: Ledger, tile: int) -> bool:
    """Whether a tile has no verified pass but came within `rescue_within` of the target."""
    space = ledger.space
    if ledger.passing(tile) is not None:
        return False
    if math.isinf(space.rescue_within):  # also right for a zero threshold, where inf*0 is nan
        return True
    best = min(ledger.seen[tile].values(), default=0.0)
    return best <= space.rescue_within * space.threshold


def warm_start(space: SearchSpace, hint: np.ndarray, rel_tol: float) -> list[set[int]]:
    """Per tile, its k from the previous block and the k one tolerance step below it.

    A tile that ended on the largest k gets that k alone: it usually meets the target
    at no k, and then one probe settles it; if it passes, the search goes down anyway.
    """
    pairs = []
    for h in hint:
        k = space.clip(h)
        pairs.append({k} if k == space.max_k else {k, space.clip(k - gap(k, rel_tol))})
    return pairs


def gap(k: int, rel_tol: float) -> int:
    """How far below a passing k a failing one may be for the search to stop."""
    return max(1, int(rel_tol * k))


def crossing(k0: int, d0: float, k1: int, d1: float, tau: float) -> float:
    """Where the line through (log k, log d) at k0 and k1 meets the threshold."""
    if not (d0 > 0 and d1 > 0 and d0 > d1):
        return (k0 + k1) / 2
    frac = (math.log(d0) - math.log(tau)) / (math.log(d0) - math.log(d1))
    return math.exp(math.log(k0) + min(1.0, max(0.0, frac)) * (math.log(k1) - math.log(k0)))
