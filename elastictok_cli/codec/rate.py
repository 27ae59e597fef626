"""What tokens cost in the file: the context coder's bits per tile, and a block's record bytes.

Rate-distortion choices need a tile's bits at every k probed, before the block is coded.
The exact cost depends on every tile of the block (the coder adapts its counts as it walks
the tiles together, docs/TOKEN_CODING.md), so each probe is priced alone against the counts
the block starts from: the same contexts, no adaptation inside the block. That estimate's
error against the coded payload is measured in benchmarks/rate_control.py; the bytes a block
really costs come from coding it exactly as the writer will (`BitPricer.commit`).
"""

from __future__ import annotations

import re

import numpy as np

from elastictok_cli.container import layout as container_layout
from elastictok_cli.container.frames import make_compressor, seal
from elastictok_cli.container.records import BlockGeometry, BlockRecord, encode_payload
from elastictok_cli.container.writer import encode_head
from elastictok_cli.entropy import CoderState, TokenTables
from elastictok_cli.entropy import encode_block as encode_ids
from elastictok_cli.entropy.adaptive import TOTAL, frequencies
from elastictok_cli.entropy.contexts import NONE, Neighbours, digit_context, previous_frame
from elastictok_cli.errors import UsageError

WRITER_LEVEL = 3  # the writer's zstd level: records are priced as it seals them
_AMOUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmg]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}


def parse_amount(text: str | float | int, flag: str) -> float:
    """'2M' -> 2e6, '500k' -> 5e5, '300000' -> 3e5 (decimal prefixes, as bitrates are)."""
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _AMOUNT.match(str(text))
        if not match:
            raise UsageError(f"{flag} takes a number with an optional k, M or G, got {text!r}")
        value = float(match.group(1)) * _SCALE[match.group(2).lower()]
    if not value > 0 or not np.isfinite(value):
        raise UsageError(f"{flag} must be positive, got {text}")
    return value


class BitPricer:
    """The writer's view of token bits, block by block: estimates per probe, exact per block."""

    def __init__(self, header, tables: TokenTables | None):
        """Mirror the writer the header and tables describe (context-coded or bit-packed)."""
        # The header the file ends with: it gains each block's lambda, one byte per block.
        wire, head = encode_head(header.with_encode(lambdas=b"").to_dict())
        self.geometry = BlockGeometry.from_header(wire, container_layout.version_for(wire))
        self.fixed_bytes = len(head) + container_layout.TAIL_SIZE
        self.tables = tables if self.geometry.digits else None
        self.reset = header.coding_reset or 1
        self._compressor = make_compressor(WRITER_LEVEL)
        tiles = self.geometry.tiles
        skipped = (self.geometry.version >= 2,) * tiles
        nothing = (np.zeros(0, np.uint32),) * tiles
        empty = BlockRecord(0, (0,) * tiles, nothing, (0.0,) * tiles, skipped)
        self.empty_bytes = self.block_bytes(empty, b"")
        if self.tables is not None:
            self.state = CoderState.start(self.tables, tiles)
            self._where = Neighbours.of(self.tables.layout)

    def begin_block(self, index: int) -> None:
        """The coder state block `index` is coded from, and its per-context costs in bits."""
        if self.tables is None:
            return
        if index % self.reset == 0:
            self.state = CoderState.start(self.tables, self.geometry.tiles)
        self._cost = [-np.log2(frequencies(c) / TOTAL) for c in self.state.counts]
        self._last = previous_frame(self.tables.layout, self.state.previous, self.geometry.tiles)

    def pair_bits(self, streams: np.ndarray, ks: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Estimated bits of each probe's first k ids (tile `streams[i]`, ids (n, slots))."""
        ks = np.asarray(ks, np.int64)
        if self.tables is None:
            return ks * float(self.geometry.bits_per_token)
        lay = self.tables.layout
        slots, size = lay.slots, lay.frame_size
        kept = np.arange(slots)[None] < ks[:, None]
        digits = lay.to_digits(np.where(kept, np.asarray(ids, np.int64)[:, :slots], NONE))
        none = np.full((len(ks), 1, digits.shape[-1]), NONE)
        ext = np.concatenate([digits, self._last[np.asarray(streams)], none], axis=1)
        where = self._where
        prev = ext[:, np.where(where.prev >= 0, where.prev, slots - 1 - where.prev)]
        left = ext[:, np.where(where.left >= 0, where.left, slots + size)]
        above = ext[:, np.where(where.above >= 0, where.above, slots + size)]
        same = (prev[..., 0] != NONE).astype(np.int64)
        bits = np.zeros(len(ks))
        for j, cost in enumerate(self._cost):
            symbol = digits[..., j]
            step = cost[digit_context(lay, j, prev, left, above, same), np.maximum(symbol, 0)]
            bits += np.where(kept, step, 0.0).sum(axis=1)
            same &= symbol == prev[..., j]
        return bits

    def commit(self, record: BlockRecord) -> int:
        """Bytes `record` adds to the file (record and index entry), coded as the writer will."""
        coded = b""
        if self.tables is not None:
            coded, self.state = encode_ids(record.tokens, self.state, self.tables)
        return self.block_bytes(record, coded)

    def block_bytes(self, record: BlockRecord, coded: bytes) -> int:
        """Bytes a block adds to the file: its sealed record with its ids' `coded` bytes,
        its index entry and its lambda's byte in the header."""
        payload = encode_payload(record, self.geometry, coded)
        return len(seal(payload, record.index, self._compressor)) + 4 + 1

    def floor_bytes(self, blocks: int) -> int:
        """The smallest file of `blocks` blocks this header allows: every tile skipped."""
        return self.fixed_bytes + blocks * self.empty_bytes
