"""Jitted model passes for a frame's tiles: batched probes, the commit, and decoding.

One model pass = one batched encoder + decoder evaluation over any set of (tile, k)
pairs. Each pass keeps, per tile, the probe that `ledger.preferred` ranks first (the
rule the searches choose by), so the commit reuses that probe's keys and values; only
a k the search chose without probing it (the largest, as a fallback) costs one more pass.
Probes decode from token ids turned back into codes, exactly as the decoder will.
The commit can first optimize each tile's ids at its k (`codec.optimize`) and, under a
target, spend what that gained on smaller k (`codec.descent`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from elastictok_cli.codec import descent, entries
from elastictok_cli.codec.distortion import decode_distortion
from elastictok_cli.codec.ledger import preferred
from elastictok_cli.codec.optimize import DEFAULT_RATE as OPTIMIZE_RATE
from elastictok_cli.codec.optimize import optimize_block
from elastictok_cli.model import streaming
from elastictok_cli.model.bottleneck import fsq_codes_to_indices, fsq_indices_to_codes
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.elastictok import ElasticTok

OPTIMIZE_TILES = 32  # tiles per optimization call: its backward pass holds every activation
# (tile, k) pairs per pass. A pass's memory is bounded by its calls (CALL_SIZES) now; this
# only sets how a long request (a full rescue sweep) is counted in passes.
DEFAULT_MAX_PAIRS = 128
PASS_CHUNK = 4  # pairs a pass computes at once: their attention stays in the CPU's cache
CALL_SIZES = (4 * PASS_CHUNK, PASS_CHUNK)  # the only batch shapes a probe is compiled for


def batch_size(pairs: int, limit: int) -> int:
    """An optimization call's compiled batch for `pairs` tiles: the next of 1, 2, 3, 4, 6, 8, ...

    A call costs what its padded batch costs, so powers of two alone waste up to half of it
    (6 tiles pad to 8, 12 to 16); the 3 x 2^n sizes keep it under a third for a few more
    compilations. Never more than `limit`, the tiles one call takes.
    """
    power = 1 << max(0, pairs - 1).bit_length()
    three = 3 * power // 4  # the 3 x 2^n size between power / 2 and power
    size = three if pairs <= three and power >= 4 else power
    return min(limit, size)


def call_plan(pairs: int) -> list[int]:
    """The compiled call sizes a pass of `pairs` pairs is run as, in order: CALL_SIZES only.

    Every new batch shape costs its first call a trace and a compile (or a cache load):
    about 0.4-1 s each, which made a searched encode's ~14 pass sizes a fifth of its time.
    Two shapes are traced once per process; the last call pads at most PASS_CHUNK - 1 pairs.
    """
    big, small = CALL_SIZES
    return [big] * (pairs // big) + [small] * -(-(pairs % big) // small)


@dataclass
class BlockCode:
    """What the encoder keeps of one block: per-tile k, token ids, distortion, reconstruction."""

    keep: np.ndarray  # (S,) int
    ids: list[np.ndarray]  # S arrays of the first k token ids, uint32
    distortion: np.ndarray  # (S,) float, MSE on [-1, 1] over real pixels
    recon: np.ndarray  # (S, T, P) float32 patches in [-1, 1]
    passes: int


# The graph definition is static: engines of equal models share one compilation.
@partial(jax.jit, static_argnums=0)
def _probe(graphdef, state, enc_cache, dec_cache, patches, weight, streams, ks):
    """One pass over (stream, k) pairs: token ids, reconstruction, distortion, new kv."""
    model = nnx.merge(graphdef, state)
    levels = model.config.fsq_levels

    def pairs(batch):
        streams, ks = batch
        keep = ks[:, None]
        codes, enc_kv = streaming.encode_step(
            model, entries.gather_cache(enc_cache, streams), patches[streams], keep
        )
        ids = fsq_codes_to_indices(codes, levels)
        dist, recon, dec_kv = decode_distortion(
            model,
            entries.gather_cache(dec_cache, streams),
            patches[streams],
            weight[streams],
            fsq_indices_to_codes(ids, levels),
            keep,
        )
        enc_kv = tuple(x[:, :, 0] for x in enc_kv)
        return ids[:, 0], recon, dist, enc_kv, dec_kv

    out = entries.map_pairs(pairs, (streams, ks), pass_chunk(streams.shape[0]))
    return out[2], out


@jax.jit
def _commit(enc_cache, dec_cache, entry, active):
    """Append each active tile's kept entry to both caches."""
    zeros = jnp.zeros(entry[0].shape[0], jnp.int32)
    enc_kv, dec_kv = (tuple(x[:, :, None] for x in kv) for kv in (entry[3], entry[4]))
    return (
        streaming.commit(enc_cache, enc_kv, zeros, active),
        streaming.commit(dec_cache, dec_kv, zeros, active),
    )


@partial(jax.jit, static_argnums=0)
def _decode(graphdef, state, dec_cache, ids, ks, active):
    """Decode one block per tile from token ids and commit the active tiles' to the cache."""
    model = nnx.merge(graphdef, state)

    def tiles(batch):
        streams, ids, ks = batch
        codes = fsq_indices_to_codes(ids, model.config.fsq_levels)[:, None]
        cache = entries.gather_cache(dec_cache, streams)
        recon, kv = streaming.decode_step(model, cache, codes, ks[:, None])
        return recon[:, 0], tuple(x[:, :, 0] for x in kv)

    count = ids.shape[0]
    chunk = pass_chunk(count)
    padded = -(-count // chunk) * chunk  # a ragged tile count loops like the rest
    streams = jnp.minimum(jnp.arange(padded), count - 1)
    recon, kv = entries.map_pairs(tiles, (streams, ids[streams], ks[streams]), chunk)
    kv = tuple(x[:, :count, None] for x in kv)
    zeros = jnp.zeros(count, jnp.int32)
    return recon[:count], streaming.commit(dec_cache, kv, zeros, active)


def pass_chunk(pairs: int) -> int:
    """Pairs per step of a pass's loop: PASS_CHUNK, or the largest divisor of `pairs` below."""
    return next(c for c in range(min(PASS_CHUNK, pairs), 0, -1) if pairs % c == 0)


class TileEngine:
    """The model, its compiled steps and the caches of `tiles` token streams."""

    def __init__(self, model: ElasticTok, tiles: int, *, max_pairs: int = DEFAULT_MAX_PAIRS):
        """Prepare empty caches for `tiles` streams; compile lazily on first use."""
        config: ModelConfig = model.config
        if config.bottleneck != "fsq":
            raise ValueError("only FSQ models produce token ids")
        self.config = config
        self.tiles = tiles
        self.chunk = max(tiles, (max_pairs // tiles) * tiles)
        self._graphdef, self._state = nnx.split(model)
        self.enc_cache = streaming.empty_cache(config, tiles, decoder=False)
        self.dec_cache = streaming.empty_cache(config, tiles, decoder=True)
        # Rate mode: (streams, ks, distortions, ids) -> a cost per pair. When set, probes
        # return it and each tile keeps its cheapest probe instead of the target's choice.
        self.rank: Callable[..., np.ndarray] | None = None

    # --- encoding -------------------------------------------------------------------------

    def begin_block(self, patches: np.ndarray, weight: np.ndarray, threshold: float) -> None:
        """Set the block to search: patches and real-pixel weights (S, T, P), the target."""
        self._patches = jnp.asarray(patches, jnp.float32)
        self._weight = jnp.asarray(weight, jnp.float32)
        self._threshold = threshold
        self._kept_k = np.full(self.tiles, -1)  # k of the preferred probe so far, per tile
        self._kept_d = np.full(self.tiles, np.inf)
        self._store = None  # that probe's entry, per tile: fresh each block, written in place
        self.passes = 0

    def probe(self, requests: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Distortion of every requested (tile, k), in as few passes as the chunk size allows."""
        streams = np.concatenate([np.full(len(ks), t) for t, ks in enumerate(requests)])
        ks = np.concatenate([np.asarray(ks, np.int64) for ks in requests])
        dists = np.empty(len(ks))
        for start in range(0, len(ks), self.chunk):
            part = slice(start, start + self.chunk)
            dists[part] = self._probe_pairs(streams[part], ks[part], force=False)
        out, at = [], 0
        for req in requests:
            out.append(dists[at : at + len(req)])
            at += len(req)
        return out

    def _probe_pairs(self, streams: np.ndarray, ks: np.ndarray, force: bool) -> np.ndarray:
        """One model pass over the pairs; update the kept entries; return distortions.

        The pass runs as calls of the few CALL_SIZES, and each call's winning pairs are
        written into the kept entries in place, so a pass of a few pairs costs a few pairs.
        With `force` the pairs replace the kept entries whatever they measure (the commit
        of a k the search chose unprobed).
        """
        dists, start = [], 0
        for size in call_plan(len(ks)):
            part_s, part_k = streams[start : start + size], ks[start : start + size]
            start += size
            n = len(part_k)
            pad_s = np.zeros(size, np.int32)
            pad_k = np.full(size, self.config.min_tokens, np.int32)
            pad_s[:n], pad_k[:n] = part_s, part_k
            dist, outputs = _probe(
                self._graphdef,
                self._state,
                self.enc_cache,
                self.dec_cache,
                self._patches,
                self._weight,
                jnp.asarray(pad_s),
                jnp.asarray(pad_k),
            )
            dist = np.asarray(dist, np.float64)[:n]
            if self.rank is not None:
                dist = np.asarray(self.rank(part_s, part_k, dist, outputs[0]))
            target = np.full(size, self.tiles)  # out of range: the pair is not kept
            for i in range(n):
                t, k, d = int(part_s[i]), int(part_k[i]), float(dist[i])
                kept_k, kept_d = self._kept_k[t], self._kept_d[t]
                if force or kept_k < 0 or self._better(k, d, kept_k, kept_d):
                    target[target == t] = self.tiles  # an earlier pair of this call lost
                    target[i], self._kept_k[t], self._kept_d[t] = t, k, d
            if (target < self.tiles).any():
                if self._store is None:
                    self._store = entries.blank(outputs, self.tiles)
                self._store = entries.put(self._store, outputs, jnp.asarray(target, jnp.int32))
            dists.append(dist)
        self.passes += 1
        return np.concatenate(dists)

    def _better(self, k: int, d: float, kept_k: int, kept_d: float) -> bool:
        """Whether a probe replaces the tile's kept one: by the target, or by cost."""
        if self.rank is None:
            return preferred(k, d, kept_k, kept_d, self._threshold)
        return (d, k) < (kept_d, kept_k)

    def finish_block(
        self, chosen: np.ndarray, optimize_steps: int = 0, active: np.ndarray | None = None
    ) -> BlockCode:
        """Commit each active tile's chosen k to the caches, probing only tiles not yet probed.

        Inactive (skipped) tiles are neither probed nor committed: they get k = 0 and no
        ids, and their distortion and reconstruction are the caller's. With
        `optimize_steps`, token ids are first optimized at their k (`codec.optimize`) and,
        under a finite threshold, tiles left with room to spare try smaller k optimized the
        same way (`codec.descent`), so `keep` may end below `chosen`.
        """
        chosen = np.array(chosen, np.int64)
        active = np.ones(self.tiles, bool) if active is None else np.asarray(active, bool)
        chosen[~active] = 0
        if not active.any():
            nothing = np.zeros(self.tiles)
            return BlockCode(chosen, [np.zeros(0, np.uint32)] * self.tiles, nothing, None, 0)
        missing = (chosen != self._kept_k) & active
        if missing.any():
            # The search picked a k whose probe was not kept: one more pass for those tiles.
            streams = np.flatnonzero(missing)
            self._probe_pairs(streams, chosen[streams], force=True)
        entry = self._store
        if optimize_steps > 0:
            coded = np.flatnonzero(active)
            optimized = self._optimize(coded, chosen, optimize_steps)
            better = np.asarray(optimized[2]) < np.asarray(entry[2])[coded]
            src = np.full(self.tiles, -1)
            src[coded[better]] = np.flatnonzero(better)
            entry = entries.adopt(entry, optimized, src)
            if np.isfinite(self._threshold):
                entry = self._descend(entry, chosen, optimize_steps, active)
        self.enc_cache, self.dec_cache = _commit(
            self.enc_cache, self.dec_cache, entry, jnp.asarray(active)
        )
        ids, recon, dist = (np.asarray(x) for x in entry[:3])
        return BlockCode(
            keep=chosen,
            ids=[ids[t, : chosen[t]].astype(np.uint32) for t in range(self.tiles)],
            distortion=dist.astype(np.float64),
            recon=recon,
            passes=self.passes,
        )

    def _optimize(self, streams: np.ndarray, ks: np.ndarray, steps: int):
        """Entries of the given tiles with their ids optimized at their k (pair axis: streams)."""
        parts = []
        for start in range(0, len(streams), OPTIMIZE_TILES):
            part = streams[start : start + OPTIMIZE_TILES]
            size = batch_size(len(part), OPTIMIZE_TILES)
            # Pad with copies of the first tile: a few compiled sizes, results dropped.
            padded = np.concatenate([part, np.full(size - len(part), part[0])])
            out = optimize_block(
                self._graphdef,
                self._state,
                entries.gather_cache(self.enc_cache, padded),
                entries.gather_cache(self.dec_cache, padded),
                self._patches[padded],
                self._weight[padded],
                jnp.asarray(ks[padded], jnp.int32),
                steps,
                OPTIMIZE_RATE,
            )
            parts.append(entries.take(out, jnp.arange(len(part))))
        return jax.tree.map(lambda *xs: jnp.concatenate(xs, axis=entries.pair_axis(xs[0])), *parts)

    def _descend(self, entry, chosen: np.ndarray, steps: int, active: np.ndarray):
        """Lower `chosen` in place where optimized ids at a smaller k still meet the threshold."""
        seen = [{int(k): float(d)} for k, d in zip(chosen, np.asarray(entry[2]), strict=True)]
        for _ in range(descent.ROUNDS):
            trials = [
                descent.next_trial(s, self._threshold, self.config.min_tokens) if on else None
                for s, on in zip(seen, active, strict=True)
            ]
            streams = np.array([t for t, k in enumerate(trials) if k is not None], np.int64)
            if len(streams) == 0:
                break
            ks = np.zeros(self.tiles, np.int64)
            ks[streams] = [trials[t] for t in streams]
            out = self._optimize(streams, ks, steps)
            dist = np.asarray(out[2], np.float64)
            src = np.full(self.tiles, -1)
            for i, t in enumerate(streams):
                seen[t][int(ks[t])] = dist[i]
                if dist[i] <= self._threshold:
                    src[t], chosen[t] = i, ks[t]
            entry = entries.adopt(entry, out, src)
        return entry

    # --- decoding -------------------------------------------------------------------------

    def decode_block(
        self, ids: Sequence[np.ndarray], keep: np.ndarray, active: np.ndarray | None = None
    ) -> np.ndarray:
        """Rebuild one block's patches (S, T, P) from each tile's first k token ids.

        Inactive (skipped) tiles enter no context; their patches are meaningless here.
        """
        active = np.ones(self.tiles, bool) if active is None else np.asarray(active, bool)
        tokens = self.config.max_tokens
        full = np.zeros((self.tiles, tokens), np.int32)
        for t, tile_ids in enumerate(ids):
            full[t, : len(tile_ids)] = tile_ids
        recon, self.dec_cache = _decode(
            self._graphdef,
            self._state,
            self.dec_cache,
            jnp.asarray(full),
            jnp.asarray(keep, jnp.int32),
            jnp.asarray(active),
        )
        return np.asarray(recon)
