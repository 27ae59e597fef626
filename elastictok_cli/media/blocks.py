"""Grouping a stream of frames into fixed-length blocks, the unit the model codes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def iter_blocks(
    frames: Iterable[np.ndarray], frames_per_block: int
) -> Iterator[tuple[np.ndarray, int]]:
    """Yield (block (F, H, W, C) uint8, true frame count) for consecutive frames.

    A short last block is filled by repeating its last real frame: a frozen frame is
    the cheapest content to code, and the true count lets the decoder drop the copies.
    A still image therefore becomes one block of identical frames with a count of 1.
    """
    if frames_per_block < 1:
        raise ValueError(f"frames_per_block must be at least 1, got {frames_per_block}")
    block: np.ndarray | None = None
    filled = 0
    for frame in frames:
        if block is None:
            block = np.empty((frames_per_block, *frame.shape), dtype=frame.dtype)
        elif frame.shape != block.shape[1:]:
            raise ValueError(
                f"frame shape changed from {block.shape[1:]} to {frame.shape} mid-stream"
            )
        block[filled] = frame
        filled += 1
        if filled == frames_per_block:
            yield block, filled
            # A fresh array per block: the consumer may keep the one it was given.
            block, filled = np.empty_like(block), 0
    if block is not None and filled:
        block[filled:] = block[filled - 1]
        yield block, filled
