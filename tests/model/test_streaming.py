"""Incremental block-by-block operation with the cache equals one full pass."""

import jax.numpy as jnp
import numpy as np
from support.streaming import stream_through

from elastictok_cli.model import streaming


def test_incremental_equals_full_pass(model, config, patches, keep):
    full = model(patches, keep)
    codes, recon = stream_through(model, config, patches, keep)
    np.testing.assert_allclose(codes, full["codes"], atol=1e-5)
    np.testing.assert_allclose(recon, full["recon"], atol=1e-4)


def test_batched_probes_match_single_probes(model, config, patches):
    enc = streaming.empty_cache(config, 2, decoder=False)
    first = jnp.full((2, 1), 4, jnp.int32)
    _, kv = streaming.encode_step(model, enc, patches[:, 0], first)
    enc = streaming.commit(enc, kv, jnp.zeros((2,), jnp.int32))
    candidates = jnp.array([[1, 3, 8], [2, 5, 8]], jnp.int32)
    batched, _ = streaming.encode_step(model, enc, patches[:, 1], candidates)
    for p in range(candidates.shape[1]):
        single, _ = streaming.encode_step(model, enc, patches[:, 1], candidates[:, p : p + 1])
        np.testing.assert_allclose(batched[:, p], single[:, 0], atol=1e-5)


def test_cost_per_block_is_bounded(config):
    cache = streaming.empty_cache(config, 3, decoder=False)
    assert cache.keys.shape[2] == (config.context_blocks - 1) * config.max_tokens
