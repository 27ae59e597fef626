"""Cut blocks of frames into patch tokens and put them back together."""

from __future__ import annotations

import jax.numpy as jnp

from elastictok_cli.model.config import ModelConfig


def patchify(blocks: jnp.ndarray, config: ModelConfig) -> jnp.ndarray:
    """(..., F, H, W, C) pixels -> (..., tokens, patch_dim), raster order over (t, h, w)."""
    tp, hp, wp = config.patch
    gt, gh, gw = config.grid
    lead = blocks.shape[:-4]
    channels = blocks.shape[-1]
    x = blocks.reshape(*lead, gt, tp, gh, hp, gw, wp, channels)
    n = len(lead)
    # Bring the grid axes forward and the within-patch axes last.
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3, n + 5, n + 6)
    x = x.transpose(order)
    return x.reshape(*lead, gt * gh * gw, tp * hp * wp * channels)


def unpatchify(tokens: jnp.ndarray, config: ModelConfig) -> jnp.ndarray:
    """(..., tokens, patch_dim) -> (..., F, H, W, C): the inverse of `patchify`."""
    tp, hp, wp = config.patch
    gt, gh, gw = config.grid
    lead = tokens.shape[:-2]
    channels = tokens.shape[-1] // (tp * hp * wp)
    x = tokens.reshape(*lead, gt, gh, gw, tp, hp, wp, channels)
    n = len(lead)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2, n + 5, n + 6)
    x = x.transpose(order)
    return x.reshape(*lead, gt * tp, gh * hp, gw * wp, channels)
