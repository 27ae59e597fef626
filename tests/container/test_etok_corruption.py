"""Truncation, bit flips, bursts and hidden data: every damaged file is refused as corrupt."""

import numpy as np
import pytest
from etok_craft import assemble, frame, sealed, split
from etok_samples import boundaries, make_header, random_records, read_all, refusal, write_file

from elastictok_cli.container import ContainerError


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """About 1.9 KB: 3 blocks of 6 tiles."""
    header = make_header(frames=9)
    path = tmp_path_factory.mktemp("small") / "small.etok"
    return write_file(path, header, random_records(header, np.random.default_rng(10)))


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """About 86 KB: 100 blocks of 12 tiles."""
    header = make_header(frames=400, width=64, height=48)
    path = tmp_path_factory.mktemp("large") / "large.etok"
    return write_file(path, header, random_records(header, np.random.default_rng(11)))


def assert_corrupt(data: bytes, what: str) -> None:
    """Reading `data` completely must raise ContainerError (exit code 3)."""
    err = refusal(data)
    assert isinstance(err, ContainerError), f"{what}: {err!r}"
    assert err.exit_code == 3


def test_the_samples_are_valid(small, large):
    read_all(small)
    read_all(large)


def test_every_truncation_of_a_small_file(small):
    for size in range(len(small)):
        assert_corrupt(small[:size], f"truncated to {size}")


def test_random_and_boundary_truncations_of_a_large_file(large):
    rng = np.random.default_rng(12)
    cuts = set(rng.integers(0, len(large), 2000).tolist())
    for edge in boundaries(large):
        cuts.update({edge - 1, edge, edge + 1})
    cuts = sorted(c for c in cuts if 0 <= c < len(large))
    assert len(cuts) > 2000
    for size in cuts:
        assert_corrupt(large[:size], f"truncated to {size}")


def test_10000_single_bit_flips(small):
    rng = np.random.default_rng(13)
    for bit in rng.integers(0, 8 * len(small), 10_000).tolist():
        damaged = bytearray(small)
        damaged[bit // 8] ^= 1 << (bit % 8)
        assert_corrupt(bytes(damaged), f"bit {bit} flipped")


def test_every_single_bit_flip_of_a_small_file(small):
    for bit in range(8 * len(small)):
        damaged = bytearray(small)
        damaged[bit // 8] ^= 1 << (bit % 8)
        assert_corrupt(bytes(damaged), f"bit {bit} flipped")


def test_1000_random_bursts_up_to_16_bytes(small, large):
    rng = np.random.default_rng(14)
    for data in (small, large):
        for _ in range(500):
            length = int(rng.integers(1, 17))
            start = int(rng.integers(0, len(data) - length + 1))
            noise = rng.integers(0, 256, length, dtype=np.uint8)
            noise[[0, -1]] |= 1  # first and last byte really change: a burst of exactly `length`
            damaged = bytearray(data)
            damaged[start : start + length] = bytes(
                np.frombuffer(data, np.uint8, length, start) ^ noise
            )
            assert_corrupt(bytes(damaged), f"burst of {length} at {start}")


def test_trailing_and_leading_data(small):
    assert_corrupt(small + b"\0", "one byte appended")
    assert_corrupt(small + small, "file appended to itself")
    assert_corrupt(b"\0" + small, "one byte prepended")
    assert_corrupt(b"", "empty")
    assert_corrupt(b"hello world, this is not a container at all", "text")


def test_text_mode_damage_is_caught_by_the_magic(small):
    assert_corrupt(small.replace(b"\r\n", b"\n", 1), "CRLF to LF")
    assert_corrupt(small.replace(b"\n", b"\r\n", 1), "LF to CRLF")
    assert_corrupt(bytes([small[0] & 0x7F]) + small[1:], "high bit stripped")


def test_data_hidden_between_records(small):
    raw, records = split(small)
    records[1] = records[1] + b"hidden"
    assert_corrupt(assemble(raw, records), "bytes after a record")
    _, records = split(small)
    records[0] = sealed(records[0][:-4] + b"hidden")
    assert_corrupt(assemble(raw, records), "bytes after a zstd frame")


def test_skippable_or_foreign_frames(small):
    raw, records = split(small)
    skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"abcd"
    records[0] = sealed(skippable + records[0][:-4])
    assert_corrupt(assemble(raw, records), "skippable frame first")
    records[0] = sealed(b"\x00" * 40)
    assert_corrupt(assemble(raw, records), "not zstd")


def test_frames_without_checksum_or_size(small):
    raw, records = split(small)
    payload = _payload(small, 0)
    for options in ({"write_checksum": False}, {"write_content_size": False}):
        records[0] = sealed(frame(payload, **options))
        assert_corrupt(assemble(raw, records), f"frame with {options}")
    records[0] = sealed(frame(payload))
    assert refusal(assemble(raw, records)) is None  # the same payload re-framed is fine


def _payload(data: bytes, index: int) -> bytes:
    """The decompressed payload of one block."""
    import zstandard

    _, records = split(data)
    return zstandard.ZstdDecompressor().decompress(records[index][:-4])


def test_payload_with_bad_values(small):
    raw, records = split(small)
    payload = bytearray(_payload(small, 0))
    cases = {
        "negative distortion": (3, 0x80),  # sign bit of tile 0's float32
        "NaN distortion": (3, 0x7F, 2, 0xC0),
    }
    for what, edits in cases.items():
        damaged = bytearray(payload)
        for pos, value in zip(edits[::2], edits[1::2], strict=True):
            damaged[pos] |= value
        records[0] = sealed(frame(bytes(damaged)))
        assert_corrupt(assemble(raw, records), what)
    records[0] = sealed(frame(bytes(payload) + b"\0"))
    assert_corrupt(assemble(raw, records), "payload one byte long")
    records[0] = sealed(frame(bytes(payload[:-1])))
    assert_corrupt(assemble(raw, records), "payload one byte short")


def test_token_beyond_the_codebook(tmp_path):
    # 64,000 codes in 16 bits: ids 64,000..65,535 fit the width but are not codes.
    header = make_header(width=16, height=16, frames=4)
    rng = np.random.default_rng(15)
    data = write_file(tmp_path / "a.etok", header, random_records(header, rng, fill=1.0))
    raw, records = split(data)
    payload = bytearray(_payload(data, 0))
    payload[-2:] = (65_000).to_bytes(2, "little")
    records[0] = sealed(frame(bytes(payload)))
    assert_corrupt(assemble(raw, records), "token id 65000")


def test_index_that_disagrees_with_the_header(small):
    raw, records = split(small)
    assert_corrupt(assemble(raw, records[:-1]), "one block missing")
    assert_corrupt(assemble(raw, records + records[-1:]), "one block extra")
    assert_corrupt(assemble(raw, [records[1], records[0], records[2]]), "blocks swapped")
