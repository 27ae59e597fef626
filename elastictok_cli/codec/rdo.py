"""Rate-distortion choice of k: per tile, the k (or the skip) minimizing D + lambda * bpp.

D is the tile-block's MSE on the [-1, 1] scale and bpp its token bits per real pixel, so
lambda is a slope in MSE per bit per pixel. Distortion against k falls roughly as a power
of k but not convexly (it wobbles, and plateaus), so the cost is not unimodal. The search
copes by probing a log-spaced grid over the whole range first (with the tile's k from the
previous block and its neighbours when known), then halving the log-gap on both sides of
the cheapest k probed until the neighbours are within REL_TOL of it: a wobble can hide a
better k between two grid points, never a far one the grid did not see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from elastictok_cli.codec.ledger import Ledger, SearchSpace, gap, log_candidates

GRID = 6  # log-spaced k probed on a tile's first block
WARM_GRID = 4  # ...and on later blocks, beside the previous k and its neighbours
LOCAL = 1.25  # the previous k's neighbours: this factor below and above it
REL_TOL = 0.1  # refinement stops when the cheapest k's neighbours are this close


@dataclass
class BlockCurve:
    """Every option one block's search verified: per tile, k -> (D, bits); k = 0 skips."""

    pixels: np.ndarray  # (S,) real pixels of each tile-block: bits / pixels is its bpp
    options: list[dict[int, tuple[float, float]]] = field(default_factory=list)

    def __post_init__(self):
        """One empty table per tile."""
        self.options = self.options or [{} for _ in range(len(self.pixels))]
        self._flat = None

    def choose(self, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per tile the option minimizing D + lam * bits / pixels: (k, D, bits)."""
        tile, k, d, bits = self.flat()
        cost = d + lam * bits / self.pixels[tile]
        order = np.lexsort((k, cost, tile))
        first = order[np.unique(tile[order], return_index=True)[1]]
        return k[first].astype(np.int64), d[first], bits[first]

    def bits(self, lam: float) -> float:
        """Estimated token bits of the block at `lam`."""
        return float(self.choose(lam)[2].sum())

    def flat(self) -> tuple[np.ndarray, ...]:
        """(tile, k, D, bits) of every option, as arrays (cached once the search is over)."""
        if self._flat is None or len(self._flat[0]) != sum(map(len, self.options)):
            rows = [(t, k, d, b) for t, o in enumerate(self.options) for k, (d, b) in o.items()]
            self._flat = tuple(np.array(c, float) for c in zip(*rows, strict=True))
            self._flat = (self._flat[0].astype(np.int64), *self._flat[1:])
        return self._flat


class Scorer:
    """The engine's probe ranking in rate mode (`TileEngine.rank`): D + lam * bpp per probe."""

    def __init__(self, pricer, curve: BlockCurve, lam: float):
        """Record every probe into `curve`; rank by cost at `lam`."""
        self.pricer, self.curve, self.lam = pricer, curve, lam

    def __call__(self, streams, ks, dist, ids) -> np.ndarray:
        """Costs of the (tile, k) pairs of one model pass, recording D and bits of each."""
        bits = self.pricer.pair_bits(streams, ks, np.asarray(ids)[: len(ks)])
        for t, k, d, b in zip(streams.tolist(), ks.tolist(), dist.tolist(), bits, strict=True):
            self.curve.options[t][k] = (d, float(b))
        return dist + self.lam * bits / self.curve.pixels[streams]


def rd_search(probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """Per tile the cheapest k found: a log grid (plus the hint's neighbourhood), refined."""
    ledger = Ledger(probe, tiles, space)
    first = []
    for t in range(tiles):
        if hint is None or hint[t] <= 0:
            first.append(set(log_candidates(space, GRID).tolist()))
            continue
        near = {space.clip(hint[t] * f) for f in (1 / LOCAL, 1.0, LOCAL)}
        first.append(near | set(log_candidates(space, WARM_GRID).tolist()))
    ledger.ask(first)
    while True:
        requests = [_refine(ledger.seen[t], space) for t in range(tiles)]
        if not any(requests):
            break
        ledger.ask(requests)
    return np.array([min(s, key=lambda k: (s[k], k)) for s in ledger.seen], np.int64)


def _refine(seen: dict[int, float], space: SearchSpace) -> list[int]:
    """Geometric midpoints between the cheapest k and each probed neighbour still too far."""
    ks = sorted(seen)
    best = min(ks, key=lambda k: (seen[k], k))
    at = ks.index(best)
    out = []
    for other in ks[at - 1 : at] + ks[at + 1 : at + 2]:
        if abs(other - best) > max(gap(best, REL_TOL), 1):
            mid = space.clip(math.sqrt(other * best))
            if mid not in seen and mid != best:
                out.append(mid)
    return out
