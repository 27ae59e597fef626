"""Reader: validates preamble, header and index on open, and each block as it is read."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from elastictok_cli.container import layout
from elastictok_cli.container.coding import BlockCoder, check_tables, find_tables
from elastictok_cli.container.errors import ContainerError, ContainerIncompatible
from elastictok_cli.container.frames import make_decompressor, unseal
from elastictok_cli.container.header import unpack_header
from elastictok_cli.container.records import BlockGeometry, BlockRecord, decode_payload
from elastictok_cli.container.schema import Header


def _source_size(source: BinaryIO) -> int:
    """Size of a seekable binary file."""
    try:
        return os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        end = source.seek(0, os.SEEK_END)
        source.seek(0)
        return end


class ContainerReader:
    """Random access to the blocks of a .etok file (a path or a seekable binary file).

    Every problem with the file raises `ContainerError` (damaged: exit 3) or
    `ContainerIncompatible` (needs a newer version: exit 4); nothing else escapes.
    """

    def __init__(self, source: str | os.PathLike | BinaryIO, tables=None):
        """Open the file and check everything but the block records.

        A file whose ids are context-coded needs the token tables its header names:
        `tables`, or else those of an installed model, found when the first block is read.
        """
        self._tables, self._coder = tables, None
        self._owns_file = not hasattr(source, "read")
        self.name = os.fspath(source) if self._owns_file else getattr(source, "name", "<stream>")
        if self._owns_file:
            try:
                self._file: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed by close()
            except OSError as err:
                raise ContainerError(f"cannot open {self.name}: {err.strerror or err}") from err
        else:
            self._file = source
        self._decompressor = make_decompressor()
        try:
            self.file_size = _source_size(self._file)
            self._open()
        except BaseException:
            self.close()
            raise

    def _read_at(self, offset: int, size: int) -> bytes:
        """Exactly `size` bytes at `offset`; a short read means the file is truncated."""
        try:
            self._file.seek(offset)
            data = self._file.read(size)
        except OSError as err:
            raise ContainerError(f"cannot read {self.name}: {err.strerror or err}") from err
        if len(data) != size:
            raise ContainerError("file is truncated")
        return data

    def _open(self) -> None:
        """Check preamble, header, tail and index, in that order, each before using it."""
        if self.file_size < layout.MIN_FILE_SIZE:
            raise ContainerError(f"{self.file_size} bytes is too short for a .etok file")
        preamble = self._read_at(0, layout.PREAMBLE_SIZE)
        magic, version, min_reader, header_size = layout.PREAMBLE.unpack_from(preamble)
        if magic != layout.MAGIC:
            raise ContainerError("not an .etok file (bad magic bytes)")
        (stored,) = layout.CRC.unpack_from(preamble, layout.PREAMBLE.size)
        if layout.crc32(preamble[: layout.PREAMBLE.size]) != stored:
            raise ContainerError("file preamble is damaged (checksum mismatch)")
        if not 1 <= min_reader <= version:
            raise ContainerError(f"impossible versions: format {version}, reader {min_reader}")
        if min_reader > layout.READER_VERSION:
            raise ContainerIncompatible(
                f"file format {version} needs a reader of version {min_reader}; "
                f"this one reads up to {layout.READER_VERSION} (upgrade elastictok)"
            )
        self.format_version, self.min_reader_version = version, min_reader
        body_start = layout.PREAMBLE_SIZE + header_size + layout.CRC.size
        if not 1 <= header_size <= layout.MAX_HEADER_SIZE or body_start > self.file_size:
            raise ContainerError(f"header size {header_size} is impossible")
        raw = self._read_at(layout.PREAMBLE_SIZE, header_size + layout.CRC.size)
        (stored,) = layout.CRC.unpack_from(raw, header_size)
        if layout.crc32(raw[:header_size]) != stored:
            raise ContainerError("header is damaged (checksum mismatch)")
        # The checked map as stored (`wire`) and the same facts typed (`header`).
        self.wire = unpack_header(raw[:header_size])
        self.header = Header.from_dict(self.wire)
        self.header_size = header_size
        # The body is laid out for the oldest reader the file admits: a newer file that a
        # version 1 reader may read has version 1 records.
        self._geometry = BlockGeometry.from_header(self.wire, min_reader)
        self._read_index(body_start)

    def _read_index(self, body_start: int) -> None:
        """Read the tail and the index; the records must exactly fill the space between."""
        tail = self._read_at(self.file_size - layout.TAIL_SIZE, layout.TAIL_SIZE)
        count, stored, end_magic = layout.TAIL.unpack(tail)
        if end_magic != layout.END_MAGIC:
            raise ContainerError("file is truncated or has trailing data (no index at its end)")
        space = self.file_size - layout.TAIL_SIZE - body_start
        # Bound the count by the bytes actually present before reading the index.
        if count * (layout.INDEX_ENTRY.size + layout.MIN_RECORD_SIZE) > space:
            raise ContainerError(f"index claims {count} blocks, more than the file can hold")
        index_start = self.file_size - layout.TAIL_SIZE - count * layout.INDEX_ENTRY.size
        lengths_raw = self._read_at(index_start, count * layout.INDEX_ENTRY.size)
        if layout.crc32(lengths_raw, layout.INDEX_ENTRY.pack(count)) != stored:
            raise ContainerError("index is damaged (checksum mismatch)")
        if count != self.header.video.blocks:
            raise ContainerError(f"index has {count} blocks, header says otherwise")
        lengths = np.frombuffer(lengths_raw, dtype="<u4").astype(np.int64)
        largest = layout.max_record_size(self._geometry.payload_bound)
        if count and (lengths.min() < layout.MIN_RECORD_SIZE or lengths.max() > largest):
            raise ContainerError("index holds an impossible record size")
        if int(lengths.sum()) != index_start - body_start:
            raise ContainerError("records do not exactly fill the file (hidden or missing data)")
        self._lengths = lengths
        self._offsets = body_start + np.concatenate(([0], np.cumsum(lengths)[:-1]))
        self.num_blocks = count

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Bytes each block's record takes on disk."""
        return tuple(self._lengths.tolist())

    def read_block(self, index: int) -> BlockRecord:
        """Read, check and decode block `index` (0-based)."""
        if not 0 <= index < self.num_blocks:
            raise IndexError(f"block {index} is not in 0..{self.num_blocks - 1}")
        if self._geometry.digits:
            # Coded ids need the coder's state: decode from the last reset up to `index`.
            coder = self.coder()
            start = index if coder.can_decode(index) else index - index % coder.reset
            for earlier in range(start, index):
                self._decode_record(earlier)
        return self._decode_record(index)

    def _decode_record(self, index: int) -> BlockRecord:
        """Read, check and decode one record (coded ids in order, from a reset)."""
        record = self._read_at(int(self._offsets[index]), int(self._lengths[index]))
        return self.decode_record(record, index)

    def decode_record(self, raw: bytes, index: int) -> BlockRecord:
        """Check and decode one record's bytes as block `index`."""
        payload = unseal(raw, index, self._geometry.payload_bound, self._decompressor)
        decode_ids = self.coder().decode if self._geometry.digits else None
        try:
            return decode_payload(payload, index, self._geometry, decode_ids)
        except MemoryError as err:
            raise ContainerError(f"block {index}: out of memory while decoding") from err

    def coder(self) -> BlockCoder:
        """The context coder of this file (coded ids only), its tables found on first use."""
        if self._coder is None:
            tables = self._tables or find_tables(self.header.token_tables)
            tables = check_tables(tables, self.wire)
            self._coder = BlockCoder(tables, self.header.video.tiles, self.header.coding_reset)
        return self._coder

    def __iter__(self) -> Iterator[BlockRecord]:
        """Blocks in order."""
        for index in range(self.num_blocks):
            yield self.read_block(index)

    def __len__(self) -> int:
        """Number of blocks."""
        return self.num_blocks

    def verify(self) -> None:
        """Read every block, raising on the first damaged one."""
        for _ in self:
            pass

    def close(self) -> None:
        """Close the file if this reader opened it."""
        if self._owns_file and hasattr(self, "_file"):
            self._file.close()

    def __enter__(self) -> ContainerReader:
        """Use as `with ContainerReader(path) as reader:`."""
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Close on leaving the block."""
        self.close()


def open_container(source: str | os.PathLike | BinaryIO) -> ContainerReader:
    """Open a .etok file for reading (same as `ContainerReader(source)`)."""
    return ContainerReader(source)
