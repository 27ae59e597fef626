"""Search strategies against exhaustive search, on fake distortion curves."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elastictok_cli.codec import search
from elastictok_cli.codec.ledger import Ledger, rescue


class FakeProbe:
    """Distortion curves d[tile][k - min_k], counting passes and probes."""

    def __init__(self, curves, min_k):
        self.curves = curves
        self.min_k = min_k
        self.passes = 0
        self.probes = 0

    def __call__(self, requests):
        self.passes += 1
        self.probes += sum(len(r) for r in requests)
        return [
            np.array([c[k - self.min_k] for k in ks])
            for c, ks in zip(self.curves, requests, strict=True)
        ]


def smallest_passing(curve, min_k, threshold):
    passing = [i for i, d in enumerate(curve) if d <= threshold]
    return min_k + passing[0] if passing else None


def closest_miss(curve, min_k):
    """The fallback of a tile no k satisfies: its lowest distortion, the smaller k on ties."""
    return min_k + int(np.argmin(curve))


@st.composite
def problems(draw, monotone=False):
    """A search space and, per tile, a distortion curve over every k in it."""
    min_k = draw(st.integers(1, 8))
    max_k = draw(st.integers(min_k, 90))
    tiles = draw(st.integers(1, 4))
    n = max_k - min_k + 1
    curves = []
    for _ in range(tiles):
        values = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
        curves.append(sorted(values, reverse=True) if monotone else values)
    threshold = draw(st.floats(0, 1))
    hint = draw(st.none() | st.lists(st.integers(min_k, max_k), min_size=tiles, max_size=tiles))
    # The unconditional guarantee; the default bounded rescue is tested on its own below.
    return search.SearchSpace(min_k, max_k, threshold, rescue_within=math.inf), curves, hint


@pytest.mark.parametrize("name", search.STRATEGIES)
@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_no_tile_misses_a_target_some_k_meets(name, problem):
    space, curves, hint = problem
    probe = FakeProbe(curves, space.min_k)
    hint = None if hint is None else np.array(hint)
    chosen = search.run_search(name, probe, len(curves), space, hint)
    for curve, k in zip(curves, chosen, strict=True):
        assert space.min_k <= k <= space.max_k
        best = smallest_passing(curve, space.min_k, space.threshold)
        if best is None:
            assert k == closest_miss(curve, space.min_k)
        else:
            assert curve[k - space.min_k] <= space.threshold
            assert k >= best


@settings(max_examples=150, deadline=None)
@given(problem=problems())
def test_exhaustive_returns_the_smallest_passing_k(problem):
    space, curves, _ = problem
    chosen = search.exhaustive(FakeProbe(curves, space.min_k), len(curves), space)
    for curve, k in zip(curves, chosen, strict=True):
        best = smallest_passing(curve, space.min_k, space.threshold)
        assert k == (closest_miss(curve, space.min_k) if best is None else best)


@pytest.mark.parametrize("name", ["gallop", "binary"])
@settings(max_examples=150, deadline=None)
@given(problem=problems(monotone=True))
def test_on_monotone_curves_the_answer_is_within_tolerance(name, problem):
    space, curves, hint = problem
    probe = FakeProbe(curves, space.min_k)
    hint = None if hint is None else np.array(hint)
    chosen = search.run_search(name, probe, len(curves), space, hint)
    for curve, k in zip(curves, chosen, strict=True):
        best = smallest_passing(curve, space.min_k, space.threshold)
        if best is None:
            assert k == closest_miss(curve, space.min_k)
        elif name == "binary":
            assert k == best
        else:
            assert k - best <= max(1, int(search.GALLOP_TOLERANCE * k))


def test_binary_never_returns_an_unverified_k():
    # Monotone except one dip: the paper's binary search ends on a failing k here.
    curve = [0.9] * 10 + [0.5, 0.05, 0.5, 0.5, 0.05] + [0.01] * 17
    space = search.SearchSpace(1, len(curve), 0.1)
    chosen = search.binary(FakeProbe([curve], 1), 1, space)
    assert curve[chosen[0] - 1] <= 0.1


def test_a_steady_tile_settles_in_one_pass_with_predict():
    k = np.arange(1, 257)
    curve = list(1.0 / k)
    space = search.SearchSpace(1, 256, 1.0 / 100)
    probe = FakeProbe([curve], 1)
    chosen = search.run_search("predict", probe, 1, space, hint=np.array([100]))
    assert chosen[0] == 100 and probe.passes == 1 and probe.probes == 2


def test_gallop_settles_a_steady_tile_from_one_probe_of_its_hint():
    # The hint alone first; one pass below it closes the bracket [99, 100].
    k = np.arange(1, 257)
    asked = []
    probe = FakeProbe([list(1.0 / k)], 1)
    chosen = search.gallop(
        lambda requests: asked.append(list(requests[0])) or probe(requests),
        1,
        search.SearchSpace(1, 256, 1.0 / 100),
        np.array([100]),
    )
    assert chosen[0] == 100 and asked[0] == [100] and probe.passes == 2 and probe.probes == 3


@pytest.mark.parametrize("name", ["predict", "gallop"])
def test_a_tile_no_k_satisfies_settles_with_one_probe(name):
    # Hinted at the largest k, which fails: nothing else is worth probing.
    curve = [0.5] * 256
    space = search.SearchSpace(1, 256, 0.1, rescue=False)
    probe = FakeProbe([curve], 1)
    chosen = search.run_search(name, probe, 1, space, hint=np.array([256]))
    assert chosen[0] == 256 and probe.probes == 1


@pytest.mark.parametrize("name", search.STRATEGIES)
def test_a_curve_rising_at_its_end_falls_back_to_its_lowest_point(name):
    # No k meets the target, and the largest k is worse than k = 200: take the cheaper, better.
    # The near miss (1.1x to 1.2x) makes the default rescue sweep every k.
    k = np.arange(1, 257)
    curve = list(np.where(k <= 200, 0.05 + 1.0 / k, 0.06))
    space = search.SearchSpace(1, 256, 0.05)
    chosen = search.run_search(name, FakeProbe([curve], 1), 1, space, hint=np.array([256]))
    assert chosen[0] < 256 and curve[chosen[0] - 1] < curve[-1]


def drifting_tiles(blocks=40, tiles=6, seed=0):
    """Per block, curves d(k) ~ 1/k of tiles whose difficulty drifts, as on real video."""
    rng = np.random.default_rng(seed)
    k = np.arange(16, 257)
    scale = rng.uniform(0.3, 1.8, tiles)
    for _ in range(blocks):
        scale = np.clip(scale * np.exp(rng.normal(0, 0.1, tiles)), 0.2, 1.8)
        yield [list(0.36 * s / k) for s in scale]


def test_warm_started_searches_need_few_passes_and_stay_within_2_percent():
    space = search.SearchSpace(16, 256, 0.003)
    names = ("predict", "gallop", "binary")
    passes = dict.fromkeys(names, 0)
    tokens = dict.fromkeys((*names, "exhaustive"), 0)
    hints = dict.fromkeys(names)
    for curves in drifting_tiles():
        for name in names:
            probe = FakeProbe(curves, 16)
            chosen = search.run_search(name, probe, 6, space, hints[name])
            passes[name] += probe.passes
            tokens[name] += chosen.sum()
            hints[name] = chosen if name != "binary" else None
        tokens["exhaustive"] += search.exhaustive(FakeProbe(curves, 16), 6, space).sum()
    assert passes["predict"] <= 3 * 40 and passes["gallop"] <= 3.2 * 40 < passes["binary"]
    for name in names:
        assert tokens[name] <= 1.02 * tokens["exhaustive"], name


def test_predict_never_spends_more_than_its_pass_budget_before_rescue():
    # Curves with a kink the log-log prediction gets wrong still end within 3 passes.
    k = np.arange(16, 257)
    curves = [list(np.where(k < 120, 0.5, 0.002) * 1.0), list(0.36 / k), list(9.0 / k**2)]
    space = search.SearchSpace(16, 256, 0.003, rescue=False)
    probe = FakeProbe(curves, 16)
    chosen = search.predict(probe, 3, space, np.array([40, 200, 16]))
    assert probe.passes <= 3
    for curve, c in zip(curves, chosen, strict=True):
        assert curve[c - 16] <= 0.003


def test_unknown_strategy_is_refused():
    with pytest.raises(ValueError, match="unknown search"):
        search.run_search("psychic", FakeProbe([[0.0]], 1), 1, search.SearchSpace(1, 1, 0.1))


def test_bounded_rescue_sweeps_near_misses_only():
    # Two tiles failing at every probed k: one misses by 1.2x with a hidden passing dip,
    # the other misses by 10x with the same dip. Only the near miss is swept.
    near = [0.12] * 20 + [0.05] + [0.12] * 11
    far = [1.0] * 20 + [0.05] + [1.0] * 11
    space = search.SearchSpace(1, len(near), 0.1)
    probe = FakeProbe([near, far], 1)
    chosen = search.gallop(probe, 2, space, np.array([32, 32]))
    assert chosen[0] == 21
    assert chosen[1] == len(far)


def test_a_capped_rescue_skips_k_below_a_far_miss():
    # Falls to 1.1x the target at the largest k; 3x at k = 100. A capped sweep probes no
    # k below 100 (the curve would have to dip from 3x), an uncapped one probes them all.
    k = np.arange(16, 257)
    curve = list(np.where(k < 100, 0.5, np.where(k < 200, 0.03, 0.011)))
    asked = []
    for points in (12, None):
        space = search.SearchSpace(16, 256, 0.01, rescue_points=points)
        ledger = Ledger(FakeProbe([curve], 16), 1, space)
        ledger.ask([[100, 256]])
        rescue(ledger)
        asked.append(sorted(ledger.seen[0]))
    capped, full = asked
    assert min(capped) == 100 and len(capped) > 2  # swept, but only above the far miss
    assert len(full) == len(k)


def test_a_capped_rescue_sweeps_down_and_stops_at_the_first_far_miss():
    # Just over the target from k = 150 up, 3x below: the top-down sweep (16, 21, ..., 93,
    # 120, 155, 199, 256) meets 3x in its first pass of four and probes nothing lower.
    k = np.arange(16, 257)
    curve = list(np.where(k < 150, 0.03, 0.011))
    space = search.SearchSpace(16, 256, 0.01, rescue_points=12)
    probe = FakeProbe([curve], 16)
    ledger = Ledger(probe, 1, space)
    ledger.ask([[256]])
    rescue(ledger)
    assert sorted(ledger.seen[0]) == [93, 120, 155, 199, 256] and probe.passes == 2


def test_unbounded_rescue_also_sweeps_at_a_zero_threshold():
    # inf * 0 is nan: the unconditional rescue must not depend on that product.
    space = search.SearchSpace(1, 3, 0.0, rescue_within=math.inf)
    chosen = search.binary(FakeProbe([[0.0, 1.0, 1.0]], 1), 1, space)
    assert chosen[0] == 1


def test_gallop_looks_below_a_bracket_on_a_flat_wobbling_curve():
    # Shaped like a real tile: flat near the threshold, passing from k=26 up, with a bump
    # just over it at 41-45. The tile moved from k=49, so its bracket closes on the bump;
    # one look 10% further down finds the passing run below.
    k = np.arange(16, 257)
    curve = np.select(
        [k <= 25, k <= 40, k <= 45, k <= 48], [0.0306, 0.0290, 0.0302, 0.0299], 0.9 / k
    )
    curve = np.where(k > 48, np.minimum(0.0298, 0.9 / k), curve)
    space = search.SearchSpace(16, 256, 0.03)
    chosen = search.gallop(FakeProbe([list(curve)], 16), 1, space, np.array([49]))
    assert chosen[0] <= 40 and curve[chosen[0] - 16] <= 0.03


def test_gallop_does_not_look_below_on_a_steep_curve():
    # d ~ 1/k falls fast enough across a bracket that a passing run below is implausible.
    k = np.arange(16, 257)
    asked = []
    probe = FakeProbe([list(0.36 / k)], 16)
    chosen = search.gallop(
        lambda requests: asked.extend(requests[0]) or probe(requests),
        1,
        search.SearchSpace(16, 256, 0.003),
        np.array([100]),
    )
    # The bracket closes within 3% ([119, 120]) and nothing is probed below the hint.
    assert chosen[0] == 120 and min(asked) == 100
