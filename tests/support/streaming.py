"""Run a model block by block through the streaming caches, as the codec does."""

import jax.numpy as jnp

from elastictok_cli.model import streaming


def stream_through(model, config, patches, keep):
    """Encode then decode every block in order, committing each as it goes."""
    streams = patches.shape[0]
    enc = streaming.empty_cache(config, streams, decoder=False)
    dec = streaming.empty_cache(config, streams, decoder=True)
    codes_out, recon_out = [], []
    chosen = jnp.zeros((streams,), jnp.int32)
    for b in range(patches.shape[1]):
        k = keep[:, b : b + 1]
        codes, enc_kv = streaming.encode_step(model, enc, patches[:, b], k)
        recon, dec_kv = streaming.decode_step(model, dec, codes, k)
        enc = streaming.commit(enc, enc_kv, chosen)
        dec = streaming.commit(dec, dec_kv, chosen)
        codes_out.append(codes[:, 0])
        recon_out.append(recon[:, 0])
    return jnp.stack(codes_out, 1), jnp.stack(recon_out, 1)
