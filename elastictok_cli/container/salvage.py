"""Salvage: the intact records of a damaged or unfinished .etok file, found without its index.

A record is self-delimiting (its zstd frame states the size of each of its blocks, then a
checksum follows) and its CRC binds its block number, so a forward scan from the end of
the header finds every intact record and tells which block it is, wherever damage has
cut, shifted or overwritten the bytes around it. Needs no model and no JAX.
"""

from __future__ import annotations

import dataclasses
import io
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from elastictok_cli.container import layout
from elastictok_cli.container.errors import ContainerError
from elastictok_cli.container.frames import record_crc
from elastictok_cli.container.reader import ContainerReader
from elastictok_cli.container.records import BlockRecord

# How far past the blocks the damaged bytes before it could have held a record's number
# may lie: a whole record cut out leaves no bytes behind, a random number almost never
# lands this close (the CRC makes every number equally likely).
MAX_JUMP = 1024
# Runs of kept and lost blocks recorded in the header (its arrays hold at most 4,096).
MAX_RUNS = 256
_FCS_BYTES = (0, 2, 4, 8)  # zstd Frame_Content_Size field, by its flag (RFC 8878 3.1.1.1.1)
_DICT_BYTES = (0, 1, 2, 4)


class HeadReader(ContainerReader):
    """A reader that checks the preamble and header only: a damaged file's index is not trusted."""

    def _read_index(self, body_start: int) -> None:
        """Keep where the records start; the index is never read."""
        self.body_start = body_start
        self.num_blocks = 0
        self._lengths = self._offsets = np.zeros(0, np.int64)

    def record_at(self, raw: bytes, index: int) -> BlockRecord:
        """Check and decode one record's bytes as block `index`, as `read_block` does."""
        return self.decode_record(raw, index)


def frame_length(buf, start: int, end: int) -> int | None:
    """Bytes of the zstd frame at `start` by its own headers, or None if none ends by `end`."""
    if buf[start : start + 4] != layout.ZSTD_MAGIC or start + 5 > end:
        return None
    descriptor = buf[start + 4]
    if descriptor & 0x08:  # reserved bit
        return None
    single, fcs = (descriptor >> 5) & 1, descriptor >> 6
    pos = start + 5 + (1 - single) + _DICT_BYTES[descriptor & 3]
    pos += 1 if single and fcs == 0 else _FCS_BYTES[fcs]
    while True:
        if pos + 3 > end:
            return None
        head = int.from_bytes(buf[pos : pos + 3], "little")
        kind, size = (head >> 1) & 3, head >> 3
        if kind == 3:  # reserved block type
            return None
        pos += 3 + (1 if kind == 1 else size)
        if head & 1:
            break
    pos += 4 * ((descriptor >> 2) & 1)
    return pos - start if pos <= end else None


def block_number(frame: bytes, stored: int) -> int | None:
    """The one block number whose record CRC over `frame` is `stored`.

    The CRC is affine in the number's 32 bits and a bijection of them, so the number
    is the solution of a 32x32 linear system over GF(2): 33 CRCs instead of a search.
    """
    base = record_crc(0, frame)
    basis: dict[int, tuple[int, int]] = {}  # leading bit -> (column combination, bits used)
    for bit in range(32):
        value, used = record_crc(1 << bit, frame) ^ base, 1 << bit
        while value:
            top = value.bit_length() - 1
            if top not in basis:
                basis[top] = (value, used)
                break
            value, used = value ^ basis[top][0], used ^ basis[top][1]
    value, number = stored ^ base, 0
    while value:
        top = value.bit_length() - 1
        if top not in basis:
            return None
        value, number = value ^ basis[top][0], number ^ basis[top][1]
    return number


@dataclass(frozen=True)
class Found:
    """An intact record: the block number its CRC binds, where it lies, what it holds."""

    index: int
    offset: int
    size: int
    record: BlockRecord = field(repr=False)


class Salvage:
    """An .etok file (path, bytes or seekable binary file) opened for scanning, not reading.

    Raises ContainerError when no valid preamble and header can be read (nothing can be
    recovered) and ContainerIncompatible when the file needs a newer version.
    """

    def __init__(self, source: str | os.PathLike | bytes | io.IOBase):
        """Check the preamble and header; map the rest for scanning."""
        self._file = None
        if isinstance(source, (bytes, bytearray)):
            self.buf, self.name = bytes(source), "<bytes>"
            self.head = HeadReader(io.BytesIO(self.buf))
            return
        if hasattr(source, "read"):
            source.seek(0)
            self.buf, self.name = source.read(), getattr(source, "name", "<stream>")
            self.head = HeadReader(io.BytesIO(self.buf))
            return
        self.name = os.fspath(source)
        self.head = HeadReader(source)
        self._file = self.head._file
        size = self.head.file_size
        # Mapped, not read: a long recording stays on disk while it is scanned.
        self.buf = mmap.mmap(self._file.fileno(), size, access=mmap.ACCESS_READ) if size else b""

    @property
    def header(self):
        """The typed header, as the file states it."""
        return self.head.header

    def _record_at(self, pos: int, expect: int, skipped: int) -> Found | None:
        """The intact record starting at `pos`, numbered `expect` or a little past it."""
        end = len(self.buf)
        length = frame_length(self.buf, pos, end - layout.CRC.size)
        if length is None:
            return None
        size = length + layout.CRC.size
        if size > layout.max_record_size(self.head._geometry.payload_bound):
            return None
        frame = bytes(self.buf[pos : pos + length])
        (stored,) = layout.CRC.unpack(self.buf[pos + length : pos + size])
        index = expect if record_crc(expect, frame) == stored else block_number(frame, stored)
        reach = expect + MAX_JUMP + skipped // layout.MIN_RECORD_SIZE
        if index is None or not expect <= index <= min(reach, layout.MAX_BLOCKS - 1):
            return None
        try:
            record = self.head.record_at(bytes(self.buf[pos : pos + size]), index)
        except ContainerError:
            return None
        return Found(index, pos, size, record)

    def scan(self) -> Iterator[Found]:
        """Every intact record after the header, in file order, with rising block numbers."""
        pos = self.head.body_start
        expect, clean_end = 0, pos
        self.unread_bytes = 0
        while pos + layout.MIN_RECORD_SIZE <= len(self.buf):
            found = self._record_at(pos, expect, pos - clean_end)
            if found is None:
                # Damage can shift everything after it: look for the next frame's magic.
                pos = self.buf.find(layout.ZSTD_MAGIC, pos + 1)
                if pos < 0:
                    break
                continue
            self.unread_bytes += found.offset - clean_end
            yield found
            pos = clean_end = found.offset + found.size
            expect = found.index + 1
        rest = 0 if self._is_index(clean_end, expect) else len(self.buf) - clean_end
        self.trailing_bytes = rest
        self.unread_bytes += rest

    def _is_index(self, start: int, blocks: int) -> bool:
        """True if the bytes from `start` are exactly a checked index and tail of `blocks`."""
        if len(self.buf) - start != 4 * blocks + layout.TAIL_SIZE:
            return False
        count, stored, magic = layout.TAIL.unpack(self.buf[len(self.buf) - layout.TAIL_SIZE :])
        index = bytes(self.buf[start : len(self.buf) - layout.TAIL_SIZE])
        entry = layout.INDEX_ENTRY.pack(count)
        return (
            magic == layout.END_MAGIC and count == blocks and layout.crc32(index, entry) == stored
        )

    def close(self) -> None:
        """Unmap and close the file."""
        if isinstance(self.buf, mmap.mmap):
            self.buf.close()
        self.head.close()

    def __enter__(self) -> Salvage:
        """Use as `with Salvage(path) as salvage:`."""
        return self

    def __exit__(self, *exc) -> None:
        """Close on leaving the block."""
        self.close()


def stand_in(index: int, tiles: int) -> BlockRecord:
    """A block for one that is damaged or missing: every tile repeats its last frame."""
    empty = np.zeros(0, np.uint32)
    return BlockRecord(index, (0,) * tiles, (empty,) * tiles, (0.0,) * tiles, (True,) * tiles)


class ConcealedBlocks(Salvage):
    """Every block the header promises, in order: the intact records, and a stand-in for
    each damaged or missing one, so a decoder keeps the frame count and timing.

    `concealed` lists the stood-in block numbers once iteration has passed them.
    """

    def __init__(self, source):
        """Open as `Salvage` does."""
        super().__init__(source)
        self.concealed: list[int] = []

    def __iter__(self) -> Iterator[BlockRecord]:
        """The header's blocks, stand-ins where the file has no intact record."""
        blocks, tiles = self.header.video.blocks, self.header.video.tiles
        expect = 0
        for found in self.scan():
            if found.index >= blocks:
                break
            for index in range(expect, found.index):
                self.concealed.append(index)
                yield stand_in(index, tiles)
            yield found.record
            expect = found.index + 1
        for index in range(expect, blocks):
            self.concealed.append(index)
            yield stand_in(index, tiles)


def runs(indices: list[int]) -> list[list[int]]:
    """Sorted block numbers as inclusive [first, last] runs: [0, 1, 2, 5] -> [[0, 2], [5, 5]]."""
    out: list[list[int]] = []
    for index in indices:
        if out and out[-1][1] == index - 1:
            out[-1][1] = index
        else:
            out.append([index, index])
    return out


def repair_file(source, output: str | os.PathLike, *, force: bool = False) -> dict:
    """Write every intact block of `source`, renumbered in order, into a valid `output`.

    Scans twice (once to decide, once to copy) so no block is held in memory. Returns the
    report `elastictok repair --json` prints.
    """
    from elastictok_cli import __version__
    from elastictok_cli.container.writer import ContainerWriter

    with Salvage(source) as salvage:
        header, wire = salvage.header, salvage.head.wire
        kept = [found.index for found in salvage.scan()]
        unread, trailing = salvage.unread_bytes, salvage.trailing_bytes
        video, per_block = header.video, header.model.frames_per_block
        if not kept:
            raise ContainerError(f"{salvage.name}: no intact block to recover")
        last = max(kept[-1] + 1, video.blocks)
        lost = sorted(set(range(last)) - set(kept))
        if trailing and kept[-1] + 1 >= video.blocks:
            lost.append(kept[-1] + 1)  # a record cut short after the last intact one
        # Only the header's own last block can be short of frames_per_block.
        tail = video.frames - (video.blocks - 1) * per_block
        frames = (len(kept) - 1) * per_block + (tail if kept[-1] == video.blocks - 1 else per_block)
        note = {
            "source_blocks": video.blocks,
            "source_frames": video.frames,
            "kept": runs(kept)[:MAX_RUNS],
            "lost": runs(lost)[:MAX_RUNS],
            "tool_version": __version__,
        }
        repaired = {k: v for k, v in wire.items() if k != "repair"}
        repaired["video"] = {**wire["video"], "frames": frames, "blocks": len(kept)}
        if kept != list(range(len(kept))):  # renumbered: the stored lambdas no longer line up
            repaired["encode"] = {
                k: v for k, v in wire["encode"].items() if k not in ("lambdas", "lambda_group")
            }
        repaired["repair"] = note
        with ContainerWriter(output, repaired, force=force) as writer:
            for number, found in enumerate(salvage.scan()):
                # A renumbered record is sealed again: its CRC binds its new number.
                writer.write_block(dataclasses.replace(found.record, index=number))
        return {
            "input": salvage.name,
            "output": os.fspath(output),
            "source_blocks": video.blocks,
            "blocks": len(kept),
            "frames": frames,
            "kept": kept,
            "lost": lost,
            "unread_bytes": unread,
            "bytes": os.path.getsize(output),
        }
