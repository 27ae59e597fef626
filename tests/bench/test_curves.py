"""Derived numbers on hand-made points: meeting curves, token savings, BD-rate."""

import math

import numpy as np
import pytest

from elastictok_cli.bench import curves
from elastictok_cli.bench.points import ELASTIC, FIXED, Point


def token_point(curve, value, keep, distortion, max_tokens=10):
    """A point with given per tile-block k and distortion."""
    return Point(
        curve, "x", value, "f", 100, 1000, 20.0, 0.5, 0.0, 0.0,
        keep=np.array(keep), distortion=np.array(distortion), max_tokens=max_tokens,
    )  # fmt: skip


def rd_point(curve, bpp, psnr):
    """A point with a given rate and quality (bytes chosen to give exactly that bpp)."""
    return Point(curve, "crf", 0, "f", int(bpp * 1000), 8000, psnr, 0.9, 0.0, 0.0)


def test_savings_ratio_by_hand():
    # Fixed k = 2, 6, 10 of 10: 0%, 50%, 100% of tile-blocks meet MSE 0.1.
    fixed = [
        token_point(FIXED, 2, [[2, 2]], [0.5, 0.2]),
        token_point(FIXED, 6, [[6, 6]], [0.05, 0.2]),
        token_point(FIXED, 10, [[10, 10]], [0.05, 0.08]),
    ]
    # The search: 1 tile-block meets with 3 tokens, the other misses at 10: 65% tokens, 50%.
    elastic = token_point(ELASTIC, 0.1, [[3, 10]], [0.09, 0.2])
    s = curves.token_savings(elastic, fixed, 0.1)
    assert s["share_meeting"] == 0.5 and s["elastic_token_share"] == 0.65
    # Fixed reaches 50% exactly at k = 6 (0.6 of max): 0.6 / 0.65.
    assert s["fixed_token_share"] == pytest.approx(0.6)
    assert s["ratio"] == pytest.approx(0.6 / 0.65)
    # 75% meeting would need halfway between k=6 (50%) and k=10 (100%): 0.8 of max.
    assert curves.tokens_to_reach(curves.fixed_meeting_curve(fixed, 0.1), 0.75) == (
        pytest.approx(0.8),
        "",
    )


def test_savings_reports_why_there_is_none():
    fixed = [token_point(FIXED, 10, [[10]], [0.5])]
    nobody = curves.token_savings(token_point(ELASTIC, 0.1, [[10]], [0.5]), fixed, 0.1)
    assert nobody["ratio"] is None and "no tile-block" in nobody["note"]
    never = curves.token_savings(token_point(ELASTIC, 0.1, [[4]], [0.05]), fixed, 0.1)
    assert never["ratio"] is None and "no fixed k" in never["note"]


def test_elastic_budget_curve_ends_at_the_encode():
    point = token_point(ELASTIC, 0.1, [[2, 6, 10]], [0.05, 0.1, 0.3])
    curve = curves.elastic_meeting_curve(point, 0.1)
    assert curve[0] == pytest.approx((0.2, 1 / 3))  # budget 2: every block cut to 2
    assert curve[-1] == pytest.approx((0.6, 2 / 3))  # the encode itself
    point.min_tokens = 1
    assert curves.elastic_meeting_curve(point, 0.1)[0] == pytest.approx((0.1, 0.0))


def test_bd_rate_of_half_the_bits_is_minus_fifty_percent():
    anchor = [rd_point("x264", b, q) for b, q in ((0.1, 28), (0.2, 31), (0.4, 34), (0.8, 37))]
    half = [rd_point("t", p.bpp / 2, p.psnr) for p in anchor]
    result = curves.bd_rate(anchor, half)
    assert result["percent"] == pytest.approx(-50.0, abs=1e-6)
    assert result["degree"] == 3 and result["psnr_range"] == [28, 37]


def bd_rate_by_hand(anchor, test):
    """Bjontegaard again, independently: log10 rates, cubic fits, a dense trapezoid sum."""
    fits, ranges = [], []
    for points in (anchor, test):
        q = np.array([p.psnr for p in points])
        r = np.log10([p.bpp for p in points])
        fits.append(np.polyfit(q, r, 3))
        ranges.append((q.min(), q.max()))
    low, high = max(r[0] for r in ranges), min(r[1] for r in ranges)
    grid = np.linspace(low, high, 20001)
    diff = np.polyval(fits[1], grid) - np.polyval(fits[0], grid)
    mean = np.sum((diff[1:] + diff[:-1]) / 2 * np.diff(grid)) / (high - low)
    return (10**mean - 1) * 100


def test_bd_rate_matches_a_hand_computation():
    anchor = [rd_point("x264", b, q) for b, q in ((0.1, 27), (0.25, 31), (0.5, 34.5), (1.1, 38))]
    test = [rd_point("t", b, q) for b, q in ((0.09, 28), (0.2, 31.5), (0.45, 35.5), (0.9, 39))]
    assert curves.bd_rate(anchor, test)["percent"] == pytest.approx(
        bd_rate_by_hand(anchor, test), abs=1e-3
    )


def test_bd_rate_without_overlap_says_so():
    anchor = [rd_point("x264", b, q) for b, q in ((0.1, 30), (0.2, 33))]
    low = [rd_point("t", b, q) for b, q in ((0.1, 10), (0.2, 12))]
    result = curves.bd_rate(anchor, low)
    assert result["percent"] is None and "no PSNR range" in result["note"]
    assert math.isnan(curves.tokens_to_reach([], 0.5)[0])
