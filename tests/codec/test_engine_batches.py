"""The compiled shapes of a model pass: two for every probe, and no pair leaks into another."""

import numpy as np
import pytest
from support.clips import moving_clip
from support.models import make_model_folder

from elastictok_cli.codec.engine import CALL_SIZES, PASS_CHUNK, TileEngine, batch_size, call_plan
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.model import registry as model_registry


def test_a_pass_runs_as_the_two_call_sizes_padding_less_than_a_chunk():
    for pairs in range(1, 300):
        plan = call_plan(pairs)
        assert set(plan) <= set(CALL_SIZES)
        assert 0 <= sum(plan) - pairs < PASS_CHUNK
        assert plan == sorted(plan, reverse=True)


def test_optimization_calls_fit_their_batch_within_the_limit():
    for limit in (6, 32):
        for pairs in range(1, limit + 1):
            assert pairs <= batch_size(pairs, limit) <= limit


def test_optimization_padding_wastes_at_most_a_third():
    assert batch_size(6, 32) == 6 and batch_size(12, 32) == 12
    for pairs in range(1, 33):
        size = batch_size(pairs, 32)
        assert (size - pairs) / size < 1 / 3


@pytest.fixture(scope="module")
def engine_and_block(tmp_path_factory):
    """A tiny model's engine over a 32x16 clip (two tiles) and its first block."""
    loaded = model_registry.load(str(make_model_folder(tmp_path_factory.mktemp("m") / "tiny")))
    config = loaded.config
    grid = grid_for(config, 32, 16)
    frames = np.stack(moving_clip(config.frames_per_block, 16, 32))
    block = (block_patches(frames, grid, config), real_weights(grid, config, len(frames)))
    return TileEngine(loaded.model, 2), block, config


def test_a_probe_measures_the_same_however_its_pass_is_split(engine_and_block):
    engine, block, config = engine_and_block
    ks = np.arange(config.min_tokens, config.max_tokens + 1)[:21]  # 42 pairs: 16+16+4+4+4 (+2)
    engine.begin_block(*block, threshold=0.0)
    together = engine.probe([ks, ks[::-1]])
    one_by_one = [[engine.probe([[k], []])[0][0] for k in ks], []]
    one_by_one[1] = [engine.probe([[], [k]])[1][0] for k in ks[::-1]]
    for a, b in zip(together, one_by_one, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
