"""A tile no k satisfies: the engine commits its closest miss without another model pass."""

import numpy as np
import pytest
from support.clips import moving_clip
from support.models import make_model_folder

from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.codec.ledger import Ledger, SearchSpace
from elastictok_cli.model import registry as model_registry


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return model_registry.load(str(make_model_folder(tmp_path_factory.mktemp("m") / "tiny")))


@pytest.fixture(scope="module")
def blocks(loaded):
    """Two blocks of a 32x16 clip (two tiles) as patches and weights."""
    config = loaded.config
    grid = grid_for(config, 32, 16)
    frames = np.stack(moving_clip(2 * config.frames_per_block, 16, 32))
    weight = real_weights(grid, config, config.frames_per_block)
    return [
        (block_patches(frames[i : i + config.frames_per_block], grid, config), weight)
        for i in (0, config.frames_per_block)
    ]


def first_block_choice(loaded, blocks, ks_of):
    """Search the first block against an unreachable target; return engine, ledger, code."""
    config = loaded.config
    engine = TileEngine(loaded.model, 2)
    engine.begin_block(*blocks[0], threshold=0.0)  # no k reaches zero error
    ledger = Ledger(engine.probe, 2, SearchSpace(config.min_tokens, config.max_tokens, 0.0))
    ledger.ask([ks_of(config), ks_of(config)])
    passes = engine.passes
    code = engine.finish_block(ledger.choice())
    return engine, ledger, code, engine.passes - passes


def every_k(config):
    return np.arange(config.min_tokens, config.max_tokens + 1)


def test_the_fallback_is_the_lowest_verified_distortion(loaded, blocks):
    _, ledger, code, extra = first_block_choice(loaded, blocks, every_k)
    for t, k in enumerate(code.keep):
        seen = ledger.seen[t]
        assert seen[k] == min(seen.values())
        assert code.distortion[t] == pytest.approx(seen[k])
    assert extra == 0  # the kept lowest-distortion probe is committed as it is


def test_an_unverified_largest_k_stays_the_fallback(loaded, blocks):
    config = loaded.config
    _, _, code, extra = first_block_choice(loaded, blocks, lambda c: [c.min_tokens])
    assert list(code.keep) == [config.max_tokens] * 2
    assert extra == 1  # the largest k was never probed, so committing it needs a pass


def test_committing_the_kept_probe_equals_probing_the_choice_again(loaded, blocks):
    engine, _, code, _ = first_block_choice(loaded, blocks, every_k)
    fresh = TileEngine(loaded.model, 2)
    fresh.begin_block(*blocks[0], threshold=0.0)
    again = fresh.finish_block(code.keep)  # nothing kept: a forced pass at these k
    for a, b in zip(code.ids, again.ids, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(code.recon, again.recon, atol=1e-6)
    # Both caches now hold the same first block, so the next block probes alike.
    ks = [np.array([loaded.config.min_tokens, loaded.config.max_tokens])] * 2
    for e in (engine, fresh):
        e.begin_block(*blocks[1], threshold=0.0)
    for a, b in zip(engine.probe(ks), fresh.probe(ks), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)
