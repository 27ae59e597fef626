"""Bottlenecks as plain functions: FSQ (discrete tokens) and a diagonal Gaussian (VAE)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

_FSQ_EPS = 1e-3  # keeps tanh's bound just outside the outermost level, so it is reachable


def _levels(levels) -> jnp.ndarray:
    return jnp.asarray(levels, dtype=jnp.float32)


def _half_width(levels) -> jnp.ndarray:
    return jnp.floor(_levels(levels) / 2)


def fsq_bound(z: jnp.ndarray, levels) -> jnp.ndarray:
    """Squash z so that rounding yields exactly L integer values per dimension."""
    lv = _levels(levels)
    half = (lv - 1) * (1 + _FSQ_EPS) / 2
    offset = jnp.where(lv % 2 == 0, 0.5, 0.0)
    shift = jnp.arctanh(offset / half)
    return jnp.tanh(z + shift) * half - offset


def fsq_quantize(z: jnp.ndarray, levels) -> jnp.ndarray:
    """Round to the FSQ grid in [-1, 1] with a straight-through gradient."""
    bounded = fsq_bound(z, levels)
    rounded = bounded + jax.lax.stop_gradient(jnp.round(bounded) - bounded)
    return rounded / _half_width(levels)


def _basis(levels) -> np.ndarray:
    return np.cumprod((1, *levels[:-1])).astype(np.int64)


def fsq_codes_to_indices(codes: jnp.ndarray, levels) -> jnp.ndarray:
    """Grid codes (..., d) -> token ids (...,): the mixed-radix number of their digits."""
    digits = jnp.round(codes * _half_width(levels) + _half_width(levels)).astype(jnp.int32)
    return jnp.sum(digits * jnp.asarray(_basis(levels), dtype=jnp.int32), axis=-1)


def fsq_indices_to_codes(indices: jnp.ndarray, levels) -> jnp.ndarray:
    """Token ids (...,) -> grid codes (..., d) in [-1, 1]."""
    basis = jnp.asarray(_basis(levels), dtype=jnp.int32)
    digits = (indices[..., None].astype(jnp.int32) // basis) % jnp.asarray(levels, jnp.int32)
    return (digits.astype(jnp.float32) - _half_width(levels)) / _half_width(levels)


def vae_sample(moments: jnp.ndarray, key: jax.Array | None) -> jnp.ndarray:
    """Split (..., 2d) into mean and log-variance; sample when a key is given, else the mean."""
    mean, logvar = jnp.split(moments, 2, axis=-1)
    if key is None:
        return mean
    return mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape, mean.dtype)


def vae_kl(moments: jnp.ndarray) -> jnp.ndarray:
    """KL(q || N(0, I)) per token, summed over latent dimensions."""
    mean, logvar = jnp.split(moments, 2, axis=-1)
    return 0.5 * jnp.sum(jnp.exp(logvar) + mean**2 - 1.0 - logvar, axis=-1)
