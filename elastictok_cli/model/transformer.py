"""A stack of transformer layers and the block-causal attention masks it runs under."""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from elastictok_cli.model.layers import TransformerLayer


def block_causal_mask(num_blocks: int, tokens_per_block: int, window: int) -> jnp.ndarray:
    """(1, N, N) mask: full attention inside a block, causal across blocks, `window` blocks back.

    Block i sees blocks max(0, i - window + 1) .. i, exactly what the streaming cache holds.
    """
    block = jnp.arange(num_blocks * tokens_per_block) // tokens_per_block
    offset = block[:, None] - block[None, :]
    return ((offset >= 0) & (offset < window))[None]


def cached_mask(valid: jnp.ndarray, slots: int, tokens_per_block: int) -> jnp.ndarray:
    """(B, T, slots*T + T) mask for one new block over `slots` cached blocks, right-aligned.

    valid (B,) counts how many of the most recent slots hold a real block.
    """
    slot = jnp.arange(slots * tokens_per_block) // tokens_per_block
    prefix = slot[None, :] >= (slots - valid[:, None])
    current = jnp.ones((valid.shape[0], tokens_per_block), dtype=bool)
    row = jnp.concatenate([prefix, current], axis=1)
    return jnp.broadcast_to(row[:, None, :], (valid.shape[0], tokens_per_block, row.shape[1]))


class Transformer(nnx.Module):
    """Pre-norm transformer; returns features and each layer's new keys and values."""

    def __init__(self, width, layers, heads, mlp_ratio, rope_base, *, rngs: nnx.Rngs):
        self.layers = nnx.List(
            [TransformerLayer(width, heads, mlp_ratio, rope_base, rngs=rngs) for _ in range(layers)]
        )
        self.norm = nnx.RMSNorm(width, rngs=rngs)

    def __call__(self, x, mask, positions, prefix=None):
        """prefix: None or (k, v) stacked over layers, each (L, B, m, heads, head_dim)."""
        new_keys, new_values = [], []
        for i, layer in enumerate(self.layers):
            layer_prefix = None if prefix is None else (prefix[0][i], prefix[1][i])
            x, (k, v) = layer(x, mask, positions, layer_prefix)
            new_keys.append(k)
            new_values.append(v)
        return self.norm(x), (jnp.stack(new_keys), jnp.stack(new_values))
