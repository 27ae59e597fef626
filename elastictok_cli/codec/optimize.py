"""Token optimization: better token ids for the same decoder, found by gradient descent.

The encoder predicts a block's latents in one pass; the decoder is what the reader runs.
Optimization keeps the chosen k and the decoder fixed and moves the latents a few Adam steps
down the block's own reconstruction error, rounding to the FSQ grid on the way
(straight-through), the way learned image codecs close their amortization gap. The file
format does not change: a decoder cannot tell optimized ids from the encoder's own.
Per tile it keeps the best ids it measured, the encoder's own among them, so a tile's
distortion never rises.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from elastictok_cli.codec.distortion import decode_distortion
from elastictok_cli.model import streaming
from elastictok_cli.model.bottleneck import (
    fsq_codes_to_indices,
    fsq_indices_to_codes,
    fsq_quantize,
)

DEFAULT_RATE = 0.05  # Adam step on the pre-bottleneck latents (tanh-bounded per level)


@partial(jax.jit, static_argnums=(0, 7))
def optimize_block(graphdef, state, enc_cache, dec_cache, patches, weight, keep, steps, rate):
    """Optimize one block of every stream at its k: token ids, reconstruction, distortion, kv.

    patches and weight (S, T, P); keep (S,). The caches are the streams' committed context.
    Returns ids (S, T), recon (S, T, P), distortion (S,) and the encoder's and decoder's
    new kv at that k: a probe's entry, ready to commit.
    """
    model = nnx.merge(graphdef, state)
    levels = model.config.fsq_levels
    ks = keep[:, None]
    latents, enc_kv = streaming.encode_latents(model, enc_cache, patches, ks)
    optimizer = optax.adam(rate)

    def measure(z):
        codes = fsq_quantize(z, levels)
        return decode_distortion(model, dec_cache, patches, weight, codes, ks)[0]

    def total(z):
        # Tiles are independent streams: the sum's gradient is each tile's own gradient.
        dist = measure(z)
        return jnp.sum(dist), dist

    def step(carry, _):
        z, opt_state, best_z, best_d = carry
        (_, dist), grad = jax.value_and_grad(total, has_aux=True)(z)
        better = dist < best_d
        best_z = jnp.where(better[:, None, None, None], z, best_z)
        best_d = jnp.where(better, dist, best_d)
        updates, opt_state = optimizer.update(grad, opt_state, z)
        return (optax.apply_updates(z, updates), opt_state, best_z, best_d), None

    start = (latents, optimizer.init(latents), latents, jnp.full(keep.shape, jnp.inf))
    (z, _, best_z, best_d), _ = jax.lax.scan(step, start, None, length=steps)
    last = measure(z)  # the last update was never measured inside the loop
    best_z = jnp.where((last < best_d)[:, None, None, None], z, best_z)
    # Decode from the ids, exactly as the reader will.
    ids = fsq_codes_to_indices(fsq_quantize(best_z, levels), levels)
    codes = fsq_indices_to_codes(ids, levels)
    dist, recon, dec_kv = decode_distortion(model, dec_cache, patches, weight, codes, ks)
    return ids[:, 0], recon, dist, tuple(x[:, :, 0] for x in enc_kv), dec_kv
