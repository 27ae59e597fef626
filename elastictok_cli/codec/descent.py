"""Trading optimized quality for tokens: which smaller k a tile tries next.

Token optimization (`codec.optimize`) lowers a tile's distortion at the k the search chose,
so under a quality target most tiles end with room to spare. The encoder then tries smaller
k for those tiles, optimized the same way, and keeps the smallest that still meets the
target. Each trial costs a full optimization, so the next k is predicted rather than
stepped: distortion falls roughly as a power of k, so it is extrapolated on log-log axes
from the optimized points measured so far, or interpolated once a trial has failed.
"""

from __future__ import annotations

import math

from elastictok_cli.codec.ledger import crossing, gap

ROUNDS = 3  # optimizations per tile beyond the first; each one costs as much again
REL_TOL = 0.02  # stop once the bracket is this close to its k: another trial saves little
SLOPE_RANGE = (0.25, 4.0)  # distortion ~ k^-slope; outside this a fit is noise
DEFAULT_SLOPE = 1.0  # with one point there is no slope to fit


def next_trial(seen: dict[int, float], threshold: float, min_k: int) -> int | None:
    """The next k to optimize a tile at, given its optimized (k -> distortion), or None.

    None when nothing measured meets the threshold, when the smallest passing k is the
    smallest allowed, or when the failing k below it is within REL_TOL of it.
    """
    passing = [k for k, d in seen.items() if d <= threshold]
    if not passing:
        return None
    best = min(passing)
    if best <= min_k:
        return None
    step = gap(best, REL_TOL)
    failing = [k for k in seen if k < best]
    if failing:
        low = max(failing)
        if best - low <= step:
            return None
        guess = crossing(low, seen[low], best, seen[best], threshold)
        return min(best - 1, max(low + 1, round(guess)))
    guess = best * (max(seen[best], 1e-12) / threshold) ** (1 / _slope(seen, best))
    trial = max(min_k, math.floor(guess))
    return trial if trial <= best - step else None


def _slope(seen: dict[int, float], best: int) -> float:
    """The local log-log slope at `best`, from the nearest larger k measured."""
    above = [k for k in seen if k > best]
    if not above:
        return DEFAULT_SLOPE
    k1 = min(above)
    d0, d1 = seen[best], seen[k1]
    if not (d0 > 0 and d1 > 0 and d0 > d1):
        return DEFAULT_SLOPE
    slope = math.log(d0 / d1) / math.log(k1 / best)
    return min(SLOPE_RANGE[1], max(SLOPE_RANGE[0], slope))
