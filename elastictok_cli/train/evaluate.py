"""Evaluation on held-out sequences: PSNR at fixed token fractions, and the elastic search.

The search here is the plain reference: for each block in order, probe a grid of k
(every k when the block has few tokens, else log-spaced candidates), take the smallest
k whose block MSE meets the threshold (max_tokens when none does) and commit it to the
key/value caches before the next block. It is exhaustive over its grid, so it is exact
and slow; the codec owns the fast production searches.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from elastictok_cli.metrics import psnr_array
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.patching import patchify
from elastictok_cli.model.streaming import commit, decode_step, empty_cache, encode_step

FRACTIONS = (Fraction(1, 16), Fraction(1, 4), Fraction(1, 2), Fraction(1, 1))
THRESHOLDS = (0.003, 0.007, 0.015)  # block MSE on [-1, 1]: ~31.2, 27.6 and 24.3 dB


def candidate_counts(min_tokens: int, max_tokens: int, count: int) -> np.ndarray:
    """Every k in [min, max] if there are at most `count`, else log-spaced ones (max included)."""
    if max_tokens - min_tokens + 1 <= count:
        return np.arange(min_tokens, max_tokens + 1)
    grid = np.geomspace(min_tokens, max_tokens, count).round().astype(int)
    return np.unique(np.concatenate([grid, [min_tokens, max_tokens]]))


def tokens_at(fraction: Fraction, config: ModelConfig) -> int:
    """Kept count for a fraction of the block's tokens, never below min_tokens."""
    return max(config.min_tokens, math.ceil(fraction * config.max_tokens))


def block_mse_at(graphdef, params, blocks: np.ndarray, keep) -> jnp.ndarray:
    """Per-block MSE (B, S) of a full pass, block s of each sequence keeping `keep` or keep[s]."""
    return _block_mse(graphdef, params, jnp.asarray(blocks), jnp.asarray(keep, jnp.int32))


@functools.partial(jax.jit, static_argnums=0)
def _block_mse(graphdef, params, blocks, keep):
    """Jitted full pass at kept counts (traced, so every k of one shape shares a compilation)."""
    model = nnx.merge(graphdef, params)
    patches = patchify(blocks, model.config)
    counts = jnp.broadcast_to(keep, patches.shape[:2])
    recon = model(patches, counts)["recon"]
    return jnp.mean((recon - patches) ** 2, axis=(2, 3))


@functools.partial(jax.jit, static_argnums=0)
def _probe(graphdef, params, enc_cache, dec_cache, patches, keep):
    """MSE (S, K) of every candidate k for one block per stream, and each probe's kv."""
    model = nnx.merge(graphdef, params)
    codes, enc_kv = encode_step(model, enc_cache, patches, keep)
    recon, dec_kv = decode_step(model, dec_cache, codes, keep)
    mse = jnp.mean((recon - patches[:, None]) ** 2, axis=(2, 3))
    return mse, enc_kv, dec_kv


def elastic_search(
    graphdef, params, config: ModelConfig, sequence: np.ndarray, thresholds, candidates
):
    """Chosen k and met flag, each (len(thresholds), blocks), for one (S, F, H, W, 3) sequence.

    One stream per threshold, since each threshold commits its own k and so its own context.
    """
    streams = len(thresholds)
    enc_cache = empty_cache(config, streams, decoder=False)
    dec_cache = empty_cache(config, streams, decoder=True)
    keep = jnp.broadcast_to(jnp.asarray(candidates, jnp.int32), (streams, len(candidates)))
    limits = np.asarray(thresholds)[:, None]
    patches = np.asarray(patchify(jnp.asarray(sequence), config))
    chosen, met = [], []
    for block in patches:
        block_patches = jnp.broadcast_to(jnp.asarray(block), (streams, *block.shape))
        mse, enc_kv, dec_kv = _probe(graphdef, params, enc_cache, dec_cache, block_patches, keep)
        passing = np.asarray(mse) <= limits
        # The smallest passing candidate; the largest (max_tokens) when none passes.
        index = np.where(passing.any(axis=1), passing.argmax(axis=1), len(candidates) - 1)
        chosen.append(candidates[index])
        met.append(passing.any(axis=1))
        picked = jnp.asarray(index, jnp.int32)
        enc_cache = commit(enc_cache, enc_kv, picked)
        dec_cache = commit(dec_cache, dec_kv, picked)
    return np.stack(chosen, axis=1), np.stack(met, axis=1)


def evaluate(
    graphdef, params, config: ModelConfig, blocks: np.ndarray, candidates_per_block: int = 32
) -> dict:
    """The eval table of (B, S, F, H, W, 3) held-out sequences, as plain JSON types.

    psnr_at: mean per-block PSNR with every block at a fixed token fraction;
    pooled_psnr_at: the PSNR of the blocks' mean MSE at the same fractions, the measure of
    the validation tables (easy blocks at 40 dB lift the first, not the second);
    share_meeting / token_fraction: under the search, the share of blocks whose MSE meets
    each threshold and the mean share of the block's tokens the search kept.
    """
    psnr_at, pooled_psnr_at = {}, {}
    for fraction in FRACTIONS:
        mse = np.asarray(block_mse_at(graphdef, params, blocks, tokens_at(fraction, config)))
        psnr_at[str(fraction)] = float(np.mean(psnr_array(mse)))
        pooled_psnr_at[str(fraction)] = float(psnr_array(np.mean(mse)))
    candidates = candidate_counts(config.min_tokens, config.max_tokens, candidates_per_block)
    chosen, met = [], []
    for sequence in blocks:
        k, ok = elastic_search(graphdef, params, config, sequence, THRESHOLDS, candidates)
        chosen.append(k)
        met.append(ok)
    chosen = np.stack(chosen, axis=1)  # (thresholds, B, S)
    met = np.stack(met, axis=1)
    return {
        "psnr_at": psnr_at,
        "pooled_psnr_at": pooled_psnr_at,
        "share_meeting": {str(t): float(met[i].mean()) for i, t in enumerate(THRESHOLDS)},
        "token_fraction": {
            str(t): float(chosen[i].mean() / config.max_tokens) for i, t in enumerate(THRESHOLDS)
        },
        "blocks": int(blocks.shape[0] * blocks.shape[1]),
        "candidates": len(candidates),
    }


def format_table(result: dict) -> str:
    """The eval table as Markdown, for the model card and the terminal."""
    # Results logged before pooled PSNR existed have only the per-block mean.
    pooled = result.get("pooled_psnr_at", {})
    lines = [
        "| token fraction | mean PSNR per block (dB) | PSNR of the mean MSE (dB) |",
        "|---|---|---|",
    ]
    for frac, psnr in result["psnr_at"].items():
        other = f"{pooled[frac]:.2f}" if frac in pooled else "n/a"
        lines.append(f"| {frac} | {psnr:.2f} | {other} |")
    lines += [
        "",
        "| MSE threshold | blocks meeting it | mean token fraction kept |",
        "|---|---|---|",
    ]
    for threshold, share in result["share_meeting"].items():
        kept = result["token_fraction"][threshold]
        lines.append(f"| {threshold} | {share:.1%} | {kept:.1%} |")
    return "\n".join(lines)
