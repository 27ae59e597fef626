"""Files built to exhaust memory or time are refused fast, before anything large is allocated."""

import time
import tracemalloc

import numpy as np
import pytest
import zstandard
from etok_craft import assemble, packed, preamble, sealed, split
from etok_samples import make_header, random_records, refusal, write_file

from elastictok_cli.container import ContainerError, ContainerReader

LIMIT_SECONDS = 1.0
LIMIT_BYTES = 8 << 20


def assert_refused_cheaply(data: bytes) -> ContainerError:
    """Reading `data` raises ContainerError within a second and a few MB of allocations."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        err = refusal(data)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(err, ContainerError), repr(err)
    assert elapsed < LIMIT_SECONDS, f"took {elapsed:.2f} s"
    assert peak < LIMIT_BYTES, f"allocated {peak} bytes"
    return err


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """Header bytes and sealed records of a small valid file."""
    header = make_header(frames=9)
    path = tmp_path_factory.mktemp("bomb") / "a.etok"
    return split(write_file(path, header, random_records(header, np.random.default_rng(20))))


def _header(parts) -> dict:
    """The small file's full header as a dict."""
    import io

    raw, records = parts
    with ContainerReader(io.BytesIO(assemble(raw, records))) as reader:
        return reader.wire


@pytest.mark.parametrize("single_segment", [False, True])
def test_zstd_frame_claiming_2_to_the_40_bytes(parts, single_segment):
    raw, records = parts
    descriptor = bytes([0xE4]) if single_segment else bytes([0xC4, 0x38])  # 8-byte size, checksum
    bomb = (
        zstandard.MAGIC_NUMBER.to_bytes(4, "little") + descriptor + (1 << 40).to_bytes(8, "little")
    )
    bomb += b"\x03\x00\x02" + b"\0" + b"\0\0\0\0"  # one last RLE block of 64 KiB zeros, checksum
    assert zstandard.get_frame_parameters(bomb).content_size == 1 << 40
    records = [sealed(bomb, 0), *records[1:]]
    assert "claims" in str(assert_refused_cheaply(assemble(raw, records)))


def test_real_zstd_bomb(parts):
    # 16 MiB of zeros in a frame small enough to pass the index's size check.
    raw, records = parts
    compressor = zstandard.ZstdCompressor(write_checksum=True)
    chunk = bytes(1 << 20)
    stream = compressor.compressobj(size=16 << 20)
    frame = b"".join(stream.compress(chunk) for _ in range(16)) + stream.flush()
    assert len(frame) < 800  # under the largest record this header allows
    records = [sealed(frame, 0), *records[1:]]
    assert "claims" in str(assert_refused_cheaply(assemble(raw, records)))


def test_zstd_frame_that_lies_about_its_size(parts):
    raw, records = parts
    frame = zstandard.ZstdCompressor(write_checksum=True).compress(bytes(1000))
    assert frame[4] == 0x64  # single segment, checksum, 2-byte size field holding size - 256
    assert int.from_bytes(frame[5:7], "little") == 1000 - 256
    lie = frame[:5] + (500 - 256).to_bytes(2, "little") + frame[7:]
    assert zstandard.get_frame_parameters(lie).content_size == 500
    records = [sealed(lie, 0), *records[1:]]
    assert_refused_cheaply(assemble(raw, records))


def test_header_claiming_a_billion_blocks(parts):
    raw, records = parts
    header = _header(parts)
    header["video"].update(frames=4 * 10**9, blocks=10**9)
    assert "blocks" in str(assert_refused_cheaply(assemble(packed(header), records, count=10**9)))


def test_index_claiming_four_billion_blocks(parts):
    raw, records = parts
    assert_refused_cheaply(assemble(raw, records, count=2**32 - 1))


@pytest.mark.parametrize(
    "claim",
    [
        b"\xdd\xff\xff\xff\xff",
        b"\xdf\xff\xff\xff\xff",
        b"\xdb\xff\xff\xff\xff",
        b"\xc6\xff\xff\xff\xff",
    ],
    ids=["array", "map", "str", "bin"],
)
def test_msgpack_claiming_2_to_the_32_elements(parts, claim):
    _, records = parts
    header_raw = b"\x81" + packed("model") + claim + b"\0" * 16
    assert_refused_cheaply(assemble(header_raw, records))


@pytest.mark.parametrize("opener", [b"\x91", b"\x81\xa1a"], ids=["arrays", "maps"])
def test_nesting_2000_deep(parts, opener):
    _, records = parts
    assert_refused_cheaply(assemble(opener * 2000 + b"\xc0", records))


def test_nesting_deeper_than_the_schema_needs(parts):
    raw, records = parts
    header = _header(parts)
    deep = 0
    for _ in range(20):
        deep = [deep]
    header["ancillary"] = deep
    assert "deeper" in str(assert_refused_cheaply(assemble(packed(header), records)))


def test_preamble_claiming_a_4_gib_header(parts):
    raw, records = parts
    data = bytearray(assemble(raw, records))
    data[:21] = preamble(2**32 - 1)
    assert_refused_cheaply(bytes(data))


def test_tiles_that_would_need_a_gigabyte_per_block(parts):
    raw, records = parts
    header = _header(parts)
    config = header["model"]["config"]
    config.update(patch=[1, 1, 1], frames_per_block=1, tile_size=[4096, 4096], max_tokens=1 << 24)
    config["fsq_levels"] = [65536, 65536]
    header["max_tokens"], header["bits_per_token"] = 1 << 24, 32
    header["video"].update(
        width=16 * 4096,
        height=4096,
        tiles_x=16,
        tiles_y=1,
        tile_width=4096,
        tile_height=4096,
        pad_right=0,
        pad_bottom=0,
        frames=3,
        blocks=3,
    )
    assert "limit" in str(assert_refused_cheaply(assemble(packed(header), records)))
