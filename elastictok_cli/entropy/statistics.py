"""Context statistics of whole blocks: counts for the tables and the empirical entropy floor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from elastictok_cli.entropy.contexts import NONE, Layout, Neighbours, previous_frame


def block_contexts(
    tokens: Sequence[np.ndarray], previous: Sequence[np.ndarray | None] | None, layout: Layout
) -> tuple[np.ndarray, np.ndarray]:
    """(contexts, digits), each (N, d), of a block's N kept tokens: what the coder codes them in.

    The same contexts as the coder derives while decoding, computed at once from all ids.
    """
    tiles = len(tokens)
    ids = np.full((tiles, layout.slots), NONE, dtype=np.int64)
    for tile, values in enumerate(tokens):
        ids[tile, : len(values)] = np.asarray(values, dtype=np.int64)
    digits = layout.to_digits(ids)
    where = Neighbours.of(layout)
    last = previous_frame(layout, previous, tiles)

    def gather(at: np.ndarray) -> np.ndarray:
        out = np.full_like(digits, NONE)
        inside = at >= 0
        out[:, inside] = digits[:, at[inside]]
        return out

    prev = gather(where.prev)
    before = where.prev < 0
    prev[:, before] = last[:, -1 - where.prev[before]]
    left, above = gather(where.left), gather(where.above)
    equal = (digits == prev).astype(np.int64)
    # same[j]: the co-located token exists and digits below j all equal it
    same = np.cumprod(np.concatenate([prev[..., :1] != NONE, equal[..., :-1]], axis=-1), axis=-1)
    contexts = np.empty_like(digits)
    for digit, level in enumerate(layout.levels):
        n = level + 1
        a, b, c = prev[..., digit] + 1, left[..., digit] + 1, above[..., digit] + 1
        contexts[..., digit] = ((a * n + b) * n + c) * 2 + same[..., digit]
    kept = ids != NONE
    return contexts[kept], digits[kept]


def count_contexts(
    clips: Iterable[Iterable[Sequence[np.ndarray]]], layout: Layout
) -> list[np.ndarray]:
    """Per digit, how often each (context, digit value) occurs over clips of blocks in order."""
    counts = [np.zeros((layout.contexts(d), n), np.int64) for d, n in enumerate(layout.levels)]
    for blocks in clips:
        previous = None
        for tokens in blocks:
            contexts, digits = block_contexts(tokens, previous, layout)
            for digit, table in enumerate(counts):
                np.add.at(table, (contexts[:, digit], digits[:, digit]), 1)
            previous = [
                t if len(t) else (previous[i] if previous else None) for i, t in enumerate(tokens)
            ]
    return counts


def conditional_entropy(counts: Sequence[np.ndarray]) -> float:
    """Bits to code the counted digits with each context's own empirical distribution."""
    bits = 0.0
    for table in counts:
        table = np.asarray(table, dtype=np.float64)
        totals = table.sum(axis=1)
        seen = table > 0
        bits -= float((table[seen] * np.log2(table[seen])).sum())
        bits += float((totals[totals > 0] * np.log2(totals[totals > 0])).sum())
    return bits
