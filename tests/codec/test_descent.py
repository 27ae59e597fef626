"""Which smaller k a tile with optimized tokens tries next (codec.descent)."""

import math

from hypothesis import given
from hypothesis import strategies as st

from elastictok_cli.codec import descent

T = 0.01  # threshold
MIN_K = 16


def test_nothing_passing_or_nothing_below_stops():
    assert descent.next_trial({256: 2 * T}, T, MIN_K) is None
    assert descent.next_trial({MIN_K: T / 2, 64: T / 4}, T, MIN_K) is None


def test_one_point_extrapolates_with_distortion_proportional_to_one_over_k():
    # Half the threshold at k = 200: d ~ 1/k meets it at k = 100.
    assert descent.next_trial({200: T / 2}, T, MIN_K) == 100
    # Far below the threshold the guess is clamped to the smallest k.
    assert descent.next_trial({40: T / 100}, T, MIN_K) == MIN_K


def test_a_point_just_under_the_threshold_is_not_worth_a_trial():
    assert descent.next_trial({200: 0.995 * T}, T, MIN_K) is None


def test_a_flat_curve_above_extrapolates_further_down():
    # From k = 100 to 200 the distortion fell by 2^0.5: slope 0.5, so half the threshold
    # at k = 100 is met at 100 * 0.5^(1 / 0.5) = 25.
    seen = {100: T / 2, 200: T / 2 / math.sqrt(2)}
    assert descent.next_trial(seen, T, MIN_K) == 25


def test_after_a_failed_trial_the_next_lies_inside_the_bracket():
    seen = {200: T / 2, 100: 1.5 * T}
    trial = descent.next_trial(seen, T, MIN_K)
    assert 100 < trial < 200
    # The log-log line through both points meets the threshold where it predicts.
    frac = math.log(1.5 / 1.0) / math.log(1.5 / 0.5)
    assert trial == round(math.exp(math.log(100) + frac * math.log(2)))


def test_a_bracket_within_the_tolerance_stops():
    assert descent.next_trial({200: T / 2, 197: 1.1 * T}, T, MIN_K) is None


@given(
    st.dictionaries(
        st.integers(MIN_K, 256), st.floats(1e-5, 1.0, allow_nan=False), min_size=1, max_size=6
    )
)
def test_a_trial_is_always_new_allowed_and_below_the_smallest_passing_k(seen):
    trial = descent.next_trial(seen, T, MIN_K)
    if trial is None:
        return
    best = min(k for k, d in seen.items() if d <= T)
    assert MIN_K <= trial < best
    assert trial not in seen
