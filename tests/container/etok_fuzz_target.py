"""The reader under fuzzing: any input reads cleanly or raises a container error, nothing else.

The salvage scanner too (`one_repair_input`): it keeps only checked records, in order.

Used by `fuzz_reader.py` (atheris) and by the corpus replay in every test run.
"""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import zstandard

from elastictok_cli.container import ContainerError, ContainerIncompatible, ContainerReader, layout
from elastictok_cli.container.frames import record_crc
from elastictok_cli.container.salvage import ConcealedBlocks, Salvage
from elastictok_cli.container.writer import encode_head


def _put_crc(buf: bytearray, at: int, value: int) -> None:
    """Store a CRC at `at`."""
    buf[at : at + layout.CRC.size] = layout.CRC.pack(value)


def refresh_checksums(data: bytes) -> bytes:
    """Make every checksum valid where the structure can be followed.

    Random mutations almost never pass a CRC; with them fixed, mutations reach the
    msgpack, zstd and payload parsers behind the checksums.
    """
    buf = bytearray(data)
    size = len(buf)
    if size < layout.PREAMBLE_SIZE:
        return data
    _put_crc(buf, layout.PREAMBLE.size, layout.crc32(bytes(buf[: layout.PREAMBLE.size])))
    header_size = int.from_bytes(buf[13:17], "little")
    body = layout.PREAMBLE_SIZE + header_size + layout.CRC.size
    if body > size:
        return bytes(buf)
    _put_crc(buf, body - layout.CRC.size, layout.crc32(bytes(buf[layout.PREAMBLE_SIZE : body - 4])))
    if size < body + layout.TAIL_SIZE:
        return bytes(buf)
    count = int.from_bytes(buf[size - 16 : size - 12], "little")
    index_start = size - layout.TAIL_SIZE - 4 * count
    if index_start < body:
        return bytes(buf)
    lengths = bytes(buf[index_start : size - layout.TAIL_SIZE])
    _put_crc(buf, size - 12, layout.crc32(lengths, layout.INDEX_ENTRY.pack(count)))
    offset = body
    for index, length in enumerate(np.frombuffer(lengths, "<u4").tolist()):
        if length < layout.CRC.size or offset + length > index_start:
            break
        frame = bytes(buf[offset : offset + length - layout.CRC.size])
        _put_crc(buf, offset + length - layout.CRC.size, record_crc(index, frame))
        offset += length
    return bytes(buf)


def _records(data: bytes) -> tuple[int, int, list[int]] | None:
    """Body start, index start and record sizes, if the tail and index can be followed."""
    size = len(data)
    if size < layout.MIN_FILE_SIZE:
        return None
    body = layout.PREAMBLE_SIZE + int.from_bytes(data[13:17], "little") + layout.CRC.size
    count = int.from_bytes(data[size - 16 : size - 12], "little")
    index_start = size - layout.TAIL_SIZE - 4 * count
    if body > index_start:
        return None
    lengths = np.frombuffer(data[index_start : size - layout.TAIL_SIZE], "<u4").tolist()
    if sum(lengths) != index_start - body or min(lengths, default=4) < layout.CRC.size:
        return None
    return body, index_start, lengths


def compress_records(data: bytes) -> bytes:
    """Treat each record's bytes as a plain payload: compress it and rebuild the index.

    zstd's own checksum stops mutations of compressed bytes; this way they reach the
    payload parser (counts, padding bits, ids, distortion).
    """
    found = _records(data)
    if found is None:
        return data
    body, _, lengths = found
    compressor = zstandard.ZstdCompressor(write_checksum=True, write_content_size=True)
    records, offset = [], body
    for index, length in enumerate(lengths):
        frame = compressor.compress(data[offset : offset + length - layout.CRC.size])
        records.append(frame + layout.CRC.pack(record_crc(index, frame)))
        offset += length
    sizes = np.asarray([len(r) for r in records], dtype="<u4").tobytes()
    count = layout.INDEX_ENTRY.pack(len(records))
    tail = layout.TAIL.pack(len(records), layout.crc32(sizes, count), layout.END_MAGIC)
    return data[:body] + b"".join(records) + sizes + tail


def decompress_records(data: bytes) -> bytes:
    """The inverse of `compress_records` for a valid file (to make seeds)."""
    body, _, lengths = _records(data)
    records, offset = [], body
    for length in lengths:
        payload = zstandard.ZstdDecompressor().decompress(data[offset : offset + length - 4])
        records.append(payload + bytes(layout.CRC.size))
        offset += length
    sizes = np.asarray([len(r) for r in records], dtype="<u4").tobytes()
    count = layout.INDEX_ENTRY.pack(len(records))
    tail = layout.TAIL.pack(len(records), layout.crc32(sizes, count), layout.END_MAGIC)
    return data[:body] + b"".join(records) + sizes + tail


def _check_consistent(reader: ContainerReader) -> None:
    """A file that reads cleanly must satisfy everything the header promises."""
    header = reader.wire
    tiles = header["video"]["tiles_x"] * header["video"]["tiles_y"]
    codes = math.prod(header["model"]["config"]["fsq_levels"])
    for index, record in enumerate(reader):
        assert record.index == index
        assert len(record.token_counts) == len(record.tokens) == len(record.distortion) == tiles
        for count, ids, mse in zip(
            record.token_counts, record.tokens, record.distortion, strict=True
        ):
            assert 0 <= count <= header["max_tokens"] and ids.shape == (count,)
            assert ids.dtype.kind == "u" and (count == 0 or int(ids.max()) < codes)
            assert math.isfinite(mse) and mse >= 0


def one_input(data: bytes) -> None:
    """Read `data` completely: as given, with checksums refreshed, with payloads compressed."""
    for candidate in (data, refresh_checksums(data), refresh_checksums(compress_records(data))):
        try:
            with ContainerReader(io.BytesIO(candidate)) as reader:
                _check_consistent(reader)
        except (ContainerError, ContainerIncompatible):
            pass


def _check_salvage(data: bytes) -> None:
    """Scan `data` as repair does: only checked records, in rising order, and a valid header."""
    try:
        with Salvage(data) as salvage:
            found = list(salvage.scan())
            blocks = salvage.header.video.blocks
            repaired = dict(salvage.head.wire, video=dict(salvage.head.wire["video"]))
    except (ContainerError, ContainerIncompatible):
        return
    numbers = [f.index for f in found]
    assert numbers == sorted(set(numbers))
    assert all(a.offset + a.size <= b.offset for a, b in itertools.pairwise(found))
    if found:
        # The corrected header repair would write is one a reader accepts.
        per_block = repaired["model"]["config"]["frames_per_block"]
        repaired["video"].update(frames=len(found) * per_block, blocks=len(found))
        encode_head(repaired)
    # A header may promise 2**32 blocks: concealment stands in for all of them, lazily.
    with ConcealedBlocks(data) as concealed:
        shown = list(itertools.islice(concealed, 4096))
        assert len(shown) == min(blocks, 4096)
        assert all(record.index == i for i, record in enumerate(shown))


def one_repair_input(data: bytes) -> None:
    """Salvage `data`: as given, with checksums refreshed, with payloads compressed."""
    for candidate in (data, refresh_checksums(data), refresh_checksums(compress_records(data))):
        _check_salvage(candidate)
