"""A damaged coded payload ends in EntropyError, quickly, never in more ids than asked for."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokens import real_clips, small_tables

from elastictok_cli.entropy import CoderState, EntropyError, decode_block, encode_block

TABLES = small_tables()
BLOCK = real_clips()[0][0]
COUNTS = [len(t) for t in BLOCK]
STATE = CoderState.start(TABLES, len(BLOCK))
PAYLOAD, _ = encode_block(BLOCK, STATE, TABLES)


def decode_or_refuse(data: bytes, counts=COUNTS):
    """Decode within a time bound; any failure must be EntropyError."""
    start = time.perf_counter()
    try:
        ids, _ = decode_block(data, counts, STATE, TABLES)
    except EntropyError:
        ids = None
    assert time.perf_counter() - start < 5
    if ids is not None:
        assert [len(i) for i in ids] == list(counts)
    return ids


def test_truncations_fail_cleanly():
    refused = [decode_or_refuse(PAYLOAD[:cut]) is None for cut in range(0, len(PAYLOAD), 4)]
    assert refused[0]  # an empty payload for a block with tokens
    assert sum(refused) > 0.9 * len(refused)


def test_not_whole_words_is_refused():
    with pytest.raises(EntropyError):
        decode_block(PAYLOAD + b"\0", COUNTS, STATE, TABLES)


def test_trailing_words_are_refused():
    # The last word the decoder reads may be the seal's or one appended word: that one word
    # is the container checksum's to catch (docs/TOKEN_CODING.md, end of payload).
    for tail in (b"\0" * 4, b"\xff" * 4):
        decode_or_refuse(PAYLOAD + tail)
    for tail in (b"\0" * 8, b"\xff" * 8, b"\0" * 64):
        assert decode_or_refuse(PAYLOAD + tail) is None


def test_payload_for_an_empty_block_is_refused():
    with pytest.raises(EntropyError):
        decode_block(b"\0\0\0\0", [0] * len(BLOCK), STATE, TABLES)


def test_all_ones_is_refused():
    assert decode_or_refuse(b"\xff" * len(PAYLOAD)) is None


@settings(max_examples=60, deadline=None)
@given(position=st.integers(0, len(PAYLOAD) * 8 - 1))
def test_bit_flips_fail_cleanly(position):
    data = bytearray(PAYLOAD)
    data[position // 8] ^= 1 << (position % 8)
    ids = decode_or_refuse(bytes(data))
    if ids is not None:  # a flip that still decodes changes the ids
        assert any(not np.array_equal(a, b) for a, b in zip(ids, BLOCK, strict=True))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=0, max_size=4096))
def test_random_bytes_fail_cleanly(data):
    decode_or_refuse(data)


def test_huge_garbage_is_bounded():
    # the decoder reads at most what the counts allow, then refuses the rest
    garbage = np.random.default_rng(0).integers(0, 256, size=1 << 20, dtype=np.uint8).tobytes()
    assert decode_or_refuse(garbage) is None
