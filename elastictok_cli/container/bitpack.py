"""Pack unsigned integers into a little-endian bitstream at a fixed bit width (1..32)."""

from __future__ import annotations

import numpy as np

# Widths whose bitstream is exactly the little-endian byte array of that integer type.
_WHOLE_BYTES = {8: "<u1", 16: "<u2", 32: "<u4"}


def packed_size(count: int, bits: int) -> int:
    """Bytes needed for `count` values of `bits` bits, the last byte zero-padded."""
    return (count * bits + 7) // 8


def token_dtype(bits: int) -> np.dtype:
    """Smallest unsigned dtype that holds a `bits`-bit value."""
    if bits <= 8:
        return np.dtype(np.uint8)
    if bits <= 16:
        return np.dtype(np.uint16)
    return np.dtype(np.uint32)


def pack_bits(values: np.ndarray, bits: int) -> bytes:
    """Value i goes to stream bits [i*bits, (i+1)*bits), least significant bit first."""
    if not 1 <= bits <= 32:
        raise ValueError(f"bit width {bits} is outside 1..32")
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError("values must be 1-D")
    if values.size and (values.min() < 0 or int(values.max()) >> bits):
        raise ValueError(f"values do not fit in {bits} bits")
    if bits in _WHOLE_BYTES:
        return values.astype(_WHOLE_BYTES[bits]).tobytes()
    # Spread each value into its 32 bits (LSB first), keep the low `bits`, repack densely.
    as_bytes = values.astype("<u4").view(np.uint8).reshape(-1, 4)
    bit_rows = np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :bits]
    return np.packbits(bit_rows.reshape(-1), bitorder="little").tobytes()


def unpack_bits(data: bytes, count: int, bits: int) -> np.ndarray:
    """Inverse of `pack_bits`; refuses a wrong length or non-zero padding bits."""
    if not 1 <= bits <= 32:
        raise ValueError(f"bit width {bits} is outside 1..32")
    if len(data) != packed_size(count, bits):
        raise ValueError(f"{len(data)} bytes cannot hold exactly {count} values of {bits} bits")
    dtype = token_dtype(bits)
    if bits in _WHOLE_BYTES:
        return np.frombuffer(data, dtype=_WHOLE_BYTES[bits], count=count).astype(dtype)
    stream = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    if stream[count * bits :].any():
        # Padding must be zero: otherwise the file could carry bits no reader sees.
        raise ValueError("non-zero padding bits after the last value")
    bit_rows = np.zeros((count, 32), dtype=np.uint8)
    bit_rows[:, :bits] = stream[: count * bits].reshape(count, bits)
    words = np.packbits(bit_rows, axis=1, bitorder="little").view("<u4").reshape(count)
    return words.astype(dtype)
