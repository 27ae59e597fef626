"""Per-tile entries of a model pass (ids, recon, distortion, encoder kv, decoder kv).

An entry holds one pair per tile; a pass's outputs hold one per (tile, k) pair. These pick
pairs out of outputs and blend them into entries, on whichever axis a leaf keeps pairs.
"""

from __future__ import annotations

from functools import partial

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


@partial(jax.jit, static_argnums=1)
def blank(outputs, tiles: int):
    """Zeroed entries for `tiles` tiles, shaped like a pass's outputs."""

    def zeros(x):
        shape = list(x.shape)
        shape[pair_axis(x)] = tiles
        return jnp.zeros(shape, x.dtype)

    return jax.tree.map(zeros, outputs)


# Donated: the entries are rewritten in place, so keeping a few pairs costs those pairs, not
# a copy of every tile's keys and values (about 250 MB at 640x480, 70 ms a pass).
@partial(jax.jit, donate_argnums=0)
def put(store, outputs, target):
    """Write output pair i into the entry of tile target[i]; out-of-range targets are dropped."""

    def write(old, new):
        if pair_axis(old) == 0:
            return old.at[target].set(new, mode="drop")
        return old.at[:, target].set(new, mode="drop")

    return jax.tree.map(write, store, outputs)


def map_pairs(fn, pairs, chunk: int):
    """`fn` over the pairs (arrays on axis 0) `chunk` at a time, outputs joined on pair axes.

    XLA on a CPU runs one wide batch out of cache: attention's (pairs, heads, T, 2T) logits
    of 80 tiles are 168 MB a layer, and a pass ran 3x slower per pair than a few pairs
    looped (benchmarks/RESULTS.md, "Codec speed"). The pair count must divide by `chunk`.
    """
    count = jax.tree.leaves(pairs)[0].shape[0]
    steps = count // chunk
    out = jax.lax.map(fn, jax.tree.map(lambda x: x.reshape(steps, chunk, *x.shape[1:]), pairs))

    def join(x):
        axis = pair_axis(x[0])
        x = jnp.moveaxis(x, 0, axis)
        return x.reshape(*x.shape[:axis], steps * chunk, *x.shape[axis + 2 :])

    return jax.tree.map(join, out)
