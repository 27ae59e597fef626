"""The version 2 golden file: it decodes to the same tokens in every later version, and a
second decoder written from docs/FORMAT.md and docs/TOKEN_CODING.md alone agrees.

The golden file is never regenerated: if this test fails, the reader broke version 2.
"""

import hashlib
import json
import struct
import zlib
from pathlib import Path

import msgpack
import zstandard
from entropy import reference_decoder as ref

from elastictok_cli.container import ContainerReader

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "etok_v2_context"
TABLES = ROOT / "models" / "elastictok-64" / "token_tables.safetensors"
PINNED = "bcf29be90a06ea5c0dac51e0025d0ee65f1c954495ad103a1e5d72396085b732"


def expected() -> dict:
    """What the file holds, written beside it when it was made."""
    return json.loads(GOLDEN.with_suffix(".json").read_text())


def test_golden_v2_is_the_original():
    digest = hashlib.sha256(GOLDEN.with_suffix(".etok").read_bytes()).hexdigest()
    assert digest == PINNED, "golden files are never regenerated; add a new one instead"


def test_golden_v2_decodes_to_the_same_tokens():
    want = expected()
    with ContainerReader(GOLDEN.with_suffix(".etok")) as reader:
        assert (reader.format_version, reader.min_reader_version) == (2, 2)
        assert reader.wire == want["header"]
        for block, got in zip(want["blocks"], reader, strict=True):
            assert list(got.token_counts) == block["token_counts"]
            assert list(got.skipped) == block["skipped"]
            assert [t.tolist() for t in got.tokens] == block["tokens"]
        # Seeking: block 3 decodes from the reset at block 2, block 1 from block 0.
        for index in (3, 1, 4):
            assert [t.tolist() for t in reader.read_block(index).tokens] == (
                want["blocks"][index]["tokens"]
            )


def unpack(data: bytes, count: int, bits: int) -> list[int]:
    """FORMAT.md 'Bit packing': LSB first, value k at stream bits k*bits onwards."""
    stream = int.from_bytes(data, "little")
    return [(stream >> (k * bits)) & ((1 << bits) - 1) for k in range(count)]


def read_from_the_pages(data: bytes) -> tuple[dict, list[dict]]:
    """Header and blocks of a version 2 file, following the two documents step by step."""
    magic, version, min_reader, header_size = struct.unpack_from("<9sHHI", data, 0)
    assert magic == b"\x89ETOK\r\n\x1a\n" and (version, min_reader) == (2, 2)
    assert struct.unpack_from("<I", data, 17)[0] == zlib.crc32(data[:17])
    header = msgpack.unpackb(data[21 : 21 + header_size])
    body = 21 + header_size + 4
    count, _, end = struct.unpack_from("<II8s", data, len(data) - 16)
    assert end == b"ETOK.IDX"
    lengths = struct.unpack_from(f"<{count}I", data, len(data) - 16 - 4 * count)
    video, config = header["video"], header["model"]["config"]
    tiles = video["tiles_x"] * video["tiles_y"]
    count_bits = header["max_tokens"].bit_length()
    tables = ref.read_tables(TABLES.read_bytes())
    assert hashlib.sha256(TABLES.read_bytes()).hexdigest() == header["token_tables"]
    assert header["token_coding"] == "context-range" and config["fsq_levels"] == tables["levels"]
    blocks, at, state = [], body, None
    for index, length in enumerate(lengths):
        record = data[at : at + length]
        at += length
        frame, crc = record[:-4], struct.unpack("<I", record[-4:])[0]
        assert crc == zlib.crc32(struct.pack("<I", index) + frame)
        payload = zstandard.ZstdDecompressor().decompress(frame)
        flags_at, counts_at = 4 * tiles, 4 * tiles + (tiles + 7) // 8
        ids_at = counts_at + (tiles * count_bits + 7) // 8
        skipped = [bool(f) for f in unpack(payload[flags_at:counts_at], tiles, 1)]
        counts = unpack(payload[counts_at:ids_at], tiles, count_bits)
        if index % header["coding_reset"] == 0:
            state = ref.start_state(tables, tiles)
        ids, state = ref.decode_block(payload[ids_at:], counts, state, tables)
        blocks.append({"skipped": skipped, "token_counts": counts, "tokens": ids})
    return header, blocks


def test_a_second_decoder_from_the_pages_agrees():
    header, blocks = read_from_the_pages(GOLDEN.with_suffix(".etok").read_bytes())
    want = expected()
    assert header == want["header"]
    for block, got in zip(want["blocks"], blocks, strict=True):
        assert got["skipped"] == block["skipped"]
        assert got["token_counts"] == block["token_counts"]
        assert [list(t) for t in got["tokens"]] == block["tokens"]
