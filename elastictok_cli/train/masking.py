"""Elastic masking: how many tokens each training block keeps."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def sample_keep_counts(
    key: jax.Array, shape, min_tokens: int, max_tokens: int, full_share: float = 0.0
) -> jnp.ndarray:
    """Per block, independently, k uniform in [min_tokens, max_tokens], both ends included.

    k means exactly k kept tokens, as at inference (`kept_mask` keeps positions < k).
    With `full_share`, that share of the sequences (the leading axis) keeps every token in
    all its blocks. Uniform k almost never yields a window without a dropped token, and
    the model learns to lean on those constant tokens as an attention sink; without this
    share, its reconstructions at full length fall below those one token shorter.
    """
    counts = jax.random.randint(key, shape, min_tokens, max_tokens + 1, dtype=jnp.int32)
    if not full_share:
        # The counts alone, drawn from `key` itself: runs without a full share keep the
        # masks they always had, so they resume step for step.
        return counts
    full = jax.random.bernoulli(jax.random.fold_in(key, 1), full_share, shape[:1])
    return jnp.where(full.reshape(-1, *([1] * (len(shape) - 1))), max_tokens, counts)
