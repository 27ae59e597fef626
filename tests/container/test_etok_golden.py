"""Files written by format v1 decode to the same header and tokens in every later version.

The golden files are never regenerated: if this test fails, the reader broke v1.
"""

import hashlib
import json
from pathlib import Path

import pytest

from elastictok_cli.container import ContainerReader

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
PINNED = {
    "etok_v1_fsq16": "56a2dfe8075067d6b09652c53920bb9d1513f5ef8d87cd09e3a28e3b59702ef9",
    "etok_v1_fsq10": "e19809b9e1ad0ebf9a5235a7870581ec39ac65397907561ca6b9738ef41ac939",
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_golden_file_is_the_original(name):
    digest = hashlib.sha256((GOLDEN / f"{name}.etok").read_bytes()).hexdigest()
    assert digest == PINNED[name], "golden files are never regenerated; add a new one instead"


@pytest.mark.parametrize("name", sorted(PINNED))
def test_golden_file_decodes_to_the_same_tokens(name):
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    with ContainerReader(GOLDEN / f"{name}.etok") as reader:
        assert reader.format_version == 1
        assert reader.wire == expected["header"]
        assert reader.header.to_dict() == expected["header"]  # the typed facts lose nothing
        assert reader.num_blocks == len(expected["blocks"])
        for want, got in zip(expected["blocks"], reader, strict=True):
            assert got.index == want["index"]
            assert list(got.token_counts) == want["token_counts"]
            assert list(got.distortion) == want["distortion"]
            assert [t.tolist() for t in got.tokens] == want["tokens"]
