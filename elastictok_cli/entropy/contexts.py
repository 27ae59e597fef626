"""Token digits and the context each digit is coded in, from what the decoder already has."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NONE = -1  # a neighbour the decoder does not have (outside the tile, the block or the kept prefix)


@dataclass(frozen=True)
class Layout:
    """The model facts the contexts depend on: FSQ levels and the token grid of a tile-block."""

    levels: tuple[int, ...]
    frames: int  # token frames per block (frames_per_block / patch[0])
    rows: int  # token rows per frame (tile height / patch[1])
    cols: int  # token columns per frame (tile width / patch[2])

    def __post_init__(self):
        """Refuse layouts the coder cannot work with."""
        if not 1 <= len(self.levels) <= 16 or any(not 2 <= n <= 256 for n in self.levels):
            raise ValueError("levels must be 1..16 values, each 2..256")
        if min(self.frames, self.rows, self.cols) < 1:
            raise ValueError("frames, rows and cols must be positive")

    @property
    def frame_size(self) -> int:
        """Token slots in one frame of a tile."""
        return self.rows * self.cols

    @property
    def slots(self) -> int:
        """Token slots in one tile-block: the most ids a tile can keep."""
        return self.frames * self.frame_size

    @property
    def num_codes(self) -> int:
        """Number of distinct token ids."""
        return int(np.prod(self.levels, dtype=np.int64))

    @property
    def basis(self) -> np.ndarray:
        """Place value of each digit: id = sum(digit[j] * basis[j])."""
        return np.cumprod((1, *self.levels[:-1]), dtype=np.int64)

    def contexts(self, digit: int) -> int:
        """Number of contexts of digit `digit`: (prev, left, above) each level+1 values, x2."""
        n = self.levels[digit] + 1
        return n * n * n * 2

    def to_digits(self, ids: np.ndarray) -> np.ndarray:
        """Ids (...,) -> digits (..., d); NONE ids give NONE digits."""
        ids = np.asarray(ids, dtype=np.int64)
        digits = (np.maximum(ids, 0)[..., None] // self.basis) % np.asarray(self.levels)
        return np.where(ids[..., None] < 0, NONE, digits)

    def from_digits(self, digits: np.ndarray) -> np.ndarray:
        """Digits (..., d) -> ids (...,)."""
        return (np.asarray(digits, dtype=np.int64) * self.basis).sum(axis=-1)


@dataclass(frozen=True)
class Neighbours:
    """Where the co-located, left and above tokens of slot p are, for every slot of a tile-block."""

    prev: np.ndarray  # slot p - frame_size, or -1 - s: slot s of the previous block's last frame
    left: np.ndarray  # slot p - 1, or NONE in the first column
    above: np.ndarray  # slot p - cols, or NONE in the first row

    @classmethod
    def of(cls, layout: Layout) -> Neighbours:
        """The neighbour slots of every slot, in raster order over (frame, row, column)."""
        p = np.arange(layout.slots)
        s = p % layout.frame_size
        prev = np.where(p >= layout.frame_size, p - layout.frame_size, -1 - s)
        left = np.where(s % layout.cols > 0, p - 1, NONE)
        above = np.where(s >= layout.cols, p - layout.cols, NONE)
        return cls(prev=prev, left=left, above=above)


def previous_frame(layout: Layout, previous, tiles: int) -> np.ndarray:
    """(tiles, frame_size) digits of each tile's previous block's last frame; NONE where absent."""
    out = np.full((tiles, layout.frame_size, len(layout.levels)), NONE, dtype=np.int64)
    if previous is None:
        return out
    if len(previous) != tiles:
        raise ValueError(f"previous has {len(previous)} tiles, the block {tiles}")
    start = (layout.frames - 1) * layout.frame_size
    for tile, ids in enumerate(previous):
        if ids is None:
            continue
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"tile {tile}: previous ids must be one-dimensional")
        last = ids[start : start + layout.frame_size].astype(np.int64)
        if last.size and (last.min() < 0 or last.max() >= layout.num_codes):
            raise ValueError(f"tile {tile}: a previous id is outside the codebook")
        out[tile, : last.size] = layout.to_digits(last)
    return out


def slot_neighbours(
    where: Neighbours, slot: int, digits: np.ndarray, last: np.ndarray, tiles: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Digits (len(tiles), d) of slot `slot`'s co-located, left and above tokens in `tiles`.

    `digits` (tiles, slots, d) holds the block's digits decoded so far, `last` the previous
    block's last frame (previous_frame); slots a tile did not keep hold NONE in `digits`.
    """
    prev_at = int(where.prev[slot])
    prev = digits[tiles, prev_at] if prev_at >= 0 else last[tiles, -1 - prev_at]
    none = np.full_like(prev, NONE)
    left_at, above_at = int(where.left[slot]), int(where.above[slot])
    left = digits[tiles, left_at] if left_at != NONE else none
    above = digits[tiles, above_at] if above_at != NONE else none
    return prev, left, above


def digit_context(
    layout: Layout, digit: int, prev: np.ndarray, left: np.ndarray, above: np.ndarray, same
) -> np.ndarray:
    """Context index of digit `digit` for each token, from its neighbours' same digit.

    The neighbours' digits are (..., d) arrays, e.g. (tiles, d) for one slot. `same` is 1
    where the co-located token exists and the token's lower digits all equal its digits:
    with it the coder learns how often a token repeats whole.
    """
    n = layout.levels[digit] + 1
    a, b, c = prev[..., digit] + 1, left[..., digit] + 1, above[..., digit] + 1
    return ((a * n + b) * n + c) * 2 + same
