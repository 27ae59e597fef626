"""The fast preset's k predictor: its file, its estimate of need, and the verify search."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elastictok_cli.codec import kpredict
from elastictok_cli.codec.ledger import SearchSpace
from elastictok_cli.model import registry

SPACE = SearchSpace(16, 256, 0.01, rescue=False, rescue_points=0)  # the fast preset's


def test_needed_scales_a_pass_by_its_room_and_sends_a_miss_to_the_top():
    need = kpredict.needed([100, 100, 100, 20], [0.005, 0.01, 0.02, 0.001], SPACE)
    assert need.tolist() == [50, 100, 256, 16]  # half the error: half the k; clipped at 16


def test_a_tile_that_missed_everywhere_starts_at_the_largest_k():
    predictor = kpredict.KPredictor.load(None)
    patches = np.zeros((3, 4, 8), np.float32)
    start = predictor.start(patches, patches, np.array([40.0, 256.0, 16.0]), 0.01, SPACE)
    assert start.tolist() == [40, 256, 16]  # without a file: the previous need itself


def test_first_blocks_and_later_blocks_use_their_own_features():
    patches = np.random.default_rng(0).uniform(-1, 1, (5, 4, 8))
    first = kpredict.features(patches, None, None, 0.01, SPACE)
    later = kpredict.features(patches, patches * 0.5, np.full(5, 64.0), 0.01, SPACE)
    assert first.shape == (5, len(kpredict.FIRST)) and later.shape == (5, len(kpredict.LATER))
    change = later[:, kpredict.LATER.index("log_change")]
    assert np.all(change > np.log(1e-3))  # the tiles changed, and the feature says so


def test_the_file_round_trips_and_a_foreign_one_is_refused(tmp_path):
    predictor = kpredict.KPredictor(
        kpredict.LinearK((-1.0, 0.1, 0.2, -0.3), 0.1),
        kpredict.LinearK((-0.5, 0.9, 0.0, 0.0, 0.1, -0.1), 0.05),
    )
    (tmp_path / kpredict.PREDICTOR_FILE).write_text(predictor.to_json())
    assert kpredict.KPredictor.load(tmp_path) == predictor
    data = json.loads(predictor.to_json())
    data["later"]["features"] = data["later"]["features"][:-1]
    (tmp_path / kpredict.PREDICTOR_FILE).write_text(json.dumps(data))
    with pytest.raises(ValueError, match="later"):
        kpredict.KPredictor.load(tmp_path)


def test_the_shipped_model_ships_a_predictor_for_these_features():
    folder = Path(registry.load(None).folder)
    assert (folder / kpredict.PREDICTOR_FILE).is_file()
    predictor = kpredict.KPredictor.load(folder)
    # Later blocks lean on what the previous block needed: more need, more k.
    assert predictor.later.weights[kpredict.LATER.index("log_prev_need")] > 0.3


@st.composite
def curves(draw):
    """Per tile a distortion curve over every k of SPACE, and a predicted k."""
    tiles = draw(st.integers(1, 4))
    n = SPACE.max_k - SPACE.min_k + 1
    out = []
    for _ in range(tiles):
        points = draw(st.lists(st.floats(0, 0.05), min_size=8, max_size=8))
        out.append(np.interp(np.arange(n), np.linspace(0, n - 1, 8), points))
    hint = draw(st.lists(st.integers(SPACE.min_k, SPACE.max_k), min_size=tiles, max_size=tiles))
    return out, np.array(hint)


@settings(max_examples=100, deadline=None)
@given(problem=curves())
def test_verify_keeps_a_passing_k_whenever_it_probed_one(problem):
    tile_curves, hint = problem
    probed = [set() for _ in tile_curves]

    def probe(requests):
        for seen, ks in zip(probed, requests, strict=True):
            seen.update(int(k) for k in ks)
        pairs = zip(tile_curves, requests, strict=True)
        return [c[np.asarray(ks, int) - SPACE.min_k] for c, ks in pairs]

    chosen = kpredict.verify(probe, len(tile_curves), SPACE, hint)
    for curve, seen, k in zip(tile_curves, probed, chosen, strict=True):
        assert k in seen
        if any(curve[j - SPACE.min_k] <= SPACE.threshold for j in seen):
            assert curve[k - SPACE.min_k] <= SPACE.threshold
            assert k == min(j for j in seen if curve[j - SPACE.min_k] <= SPACE.threshold)


def test_a_pass_with_room_to_spare_is_probed_once_further_down():
    k = np.arange(SPACE.min_k, SPACE.max_k + 1)
    curve = 1.0 / k  # meets 0.01 from k = 100 on
    asked = []

    def probe(requests):
        asked.append([list(map(int, ks)) for ks in requests])
        return [curve[np.asarray(ks, int) - SPACE.min_k] for ks in requests]

    # Tile 0 passes at 200 with half the error allowed; tile 1 passes at 101, just under.
    chosen = kpredict.verify(probe, 2, SPACE, np.array([200, 101]))
    assert asked[0] == [[200], [101]]
    low = asked[1][0]
    assert len(low) == 1 and 100 <= low[0] < 200 * (1 - kpredict.DOWN_SAVING)
    assert asked[1][1] == []  # no room below 101: no probe
    assert chosen.tolist() == [low[0], 101]


def test_the_clip_bias_scales_starts_by_the_median_need_of_tiles_that_passed():
    bias = kpredict.ClipBias()
    start = np.array([100, 100, 100, 100])
    assert bias.shift(start, SPACE).tolist() == [100, 100, 100, 100]  # no evidence yet
    need = np.array([50.0, 40.0, 60.0, 256.0])
    bias.update(start, need, passed=np.array([True, True, True, False]))
    assert bias.shift(start, SPACE).tolist() == [50, 50, 50, 50]  # the miss is left out
    assert bias.shift(np.array([20, 600]), SPACE).tolist() == [16, 256]  # within the range


def test_the_clip_bias_forgets_blocks_older_than_its_window():
    bias = kpredict.ClipBias()
    wide = np.full(100, 100)  # an old block of 100 tiles that needed a quarter...
    bias.update(wide, np.full(100, 25.0), np.ones(100, bool))
    for _ in range(kpredict.BIAS_BLOCKS):  # ...outvoting later blocks of 2, were it kept
        bias.update(np.array([100, 100]), np.array([50.0, 50.0]), np.array([True, True]))
    assert bias.shift(np.array([100, 100]), SPACE).tolist() == [50, 50]
