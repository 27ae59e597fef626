"""Numbers derived from the measured points: meeting curves, token savings and BD-rate.

Everything here is a pure function of Point values, so a test can redo it by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from elastictok_cli.bench.points import Point


def share_meeting(point: Point, threshold: float) -> float:
    """Share of tile-blocks whose recorded distortion meets the threshold."""
    return float(np.mean(point.distortion <= threshold))


def fixed_meeting_curve(fixed: Sequence[Point], threshold: float) -> list[tuple[float, float]]:
    """(token share, share meeting) of each fixed-k point, by increasing k."""
    ordered = sorted(fixed, key=lambda p: p.value)
    return [(p.token_share, share_meeting(p, threshold)) for p in ordered]


def elastic_meeting_curve(point: Point, threshold: float) -> list[tuple[float, float]]:
    """The elastic encode's curve under a per-block budget b, for every k it chose.

    A tile-block that chose k <= b keeps its k and its measured distortion; one that
    needed more is cut to b and counted as missing, since k was the smallest passing
    one. The last point (b = max) is the encode itself. Capping would also change the
    context of later blocks; this reads the curve off one encode instead of rerunning.
    Budgets run from the model's smallest k (when known) to its largest.
    """
    keep, dist = point.keep.ravel(), point.distortion.ravel()
    meets = dist <= threshold
    curve = []
    ends = {point.max_tokens} | ({point.min_tokens} if point.min_tokens else set())
    for budget in sorted(set(keep.tolist()) | ends):
        used = np.minimum(keep, budget).mean() / point.max_tokens
        curve.append((float(used), float(np.mean(meets & (keep <= budget)))))
    return curve


def tokens_to_reach(curve: Sequence[tuple[float, float]], target: float) -> tuple[float, str]:
    """Smallest token share at which a fixed-k curve reaches `target` share meeting.

    Linear between measured points, first crossing. Returns (share, note): note is ""
    when interpolated, "smallest k reaches it" when the first point already does (so
    the true share may be lower), "never" when no point does.
    """
    if not curve or target > max(y for _, y in curve):
        return math.nan, "never"
    x0, y0 = curve[0]
    if y0 >= target:
        return x0, "smallest k reaches it"
    for (xa, ya), (xb, yb) in zip(curve, curve[1:], strict=False):
        if yb >= target > ya:
            return xa + (target - ya) * (xb - xa) / (yb - ya), ""
    return math.nan, "never"  # unreachable: the max check above found a point


def token_savings(elastic: Point, fixed: Sequence[Point], threshold: float) -> dict:
    """Fixed-k token share for the elastic encode's share of blocks meeting, over its own."""
    meeting = share_meeting(elastic, threshold)
    elastic_share = elastic.token_share
    result = {
        "threshold": threshold,
        "share_meeting": meeting,
        "elastic_token_share": elastic_share,
        "fixed_token_share": None,
        "ratio": None,
        "note": "",
    }
    if meeting == 0:
        result["note"] = "no tile-block meets it"
        return result
    needed, note = tokens_to_reach(fixed_meeting_curve(fixed, threshold), meeting)
    if note == "never":
        result["note"] = "no fixed k reaches that share"
        return result
    result["fixed_token_share"] = needed
    result["ratio"] = needed / elastic_share
    result["note"] = "upper bound: " + note if note else ""
    return result


def bd_rate(anchor: Sequence[Point], test: Sequence[Point]) -> dict:
    """Bjontegaard delta rate of `test` against `anchor`, percent (negative: fewer bits).

    The standard method: fit log(rate) as a cubic in PSNR per curve, integrate both
    over the PSNR range they share, and turn the mean log difference into a percent.
    Curves with fewer than 4 points are fitted with degree points - 1, and say so.
    """
    result = {"percent": None, "psnr_range": None, "degree": None, "note": ""}
    curves = []
    for points in (anchor, test):
        usable = [(p.psnr, math.log(p.bpp)) for p in points if math.isfinite(p.psnr) and p.bytes]
        psnrs = sorted({q for q, _ in usable})
        if len(psnrs) < 2:
            result["note"] = "a curve has fewer than 2 distinct PSNR values"
            return result
        curves.append(np.array(sorted(usable)))
    low = max(c[0, 0] for c in curves)
    high = min(c[-1, 0] for c in curves)
    if not high > low:
        result["note"] = "the curves share no PSNR range"
        return result
    degree = min(3, *(len(c) - 1 for c in curves))
    means = []
    for c in curves:
        integral = np.polyint(np.polyfit(c[:, 0], c[:, 1], degree))
        means.append((np.polyval(integral, high) - np.polyval(integral, low)) / (high - low))
    result["percent"] = float((math.exp(means[1] - means[0]) - 1) * 100)
    result["psnr_range"] = [float(low), float(high)]
    result["degree"] = degree
    if degree < 3:
        result["note"] = f"degree {degree} fit: a curve has fewer than 4 points"
    return result
