"""A slow, independent decoder of coded token payloads, written from docs/TOKEN_CODING.md alone.

Plain Python integers throughout; it imports nothing from elastictok_cli, so a test that
it agrees with the library checks the specification as much as the code.
"""

from __future__ import annotations

import json
import struct

MASK64 = (1 << 64) - 1


class ReferenceError(ValueError):
    """The payload does not decode under the specification."""


def read_tables(data: bytes) -> dict:
    """Parse the safetensors tables file into plain lists (spec: 'The tables file')."""
    (size,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + size])
    body = data[8 + size :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "U32"
        start, end = info["data_offsets"]
        flat = list(struct.unpack(f"<{(end - start) // 4}I", body[start:end]))
        shape = info["shape"]
        if len(shape) == 2:
            flat = [flat[r * shape[1] : (r + 1) * shape[1]] for r in range(shape[0])]
        tensors[name] = flat
    levels = tensors["levels"]
    precision, step, limit = tensors["adapt"]
    return {
        "levels": levels,
        "frames": tensors["layout"][0],
        "rows": tensors["layout"][1],
        "cols": tensors["layout"][2],
        "precision": precision,
        "step": step,
        "limit": limit,
        "counts": [tensors[f"counts_{j}"] for j in range(len(levels))],
    }


def start_state(tables: dict, tiles: int) -> dict:
    """Spec: 'State': no previous ids, the tables' starting counts."""
    return {
        "previous": [None] * tiles,
        "counts": [[list(row) for row in table] for table in tables["counts"]],
    }


class RangeDecoder:
    """Spec: 'The range decoder', step by step."""

    def __init__(self, payload: bytes, precision: int):
        if len(payload) % 4:
            raise ReferenceError("payload is not whole words")
        self.words = list(struct.unpack(f"<{len(payload) // 4}I", payload))
        self.pos = 0
        self.precision = precision
        self.lower = 0
        self.range = MASK64
        self.point = 0
        for _ in range(2):
            self.point = (self.point << 32) | self.next_word()

    def next_word(self) -> int:
        if self.pos < len(self.words):
            self.pos += 1
            return self.words[self.pos - 1]
        return 0

    def decode(self, freqs: list[int]) -> int:
        scale = self.range >> self.precision
        quantile = ((self.point - self.lower) & MASK64) // scale
        if quantile >= 1 << self.precision:
            raise ReferenceError("quantile outside the coding range")
        symbol, cum = 0, 0
        while quantile >= cum + freqs[symbol]:
            cum += freqs[symbol]
            symbol += 1
        freq = freqs[symbol]
        self.lower = (self.lower + scale * cum) & MASK64
        self.range = scale * freq
        if self.range < 1 << 32:
            self.lower = (self.lower << 32) & MASK64
            self.range <<= 32
            self.point = ((self.point << 32) & MASK64) | self.next_word()
        return symbol

    def finished(self) -> bool:
        return self.pos == len(self.words) and ((self.point - self.lower) & MASK64) < (1 << 33) - 1


def frequencies(counts: list[int], precision: int) -> list[int]:
    """Spec: 'Frequencies from counts'."""
    n, total = len(counts), sum(counts)
    free = (1 << precision) - n
    right, prefix = [], 0
    for i, c in enumerate(counts):
        prefix += c
        right.append(i + 1 + prefix * free // total)
    return [right[0]] + [right[i] - right[i - 1] for i in range(1, n)]


def digits_of(token: int, levels: list[int]) -> list[int]:
    out = []
    for level in levels:
        out.append(token % level)
        token //= level
    return out


def decode_block(payload: bytes, kept: list[int], state: dict, tables: dict):
    """Decode one block; returns (ids per tile, next state). Spec: 'Decoding a block'."""
    levels, cols = tables["levels"], tables["cols"]
    area = tables["rows"] * cols
    tiles = len(kept)
    if sum(kept) == 0:
        if payload:
            raise ReferenceError("non-empty payload for a block without tokens")
        return [[] for _ in kept], state
    if not payload:
        raise ReferenceError("empty payload for a block with tokens")
    coder = RangeDecoder(payload, tables["precision"])
    counts = [[list(row) for row in table] for table in state["counts"]]
    digits = [[None] * max(kept) for _ in range(tiles)]
    last_start = (tables["frames"] - 1) * area

    def neighbour_digits(tile: int, slot: int) -> tuple:
        s = slot % area
        if slot >= area:
            prev = digits[tile][slot - area]
        else:
            before = state["previous"][tile]
            at = last_start + s
            prev = (
                digits_of(before[at], levels) if before is not None and at < len(before) else None
            )
        left = digits[tile][slot - 1] if s % cols > 0 else None
        above = digits[tile][slot - cols] if s >= cols else None
        return prev, left, above

    for slot in range(max(kept)):
        active = [t for t in range(tiles) if kept[t] > slot]
        near = {t: neighbour_digits(t, slot) for t in active}
        same = {t: 1 if near[t][0] is not None else 0 for t in active}
        for t in active:
            digits[t][slot] = []
        for j, level in enumerate(levels):
            seen = []
            for t in active:
                prev, left, above = near[t]
                a = prev[j] + 1 if prev is not None else 0
                b = left[j] + 1 if left is not None else 0
                c = above[j] + 1 if above is not None else 0
                context = ((a * (level + 1) + b) * (level + 1) + c) * 2 + same[t]
                symbol = coder.decode(frequencies(counts[j][context], tables["precision"]))
                digits[t][slot].append(symbol)
                if prev is None or symbol != prev[j]:
                    same[t] = 0
                seen.append((context, symbol))
            for context, symbol in seen:
                counts[j][context][symbol] += tables["step"]
            for context in sorted({c for c, _ in seen}):
                if sum(counts[j][context]) > tables["limit"]:
                    counts[j][context] = [(v + 1) >> 1 for v in counts[j][context]]
    if not coder.finished():
        raise ReferenceError("data left after the last symbol")
    ids = []
    for t in range(tiles):
        row = []
        for slot in range(kept[t]):
            value, place = 0, 1
            for j, level in enumerate(levels):
                value += digits[t][slot][j] * place
                place *= level
            row.append(value)
        ids.append(row)
    previous = [ids[t] if kept[t] else state["previous"][t] for t in range(tiles)]
    return ids, {"previous": previous, "counts": counts}
