"""Token tables: the file format round trip, the hash, validation, and integer frequencies."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tokens import LAYOUT, SHIPPED, real_clips, small_tables

from elastictok_cli.entropy import (
    CoderState,
    TablesError,
    TokenTables,
    encode_block,
    load_tables,
    tables_sha256,
)
from elastictok_cli.entropy.adaptive import TOTAL, frequencies, initial_counts, update

# The shipped file's SHA-256: a change means files coded with the old tables no longer decode.
SHIPPED_SHA256 = "1f96e6fbcffa83ded1e55aeb1c7f51620cf2d75d6fc1b309e1f6c7fa43e4e91f"


def test_bytes_round_trip_and_hash(tmp_path):
    tables = small_tables()
    path = tmp_path / "t.safetensors"
    tables.save(path)
    again = load_tables(path)
    assert again.sha256 == tables.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tables_sha256(path) == tables.sha256
    assert again.layout == LAYOUT and (again.step, again.limit) == (tables.step, tables.limit)
    for a, b in zip(again.counts, tables.counts, strict=True):
        np.testing.assert_array_equal(a, b)


def test_hash_is_stable_across_builds():
    assert small_tables().to_bytes() == small_tables().to_bytes()


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped tables")
def test_shipped_tables():
    tables = load_tables(SHIPPED.parent)  # a model folder finds its tables file
    assert tables.sha256 == SHIPPED_SHA256
    assert tables.layout == LAYOUT
    assert TokenTables.from_bytes(tables.to_bytes()).sha256 == SHIPPED_SHA256


def test_damaged_files_are_refused(tmp_path):
    data = bytearray(small_tables().to_bytes())
    for bad in (b"", b"not safetensors", bytes(data[:-4]), bytes(data[:100])):
        with pytest.raises(TablesError):
            TokenTables.from_bytes(bad)
    with pytest.raises(TablesError):
        load_tables(tmp_path / "missing.safetensors")


def test_inconsistent_tables_are_refused():
    good = small_tables()
    counts = list(good.counts)
    zero = counts[0].copy()
    zero[0, 0] = 0
    for bad in (counts[:-1], [zero, *counts[1:]], [counts[0][:-1], *counts[1:]]):
        with pytest.raises(TablesError):
            TokenTables(LAYOUT, good.step, good.limit, tuple(bad))
    with pytest.raises(TablesError):
        TokenTables(LAYOUT, 32, 100, good.counts)  # rows sum to 256 > limit


@given(st.lists(st.integers(1, 1 << 24), min_size=2, max_size=16))
def test_frequencies_are_positive_and_sum_to_total(counts):
    freqs = frequencies(np.asarray([counts]))
    assert freqs.min() >= 1
    assert int(freqs.sum()) == TOTAL


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=8), st.integers(16, 4096))
def test_initial_counts_sum_to_weight(observed, weight):
    counts = initial_counts(np.asarray([observed]), weight)
    assert counts.min() >= 1
    assert int(counts.sum()) == weight


def test_update_halves_once_and_keeps_counts_positive():
    counts = np.array([[1, 1, 60], [5, 5, 5]], dtype=np.int64)
    update(counts, np.array([0, 0, 1]), np.array([2, 2, 0]), step=8, limit=64)
    assert counts.tolist() == [[1, 1, 38], [13, 5, 5]]


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped tables")
def test_shipped_payloads_are_pinned():
    # The bytes a file would hold: a change here breaks files already written.
    tables = load_tables(SHIPPED)
    digest, sizes = hashlib.sha256(), []
    for clip in real_clips():
        state = CoderState.start(tables, 4)
        for block in clip:
            payload, state = encode_block(block, state, tables)
            digest.update(payload)
            sizes.append(len(payload))
    assert sizes == [832, 404, 788, 492, 500]
    assert digest.hexdigest() == "c1b5c59b90414c9176b1d5ee85deb4ce70d1aa6fd727584ffa08c1e28360c5ab"
