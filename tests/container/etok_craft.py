"""Build .etok bytes by hand, with valid checksums, to test what a reader refuses."""

from __future__ import annotations

import io

import msgpack
import numpy as np
import zstandard

from elastictok_cli.container import ContainerReader, layout
from elastictok_cli.container.frames import record_crc


def preamble(header_size: int, version: int = 1, min_reader: int = 1) -> bytes:
    """Magic, versions and header size, with their CRC."""
    fixed = layout.PREAMBLE.pack(layout.MAGIC, version, min_reader, header_size)
    return fixed + layout.CRC.pack(layout.crc32(fixed))


def sealed(frame: bytes, index: int = 0) -> bytes:
    """Record `index`: any bytes as the frame, followed by their CRC."""
    return frame + layout.CRC.pack(record_crc(index, frame))


def tail(records: list[bytes], count: int | None = None) -> bytes:
    """Index of the records' sizes, then count, CRC and end magic."""
    count = len(records) if count is None else count
    lengths = np.asarray([len(r) for r in records], dtype="<u4").tobytes()
    crc = layout.crc32(lengths, layout.INDEX_ENTRY.pack(count))
    return lengths + layout.TAIL.pack(count, crc, layout.END_MAGIC)


def assemble(
    header_raw: bytes,
    records: list[bytes],
    *,
    version: int = 1,
    min_reader: int = 1,
    count: int | None = None,
) -> bytes:
    """A whole file from raw header bytes and sealed records, every checksum valid."""
    head = preamble(len(header_raw), version, min_reader) + header_raw
    head += layout.CRC.pack(layout.crc32(header_raw))
    return head + b"".join(records) + tail(records, count)


def split(data: bytes) -> tuple[bytes, list[bytes]]:
    """Raw header bytes and the sealed records of a valid file."""
    with ContainerReader(io.BytesIO(data)) as reader:
        start = layout.PREAMBLE_SIZE
        header_raw = data[start : start + reader.header_size]
        offset = start + reader.header_size + layout.CRC.size
        records = []
        for size in reader.block_sizes:
            records.append(data[offset : offset + size])
            offset += size
    return header_raw, records


def packed(header: dict) -> bytes:
    """A header dict as msgpack, unvalidated."""
    return msgpack.packb(header, use_bin_type=True)


def frame(payload: bytes, **kwargs) -> bytes:
    """A zstd frame of `payload` (checksum and content size on unless overridden)."""
    options = {"write_checksum": True, "write_content_size": True, **kwargs}
    return zstandard.ZstdCompressor(**options).compress(payload)
