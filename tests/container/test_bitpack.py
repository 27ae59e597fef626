"""Token ids pack at their exact bit width, LSB first, and unpack bit-exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elastictok_cli.container.bitpack import pack_bits, packed_size, token_dtype, unpack_bits


def test_documented_example():
    # FORMAT.md: [1, 2, 3] at 3 bits is the bit string 100 010 110 (LSB first) = D1 00.
    assert pack_bits(np.array([1, 2, 3]), 3) == b"\xd1\x00"
    assert unpack_bits(b"\xd1\x00", 3, 3).tolist() == [1, 2, 3]


@pytest.mark.parametrize("bits", [8, 16, 32])
def test_whole_byte_widths_are_little_endian_integers(bits):
    values = np.array([0, 1, (1 << bits) - 1, 0x12345678 & ((1 << bits) - 1)])
    assert pack_bits(values, bits) == values.astype(f"<u{bits // 8}").tobytes()


@settings(max_examples=150, deadline=None)
@given(bits=st.integers(1, 32), data=st.data())
def test_round_trip_any_width(bits, data):
    count = data.draw(st.integers(0, 70))
    values = data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=count, max_size=count))
    packed = pack_bits(np.array(values, dtype=np.uint64), bits)
    assert len(packed) == packed_size(count, bits)
    out = unpack_bits(packed, count, bits)
    assert out.dtype == token_dtype(bits)
    assert out.tolist() == values


def test_size_is_exactly_the_bit_width():
    assert packed_size(1000, 10) == 1250
    assert len(pack_bits(np.arange(1000), 10)) == 1250


def test_values_too_wide_are_refused():
    with pytest.raises(ValueError):
        pack_bits(np.array([8]), 3)
    with pytest.raises(ValueError):
        pack_bits(np.array([-1]), 3)


def test_nonzero_padding_and_wrong_length_are_refused():
    with pytest.raises(ValueError, match="padding"):
        unpack_bits(b"\xd1\x80", 3, 3)
    with pytest.raises(ValueError):
        unpack_bits(b"\xd1\x00\x00", 3, 3)
    with pytest.raises(ValueError):
        unpack_bits(b"\xd1", 3, 3)
