"""Shared fixtures of the entropy tests: the model's layout, tables and real token blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from elastictok_cli.entropy import Layout, TokenTables
from elastictok_cli.entropy.adaptive import initial_counts
from elastictok_cli.entropy.statistics import count_contexts

HERE = Path(__file__).parent
SHIPPED = HERE.parents[1] / "models" / "elastictok-64" / "token_tables.safetensors"
LAYOUT = Layout(levels=(8, 8, 8, 5, 5, 5), frames=4, rows=8, cols=8)


def real_clips() -> list[list[list[np.ndarray]]]:
    """Two short runs of 4 tiles of tree.avi: 2 blocks at 256 tokens, 3 under --mse 0.007."""
    data = np.load(HERE / "real_tokens.npz")
    ids, counts = data["ids"].astype(np.int64), data["counts"].astype(np.int64)
    blocks, at = [], 0
    for row in counts:
        tiles = []
        for count in row:
            tiles.append(ids[at : at + count])
            at += count
        blocks.append(tiles)
    return [blocks[:2], blocks[2:]]


def small_tables(step: int = 32, limit: int = 1 << 13, weight: int = 256) -> TokenTables:
    """Tables counted from the real fixture, so tests need no model folder."""
    observed = count_contexts(real_clips(), LAYOUT)
    return TokenTables(LAYOUT, step, limit, tuple(initial_counts(t, weight) for t in observed))


def random_block(rng: np.random.Generator, tiles: int, low: int = 16, high: int = 256):
    """Random ids with random kept counts in low..high, about half of them repeats."""
    block = []
    for _ in range(tiles):
        k = int(rng.integers(low, high + 1))
        ids = rng.integers(0, LAYOUT.num_codes, size=k)
        repeat = rng.random(k) < 0.5
        ids[64:][repeat[64:]] = ids[:-64][repeat[64:]]
        block.append(ids)
    return block
