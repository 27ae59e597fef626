"""Adaptive integer counts per context and the coding frequencies derived from them."""

from __future__ import annotations

import numpy as np

PRECISION = 24  # the range coder's probability resolution: frequencies sum to 2**PRECISION
TOTAL = 1 << PRECISION


def frequencies(counts: np.ndarray) -> np.ndarray:
    """Counts (m, n), each >= 1, -> frequencies (m, n), each >= 1, every row summing to TOTAL.

    cum[i] = i + floor(S[i] * (TOTAL - n) / C), S[i] the sum of the first i counts and C
    their total: integer arithmetic only, so every machine derives the same frequencies.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.shape[-1]
    prefix = np.cumsum(counts, axis=-1)
    share = prefix * (TOTAL - n) // prefix[..., -1:]  # cum[i + 1] - (i + 1)
    freqs = np.empty_like(share)
    freqs[..., 0] = share[..., 0]
    np.subtract(share[..., 1:], share[..., :-1], out=freqs[..., 1:])
    return freqs + 1


def update(counts: np.ndarray, contexts: np.ndarray, symbols: np.ndarray, step: int, limit: int):
    """Add `step` to each (context, symbol) seen, then halve each touched context over `limit`.

    Works in place on `counts` (contexts, n). Halving rounds up, so no count reaches zero;
    a context touched several times in one call is halved at most once.
    """
    np.add.at(counts, (contexts, symbols), step)
    over = contexts[counts[contexts].sum(axis=1) > limit]
    # a repeated context gets the same halved row from each assignment: halved once
    counts[over] = (counts[over] + 1) >> 1


def initial_counts(observed: np.ndarray, weight: int) -> np.ndarray:
    """Starting counts (contexts, n) from counts observed in training, each row summing to `weight`.

    A row gets 1 per symbol plus `weight - n` shared in proportion to observed + 1/2 (so an
    unseen context starts uniform); the rounding remainder goes to the lowest symbols.
    """
    observed = np.asarray(observed, dtype=np.int64)
    n = observed.shape[-1]
    if weight < 2 * n:
        raise ValueError(f"the prior weight {weight} is below twice the {n} symbols")
    share = 2 * observed + 1  # observed + 1/2, doubled to stay in integers
    free = weight - n
    base = share * free // share.sum(axis=-1, keepdims=True)
    short = free - base.sum(axis=-1, keepdims=True)
    extra = (np.arange(n) < short).astype(np.int64)
    return 1 + base + extra
