"""Transformer building blocks: rotary positions, attention with a key/value prefix, SwiGLU."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


def rotary(x: jnp.ndarray, positions: jnp.ndarray, base: float) -> jnp.ndarray:
    """Rotate (B, n, heads, dim) features by their positions (n,) (RoPE, half-split form)."""
    half = x.shape[-1] // 2
    freqs = base ** (-jnp.arange(half, dtype=jnp.float32) / half)
    angles = positions.astype(jnp.float32)[:, None] * freqs[None, :]
    cos = jnp.cos(angles)[None, :, None, :]
    sin = jnp.sin(angles)[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1).astype(x.dtype)


class Attention(nnx.Module):
    """Multi-head self-attention over [cached prefix, current tokens] under a boolean mask."""

    def __init__(self, width: int, heads: int, rope_base: float, *, rngs: nnx.Rngs):
        self.heads = heads
        self.rope_base = rope_base
        self.qkv = nnx.Linear(width, 3 * width, use_bias=False, rngs=rngs)
        self.out = nnx.Linear(width, width, use_bias=False, rngs=rngs)

    def __call__(self, x, mask, positions, prefix=None):
        """x (B, n, width); mask (B|1, n, m+n); positions (m+n,); prefix: (k, v) (B, m, h, d).

        Returns the output and this call's un-rotated keys and values, which a cache stores:
        rotating at use time keeps cached keys valid when the window slides.
        """
        batch, n, width = x.shape
        head_dim = width // self.heads
        q, k, v = jnp.split(self.qkv(x).reshape(batch, n, 3 * self.heads, head_dim), 3, axis=2)
        new_kv = (k, v)
        if prefix is not None:
            k = jnp.concatenate([prefix[0], k], axis=1)
            v = jnp.concatenate([prefix[1], v], axis=1)
        q = rotary(q, positions[-n:], self.rope_base)
        k = rotary(k, positions, self.rope_base)
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(head_dim).astype(x.dtype)
        logits = jnp.where(mask[:, None], logits, jnp.finfo(logits.dtype).min)
        weights = jax.nn.softmax(logits, axis=-1)
        out = jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(batch, n, width)
        return self.out(out), new_kv


class SwiGLU(nnx.Module):
    """Gated MLP: down(silu(gate(x)) * up(x))."""

    def __init__(self, width: int, hidden: int, *, rngs: nnx.Rngs):
        self.gate_up = nnx.Linear(width, 2 * hidden, use_bias=False, rngs=rngs)
        self.down = nnx.Linear(hidden, width, use_bias=False, rngs=rngs)

    def __call__(self, x):
        gate, up = jnp.split(self.gate_up(x), 2, axis=-1)
        return self.down(jax.nn.silu(gate) * up)


class TransformerLayer(nnx.Module):
    """Pre-norm residual layer: attention then SwiGLU."""

    def __init__(self, width: int, heads: int, mlp_ratio: float, rope_base: float, *, rngs):
        hidden = int(mlp_ratio * width)
        self.attn_norm = nnx.RMSNorm(width, rngs=rngs)
        self.attn = Attention(width, heads, rope_base, rngs=rngs)
        self.mlp_norm = nnx.RMSNorm(width, rngs=rngs)
        self.mlp = SwiGLU(width, hidden, rngs=rngs)

    def __call__(self, x, mask, positions, prefix=None):
        attended, new_kv = self.attn(self.attn_norm(x), mask, positions, prefix)
        x = x + attended
        return x + self.mlp(self.mlp_norm(x)), new_kv
