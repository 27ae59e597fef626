"""Version 2 damage: behind valid checksums, a corrupt coded payload is a clean refusal.

The CRCs catch random damage first; these tests refresh them (as the fuzz harness does)
so that the damage reaches the skip flags, the counts and the range decoder itself.
"""

import io
from pathlib import Path

from etok_fuzz_target import compress_records, decompress_records, one_input, refresh_checksums
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastictok_cli.container import ContainerError, ContainerIncompatible, ContainerReader

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "etok_v2_context.etok"
RAW = decompress_records(GOLDEN.read_bytes())  # records as plain payloads, for mutation
CODES = 64000  # the shipped model's codebook


def test_the_raw_form_still_reads_as_the_golden_file():
    one_input(RAW)  # compress_records inside rebuilds a valid file from it


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(RAW) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_random_edits_reach_the_coder_and_end_cleanly(edits):
    data = bytearray(RAW)
    for offset, value in edits:
        data[offset] = value
    one_input(bytes(data))


def test_flipped_bytes_in_the_records_are_refused_or_read_consistently():
    refused = 0
    records = range(len(RAW) // 2, len(RAW) // 2 + 200)  # inside the block payloads
    for offset in records:
        data = bytearray(RAW)
        data[offset] ^= 0x5A
        fixed = refresh_checksums(compress_records(bytes(data)))
        try:
            with ContainerReader(io.BytesIO(fixed)) as reader:
                for record in reader:
                    assert all(
                        len(t) == n for t, n in zip(record.tokens, record.token_counts, strict=True)
                    )
                    assert all((t < CODES).all() for t in record.tokens if len(t))
        except (ContainerError, ContainerIncompatible):
            refused += 1
    assert refused > 100  # the counts, flags and the coded payload's own checks catch most
