"""Round trips of the context coder: random and real tokens, every k, previous of any length."""

from __future__ import annotations

import numpy as np
import pytest
from tokens import LAYOUT, random_block, real_clips, small_tables

from elastictok_cli.entropy import CoderState, decode_block, encode_block

TABLES = small_tables()


def round_trip(blocks, tables=TABLES, previous=None):
    """Encode then decode blocks in order; return the payloads."""
    tiles = len(blocks[0])
    state = CoderState.start(tables, tiles)
    if previous is not None:
        state = CoderState(previous=tuple(previous), counts=state.counts)
    decoder_state = state
    payloads = []
    for block in blocks:
        payload, state = encode_block(block, state, tables)
        ids, decoder_state = decode_block(payload, [len(t) for t in block], decoder_state, tables)
        assert len(ids) == len(block)
        for got, want in zip(ids, block, strict=True):
            assert got.dtype == np.uint32
            np.testing.assert_array_equal(got, want)
        payloads.append(payload)
    for a, b in zip(state.counts, decoder_state.counts, strict=True):
        np.testing.assert_array_equal(a, b)
    return payloads


def test_real_tokens_round_trip_and_shrink():
    for clip in real_clips():
        payloads = round_trip(clip)
        tokens = sum(len(t) for b in clip for t in b)
        assert 8 * sum(map(len, payloads)) < 10 * tokens  # v1 spends 16 bits before zstd


@pytest.mark.parametrize("k", [16, 17, 63, 64, 65, 128, 192, 193, 255, 256])
def test_every_k(k):
    rng = np.random.default_rng(k)
    blocks = [random_block(rng, 3, k, k) for _ in range(2)]
    round_trip(blocks)


def test_mixed_counts_and_empty_tiles():
    rng = np.random.default_rng(1)
    blocks = [random_block(rng, 5) for _ in range(3)]
    blocks[1][2] = np.zeros(0, np.int64)  # a tile that keeps nothing keeps its previous ids
    round_trip(blocks)


def test_all_tiles_empty_gives_empty_payload():
    tables = TABLES
    state = CoderState.start(tables, 2)
    payload, after = encode_block([np.zeros(0, int)] * 2, state, tables)
    assert payload == b""
    ids, _ = decode_block(b"", [0, 0], state, tables)
    assert [len(i) for i in ids] == [0, 0]


@pytest.mark.parametrize("length", [0, 1, 192, 200, 255, 256, 300])
def test_previous_of_any_length(length):
    rng = np.random.default_rng(length)
    previous = [rng.integers(0, LAYOUT.num_codes, size=length), None]
    round_trip([random_block(rng, 2)], previous=previous)


def test_previous_changes_the_payload():
    block = real_clips()[0][1]
    before = real_clips()[0][0]
    with_prev = CoderState(previous=tuple(before), counts=TABLES.counts)
    a, _ = encode_block(block, CoderState.start(TABLES, 4), TABLES)
    b, _ = encode_block(block, with_prev, TABLES)
    assert len(b) < len(a)


def test_deterministic():
    rng = np.random.default_rng(7)
    blocks = [random_block(rng, 4) for _ in range(2)]
    assert round_trip(blocks) == round_trip(blocks)


def test_state_is_not_mutated():
    state = CoderState.start(TABLES, 4)
    snapshot = [c.copy() for c in state.counts]
    encode_block(real_clips()[0][0], state, TABLES)
    for a, b in zip(state.counts, snapshot, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not state.counts[0].flags.writeable


@pytest.mark.parametrize(
    "block",
    [
        [np.array([LAYOUT.num_codes])],
        [np.array([-1])],
        [np.zeros(257, int)],
        [np.zeros((2, 2), int)],
        [np.zeros(3, float)],
    ],
)
def test_encode_refuses_bad_ids(block):
    with pytest.raises(ValueError):
        encode_block(block, CoderState.start(TABLES, 1), TABLES)


def test_tile_count_must_match():
    with pytest.raises(ValueError):
        encode_block([np.zeros(16, int)] * 2, CoderState.start(TABLES, 3), TABLES)
    with pytest.raises(ValueError):
        decode_block(b"", [0, 0], CoderState.start(TABLES, 3), TABLES)
    with pytest.raises(ValueError):
        decode_block(b"", [257], CoderState.start(TABLES, 1), TABLES)
