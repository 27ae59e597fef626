"""Elastic masking: how many tokens each training block keeps."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def sample_keep_counts(key: jax.Array, shape, min_tokens: int, max_tokens: int) -> jnp.ndarray:
    """Per block, independently, k uniform in [min_tokens, max_tokens], both ends included.

    k means exactly k kept tokens, as at inference (`kept_mask` keeps positions < k).
    """
    return jax.random.randint(key, shape, min_tokens, max_tokens + 1, dtype=jnp.int32)
