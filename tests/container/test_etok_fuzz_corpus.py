"""Replay the fuzzer's kept inputs, and a short random run, through the reader's contract."""

from pathlib import Path

import pytest
from etok_fuzz_target import one_input, refresh_checksums
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parent / "corpus"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
INPUTS = (
    sorted(p for p in CORPUS.iterdir() if not p.name.startswith(".")) if CORPUS.is_dir() else []
)


def test_corpus_is_present():
    assert len(INPUTS) >= 50


@pytest.mark.parametrize("chunk", range(4))
def test_corpus_replays_cleanly(chunk):
    # Four chunks rather than one test per file: hundreds of tiny inputs.
    for path in INPUTS[chunk::4]:
        one_input(path.read_bytes())


def test_refreshed_golden_file_is_unchanged():
    data = (GOLDEN / "etok_v1_fsq16.etok").read_bytes()
    assert refresh_checksums(data) == data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, 2229), st.integers(0, 255)), min_size=1, max_size=8))
def test_random_edits_of_a_golden_file(edits):
    data = bytearray((GOLDEN / "etok_v1_fsq16.etok").read_bytes())
    for offset, value in edits:
        data[offset] = value
    one_input(bytes(data))
