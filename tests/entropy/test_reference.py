"""The library and the independent reference decoder (written from the spec) agree."""

from __future__ import annotations

import numpy as np
import pytest
import reference_decoder as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from tokens import LAYOUT, SHIPPED, random_block, real_clips, small_tables

from elastictok_cli.entropy import CoderState, EntropyError, decode_block, encode_block, load_tables

TABLES = small_tables()
# A small limit makes the halving rule run within a short test.
FAST_HALVING = small_tables(step=32, limit=512)


def agree(blocks, tables):
    """Encode with the library; the reference decodes the same ids and the same counts."""
    plain = ref.read_tables(tables.to_bytes())
    state = CoderState.start(tables, len(blocks[0]))
    reference = ref.start_state(plain, len(blocks[0]))
    for block in blocks:
        payload, state = encode_block(block, state, tables)
        ids, reference = ref.decode_block(payload, [len(t) for t in block], reference, plain)
        assert ids == [[int(v) for v in t] for t in block]
        for mine, theirs in zip(state.counts, reference["counts"], strict=True):
            assert mine.tolist() == theirs


@pytest.mark.parametrize("tables", [TABLES, FAST_HALVING], ids=["default", "fast-halving"])
def test_real_tokens(tables):
    for clip in real_clips():
        agree(clip, tables)


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped tables")
def test_shipped_tables_on_real_tokens():
    agree(real_clips()[1], load_tables(SHIPPED))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tiles=st.integers(1, 3), low=st.sampled_from([16, 60, 200]))
def test_random_tokens(seed, tiles, low):
    rng = np.random.default_rng(seed)
    agree([random_block(rng, tiles, low, 256) for _ in range(2)], FAST_HALVING)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_both_refuse_or_both_accept_damage(seed):
    rng = np.random.default_rng(seed)
    block = random_block(rng, 2, 16, 40)
    state = CoderState.start(TABLES, 2)
    payload, _ = encode_block(block, state, TABLES)
    data = bytearray(payload)
    kind = rng.integers(3)
    if kind == 0:
        data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        data = data[: 4 * int(rng.integers(len(data) // 4))]
    else:
        data += rng.integers(0, 256, size=4, dtype=np.uint8).tobytes()
    counts = [len(t) for t in block]
    plain = ref.read_tables(TABLES.to_bytes())
    try:
        mine = [t.tolist() for t in decode_block(bytes(data), counts, state, TABLES)[0]]
    except EntropyError:
        mine = None
    try:
        theirs = ref.decode_block(bytes(data), counts, ref.start_state(plain, 2), plain)[0]
    except ref.ReferenceError:
        theirs = None
    assert mine == theirs
    assert LAYOUT.slots >= max(counts)
