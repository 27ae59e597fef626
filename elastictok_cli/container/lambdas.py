"""Each block's rate-distortion lambda, one byte per block in the header's `encode.lambdas`.

A rate-controlled encode steers lambda block by block; the file keeps it so `inspect` can
show how the spending was steered without re-encoding. A byte on a log scale (steps of
about 10% from 1e-7 to 1e4, the controller's whole range) is as fine as anyone reads it,
and keeps the field small enough for the header's 64 KiB: past `MAX_CODES` blocks one
byte stands for `lambda_group` consecutive blocks (their geometric mean).
"""

from __future__ import annotations

import math

LAMBDA_RANGE = (1e-7, 1e4)  # the scale's ends; the rate controller steers within them
LOG10_RANGE = (math.log10(LAMBDA_RANGE[0]), math.log10(LAMBDA_RANGE[1]))
STEPS = 255
MAX_CODES = 32_768  # 32 KiB of header: 36 hours of 4-frame blocks at 24 fps, one byte each


def group_for(blocks: int) -> int:
    """Blocks per stored byte for a file of `blocks` blocks."""
    return max(1, -(-blocks // MAX_CODES))


def encode_lambdas(values: list[float]) -> tuple[bytes, int]:
    """The bytes for `values` (one per block) and how many blocks each byte stands for."""
    group = group_for(len(values))
    lo, hi = LOG10_RANGE
    codes = []
    for start in range(0, len(values), group):
        part = values[start : start + group]
        mean = sum(math.log10(max(v, 10**lo)) for v in part) / len(part)
        codes.append(round(min(max((mean - lo) / (hi - lo), 0.0), 1.0) * STEPS))
    return bytes(codes), group


def decode_lambdas(codes: bytes, group: int, blocks: int) -> list[float | None]:
    """Each block's lambda (None past the stored bytes, e.g. after a repair renumbered)."""
    lo, hi = LOG10_RANGE
    values = [10 ** (lo + (hi - lo) * c / STEPS) for c in codes]
    return [values[b // group] if b // group < len(values) else None for b in range(blocks)]
