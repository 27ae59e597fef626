"""Per-tile entries of a model pass (ids, recon, distortion, encoder kv, decoder kv).

An entry holds one pair per tile; a pass's outputs hold one per (tile, k) pair. These pick
pairs out of outputs and blend them into entries, on whichever axis a leaf keeps pairs.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from elastictok_cli.model import streaming


def gather_cache(cache: streaming.KVCache, streams) -> streaming.KVCache:
    """The cache rows of the given streams, one per probe."""
    return streaming.KVCache(cache.keys[:, streams], cache.values[:, streams], cache.valid[streams])


def take(tree, index):
    """Select entries of every leaf along its pair axis."""
    return jax.tree.map(lambda x: jnp.take(x, index, axis=pair_axis(x)), tree)


def pair_axis(x) -> int:
    """kv leaves are (layers, N, T, h, d); everything else is pair-first."""
    return 1 if x.ndim == 5 else 0


def adopt(store, outputs, src: np.ndarray):
    """Per tile, the output pair `src[t]` where it is >= 0, else the stored entry."""
    if not (src >= 0).any():
        return store
    return _select(store, outputs, jnp.asarray(np.maximum(src, 0)), jnp.asarray(src >= 0))


@jax.jit
def _select(store, outputs, src, where):
    """Per tile, the output pair `src` where `where`, else the stored entry."""
    picked = take(outputs, src)

    def blend(old, new):
        axis = pair_axis(old)
        shape = [1] * old.ndim
        shape[axis] = where.shape[0]
        return jnp.where(where.reshape(shape), new, old)

    return jax.tree.map(blend, store, picked)
