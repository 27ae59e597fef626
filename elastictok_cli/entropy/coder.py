"""Context-coded token ids: one range-coded payload per block, over all its tiles.

Stream order: for each slot p of the block, for each FSQ digit j, every tile that kept slot p
in tile order. Each digit is coded with the frequencies of its context's adaptive counts
(contexts.py, adaptive.py); counts update after each (p, j) step. docs/TOKEN_CODING.md is
the specification.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import constriction
import numpy as np

from elastictok_cli.entropy.adaptive import frequencies, update
from elastictok_cli.entropy.contexts import (
    NONE,
    Neighbours,
    digit_context,
    previous_frame,
    slot_neighbours,
)
from elastictok_cli.entropy.tables import TokenTables


class EntropyError(ValueError):
    """A coded token payload that does not decode: corrupt, truncated or with trailing data."""


@dataclass(frozen=True, eq=False)
class CoderState:
    """What encoder and decoder share between blocks: each tile's last kept ids and the counts."""

    previous: tuple[np.ndarray | None, ...]
    counts: tuple[np.ndarray, ...]

    @classmethod
    def start(cls, tables: TokenTables, tiles: int) -> CoderState:
        """The state at the start of a file or after a reset: no previous ids, starting counts."""
        return cls(previous=(None,) * tiles, counts=tables.counts)

    @property
    def tiles(self) -> int:
        """Tiles per block."""
        return len(self.previous)


def _model() -> object:
    # perfect=False: the categorical model that takes our integer frequencies exactly (see spec)
    return constriction.stream.model.Categorical(perfect=False)


def walk_block(
    tables: TokenTables, state: CoderState, kept: np.ndarray, digits: np.ndarray, code: Callable
) -> CoderState:
    """Walk the stream order, calling code(digit, tiles, slot, freqs) per step: the next state.

    `code` returns the step's digit values (in `tiles` order); encoder and decoder differ only
    in it, and measurements can plug in another entropy coder.
    """
    layout = tables.layout
    where = Neighbours.of(layout)
    last = previous_frame(layout, state.previous, state.tiles)
    counts = [table.copy() for table in state.counts]
    for slot in range(int(kept.max(initial=0))):
        tiles = np.flatnonzero(kept > slot)
        prev, left, above = slot_neighbours(where, slot, digits, last, tiles)
        same = (prev[:, 0] != NONE).astype(np.int64)
        for digit in range(len(layout.levels)):
            context = digit_context(layout, digit, prev, left, above, same)
            symbols = code(digit, tiles, slot, frequencies(counts[digit][context]))
            digits[tiles, slot, digit] = symbols
            same &= symbols == prev[:, digit]
            update(counts[digit], context, symbols, tables.step, tables.limit)
    ids = layout.from_digits(digits)
    previous = tuple(
        ids[tile, : kept[tile]].astype(np.uint32) if kept[tile] else state.previous[tile]
        for tile in range(state.tiles)
    )
    for table in counts:
        table.setflags(write=False)
    return CoderState(previous=previous, counts=tuple(counts))


def _check_counts(counts: Sequence[int], state: CoderState, slots: int) -> np.ndarray:
    kept = np.asarray([int(c) for c in counts], dtype=np.int64)
    if kept.shape != (state.tiles,):
        raise ValueError(f"expected {state.tiles} tiles, got {kept.size}")
    if kept.size and (kept.min() < 0 or kept.max() > slots):
        raise ValueError(f"a tile's count is outside 0..{slots}")
    return kept


def encode_block(
    tokens: Sequence[np.ndarray], state: CoderState, tables: TokenTables
) -> tuple[bytes, CoderState]:
    """Range-code one block's kept ids (one array per tile); returns the payload and next state."""
    layout = tables.layout
    kept = _check_counts([np.asarray(t).size for t in tokens], state, layout.slots)
    ids = np.full((state.tiles, layout.slots), NONE, dtype=np.int64)
    for tile, values in enumerate(tokens):
        values = np.asarray(values)
        if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
            raise ValueError(f"tile {tile}: token ids must be a 1-D integer array")
        if values.size and (values.min() < 0 or values.max() >= layout.num_codes):
            raise ValueError(f"tile {tile}: a token id is outside the codebook")
        ids[tile, : values.size] = values
    digits = layout.to_digits(ids)
    encoder = constriction.stream.queue.RangeEncoder()
    model = _model()

    def code(digit, tiles, slot, freqs):
        symbols = digits[tiles, slot, digit]
        encoder.encode(symbols.astype(np.int32), model, (freqs - 1).astype(np.float64))
        return symbols

    following = walk_block(tables, state, kept, digits, code)
    return encoder.get_compressed().astype("<u4").tobytes(), following


def decode_block(
    payload: bytes, counts: Sequence[int], state: CoderState, tables: TokenTables
) -> tuple[list[np.ndarray], CoderState]:
    """Decode one block's ids, `counts[tile]` for each tile; raises EntropyError if corrupt."""
    layout = tables.layout
    kept = _check_counts(counts, state, layout.slots)
    if len(payload) % 4:
        raise EntropyError(f"a coded payload is whole 32-bit words, not {len(payload)} bytes")
    if not kept.any():
        if payload:
            raise EntropyError("a block that keeps no tokens has an empty payload")
        return [np.zeros(0, np.uint32) for _ in kept], state
    if not payload:
        raise EntropyError("a block that keeps tokens has a non-empty payload")
    decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(payload, dtype="<u4"))
    model = _model()

    def code(digit, tiles, slot, freqs):
        symbols = decoder.decode(model, (freqs - 1).astype(np.float64))
        return np.asarray(symbols, dtype=np.int64)

    digits = np.full((state.tiles, layout.slots, len(layout.levels)), NONE, dtype=np.int64)
    try:
        following = walk_block(tables, state, kept, digits, code)
    except (ValueError, RuntimeError, AssertionError, OverflowError) as err:
        raise EntropyError(f"corrupt coded payload: {err}") from err
    if not decoder.maybe_exhausted():
        raise EntropyError("coded payload has data past its last symbol")
    ids = following.previous
    return [ids[tile] if kept[tile] else np.zeros(0, np.uint32) for tile in range(kept.size)], (
        following
    )
