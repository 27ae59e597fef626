"""Block-by-block operation with key/value caches, and batched probes of several k per block.

The cache of a stream holds the keys and values of its last `context_blocks - 1` committed
blocks (right-aligned slots, oldest first), so every block costs the same however long the
video is. A full pass under `block_causal_mask` computes exactly what these steps compute.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.elastictok import ElasticTok, kept_mask
from elastictok_cli.model.transformer import cached_mask


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class KVCache:
    """Keys and values (layers, streams, slots*T, heads, head_dim) and valid slot counts."""

    keys: jnp.ndarray
    values: jnp.ndarray
    valid: jnp.ndarray  # (streams,) int32

    @property
    def slots_tokens(self) -> int:
        """Cached token positions per stream."""
        return self.keys.shape[2]


def empty_cache(config: ModelConfig, streams: int, *, decoder: bool) -> KVCache:
    """A cache for `streams` independent token streams with nothing committed."""
    layers = config.decoder_layers if decoder else config.encoder_layers
    width = config.dec_width if decoder else config.width
    heads = config.dec_heads if decoder else config.heads
    slots = config.context_blocks - 1
    shape = (layers, streams, slots * config.max_tokens, heads, width // heads)
    return KVCache(jnp.zeros(shape), jnp.zeros(shape), jnp.zeros((streams,), jnp.int32))


def _prefix_inputs(cache: KVCache, probes: int, tokens: int):
    """Repeat each stream's cache for its probes; build the mask and positions of a step."""
    keys = jnp.repeat(cache.keys, probes, axis=1)
    values = jnp.repeat(cache.values, probes, axis=1)
    valid = jnp.repeat(cache.valid, probes)
    slots = cache.slots_tokens // tokens
    mask = cached_mask(valid, slots, tokens)
    positions = jnp.arange(cache.slots_tokens + tokens)
    return (keys, values), mask, positions


def encode_latents(model: ElasticTok, cache: KVCache, patches, keep_counts):
    """The encoder's latents before the bottleneck (S, K, T, d) and each probe's new kv."""
    streams, probes = keep_counts.shape
    tokens = patches.shape[1]
    prefix, mask, positions = _prefix_inputs(cache, probes, tokens)
    flat_patches = jnp.repeat(patches, probes, axis=0)
    kept = kept_mask(keep_counts.reshape(-1), tokens)
    latents, (k, v) = model.encoder_pass(flat_patches, kept, mask, positions, prefix)
    shaped = latents.reshape(streams, probes, tokens, -1)
    return shaped, _split_probes((k, v), streams, probes)


def encode_step(model: ElasticTok, cache: KVCache, patches, keep_counts):
    """Encode one block per stream at several candidate k, all sharing the committed cache.

    patches (S, T, P); keep_counts (S, K). Returns codes (S, K, T, d) and the new keys and
    values (layers, S, K, T, heads, head_dim) of each probe, ready for `commit`.
    """
    latents, kv = encode_latents(model, cache, patches, keep_counts)
    codes, _ = model.quantize(latents)
    return codes, kv


def decode_step(model: ElasticTok, cache: KVCache, codes, keep_counts):
    """Decode one block per stream at several k: codes (S, K, T, d) -> patches (S, K, T, P)."""
    streams, probes = keep_counts.shape
    tokens = codes.shape[2]
    prefix, mask, positions = _prefix_inputs(cache, probes, tokens)
    kept = kept_mask(keep_counts.reshape(-1), tokens)
    flat_codes = codes.reshape(streams * probes, tokens, -1)
    patches, (k, v) = model.decoder_pass(flat_codes, kept, mask, positions, prefix)
    return patches.reshape(streams, probes, tokens, -1), _split_probes((k, v), streams, probes)


def _split_probes(kv, streams: int, probes: int):
    """(layers, S*K, T, h, d) -> (layers, S, K, T, h, d)."""
    return tuple(x.reshape(x.shape[0], streams, probes, *x.shape[2:]) for x in kv)


def commit(cache: KVCache, probe_kv, chosen: jnp.ndarray, active=None) -> KVCache:
    """Append each stream's chosen probe (S,) as its newest block, dropping the oldest.

    Streams where `active` (S,) is False keep their cache as it was: a skipped tile's
    block enters no context.
    """
    if cache.slots_tokens == 0:
        return cache
    streams = chosen.shape[0]
    picked = [x[:, jnp.arange(streams), chosen] for x in probe_kv]  # (layers, S, T, h, d)
    tokens = picked[0].shape[2]
    keys = jnp.concatenate([cache.keys[:, :, tokens:], picked[0]], axis=2)
    values = jnp.concatenate([cache.values[:, :, tokens:], picked[1]], axis=2)
    slots = cache.slots_tokens // tokens
    valid = jnp.minimum(cache.valid + 1, slots)
    if active is not None:
        where = active[None, :, None, None, None]
        keys = jnp.where(where, keys, cache.keys)
        values = jnp.where(where, values, cache.values)
        valid = jnp.where(active, valid, cache.valid)
    return KVCache(keys, values, valid)
