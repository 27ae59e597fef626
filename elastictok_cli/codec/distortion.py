"""What every encoder decision is judged by: a block decoded from codes, and its error."""

from __future__ import annotations

import jax.numpy as jnp

from elastictok_cli.model import streaming


def decode_distortion(model, dec_cache, patches, weight, codes, keep):
    """Decode one block per stream from codes (S, 1, T, d) at k (S, 1); its weighted MSE.

    patches and weight (S, T, P); the weight is 1 on real pixels and 0 on padding, so
    padding never counts. Returns distortion (S,), recon (S, T, P) and the decoder's new kv.
    """
    recon, kv = streaming.decode_step(model, dec_cache, codes, keep)
    err = jnp.sum(weight * (recon[:, 0] - patches) ** 2, axis=(1, 2))
    return err / jnp.sum(weight, axis=(1, 2)), recon[:, 0], tuple(x[:, :, 0] for x in kv)
