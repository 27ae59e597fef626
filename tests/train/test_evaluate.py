"""The eval search picks the smallest passing k, and its cached steps match a full pass."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.model.patching import patchify
from elastictok_cli.train.evaluate import (
    block_mse_at,
    candidate_counts,
    elastic_search,
    evaluate,
    format_table,
)


def test_candidates_are_every_k_or_log_spaced():
    np.testing.assert_array_equal(candidate_counts(1, 8, 32), np.arange(1, 9))
    grid = candidate_counts(16, 256, 32)
    assert grid[0] == 16 and grid[-1] == 256 and len(grid) <= 34
    assert np.all(np.diff(grid) > 0)


def test_search_is_the_smallest_passing_k_and_matches_a_full_pass():
    config = PRESETS["test"]
    graphdef, params = nnx.split(ElasticTok(config, rngs=nnx.Rngs(0)))
    sequence = np.asarray(jax.random.uniform(jax.random.PRNGKey(0), (3, 4, 16, 16, 3), minval=-1))
    candidates = candidate_counts(config.min_tokens, config.max_tokens, 32)
    # Thresholds from the first block's own MSE range, so some pass and some do not.
    first = np.array(
        [float(block_mse_at(graphdef, params, sequence[None, :1], k)[0, 0]) for k in candidates]
    )
    thresholds = (float(np.median(first)), float(first.min()) - 1.0, float(first.max()) + 1.0)
    chosen, met = elastic_search(graphdef, params, config, sequence, thresholds, candidates)
    assert chosen.shape == met.shape == (3, 3)
    passing = np.flatnonzero(first <= thresholds[0])
    assert chosen[0, 0] == candidates[passing[0]] and met[0, 0]
    assert not met[1].any() and np.all(chosen[1] == config.max_tokens)
    assert met[2].all() and np.all(chosen[2] == config.min_tokens)
    # The block-by-block cached search equals one full pass at the chosen counts.
    patches = patchify(jnp.asarray(sequence)[None], config)
    model = nnx.merge(graphdef, params)
    for row in range(3):
        recon = model(patches, jnp.asarray(chosen[row][None], jnp.int32))["recon"]
        mse = np.asarray(jnp.mean((recon - patches) ** 2, axis=(2, 3)))[0]
        assert np.all((mse <= thresholds[row] + 1e-6) == met[row])


def test_evaluate_reports_every_fraction_and_threshold():
    config = PRESETS["test"]
    graphdef, params = nnx.split(ElasticTok(config, rngs=nnx.Rngs(0)))
    blocks = np.zeros((2, 2, 4, 16, 16, 3), np.float32)
    # One flat sequence, one of noise: blocks of very different difficulty.
    blocks[1] = np.random.default_rng(0).uniform(-1, 1, blocks[1].shape)
    result = evaluate(graphdef, params, config, blocks)
    assert list(result["psnr_at"]) == ["1/16", "1/4", "1/2", "1"]
    assert result["blocks"] == 4
    # Pooling the MSE first never scores higher than averaging per-block PSNR (Jensen),
    # and is exactly the PSNR of the mean block MSE.
    full = np.asarray(block_mse_at(graphdef, params, blocks, config.max_tokens))
    assert result["pooled_psnr_at"]["1"] == pytest.approx(10 * np.log10(4 / full.mean()))
    for frac, psnr in result["pooled_psnr_at"].items():
        assert psnr < result["psnr_at"][frac]
    assert all(0.0 <= v <= 1.0 for v in result["share_meeting"].values())
    assert "| 0.007 |" in format_table(result)
