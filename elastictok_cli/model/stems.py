"""Pluggable patch embeddings (pixels -> width) and output heads (width -> pixels)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


class LinearEmbed(nnx.Module):
    """The paper's linear patch embedding."""

    def __init__(self, patch_dim: int, width: int, *, rngs: nnx.Rngs):
        self.proj = nnx.Linear(patch_dim, width, rngs=rngs)

    def __call__(self, patches):
        return self.proj(patches)


class MLPEmbed(nnx.Module):
    """A two-layer per-patch embedding: a little non-linearity before the transformer."""

    def __init__(self, patch_dim: int, width: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(patch_dim, 2 * width, rngs=rngs)
        self.proj = nnx.Linear(2 * width, width, rngs=rngs)

    def __call__(self, patches):
        return self.proj(jax.nn.gelu(self.hidden(patches)))


class LinearHead(nnx.Module):
    """The paper's linear output head, then tanh to [-1, 1] pixels."""

    def __init__(self, width: int, patch_dim: int, *, rngs: nnx.Rngs):
        self.proj = nnx.Linear(width, patch_dim, rngs=rngs)

    def __call__(self, features):
        return jnp.tanh(self.proj(features))


class MLPHead(nnx.Module):
    """A two-layer per-patch head, then tanh: cheap extra capacity where pixels are made."""

    def __init__(self, width: int, patch_dim: int, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(width, 2 * width, rngs=rngs)
        self.proj = nnx.Linear(2 * width, patch_dim, rngs=rngs)

    def __call__(self, features):
        return jnp.tanh(self.proj(jax.nn.gelu(self.hidden(features))))


class LinearPlusMLPEmbed(nnx.Module):
    """The linear embedding plus a two-layer per-patch MLP beside it (a residual branch).

    The linear map keeps the name `proj`, so a trained linear embedding's weights load into
    it unchanged, and a zero `out` makes the sum equal the linear embedding exactly.
    """

    def __init__(self, patch_dim: int, width: int, *, rngs: nnx.Rngs):
        self.proj = nnx.Linear(patch_dim, width, rngs=rngs)
        self.hidden = nnx.Linear(patch_dim, 2 * width, rngs=rngs)
        self.out = nnx.Linear(2 * width, width, rngs=rngs)

    def __call__(self, patches):
        return self.proj(patches) + self.out(jax.nn.gelu(self.hidden(patches)))


class LinearPlusMLPHead(nnx.Module):
    """The linear head plus a two-layer per-patch MLP beside it, then tanh (see the embed)."""

    def __init__(self, width: int, patch_dim: int, *, rngs: nnx.Rngs):
        self.proj = nnx.Linear(width, patch_dim, rngs=rngs)
        self.hidden = nnx.Linear(width, 2 * width, rngs=rngs)
        self.out = nnx.Linear(2 * width, patch_dim, rngs=rngs)

    def __call__(self, features):
        return jnp.tanh(self.proj(features) + self.out(jax.nn.gelu(self.hidden(features))))


EMBEDS = {"linear": LinearEmbed, "mlp": MLPEmbed, "linear+mlp": LinearPlusMLPEmbed}
HEADS = {"linear": LinearHead, "mlp": MLPHead, "linear+mlp": LinearPlusMLPHead}


def make_embed(kind: str, patch_dim: int, width: int, rngs: nnx.Rngs) -> nnx.Module:
    """Build the patch embedding named in the config."""
    if kind not in EMBEDS:
        raise ValueError(f"unknown patch embedding {kind!r}; choose from {', '.join(EMBEDS)}")
    return EMBEDS[kind](patch_dim, width, rngs=rngs)


def make_head(kind: str, width: int, patch_dim: int, rngs: nnx.Rngs) -> nnx.Module:
    """Build the output head named in the config."""
    if kind not in HEADS:
        raise ValueError(f"unknown output head {kind!r}; choose from {', '.join(HEADS)}")
    return HEADS[kind](width, patch_dim, rngs=rngs)
