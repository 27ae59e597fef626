"""Streaming writer: header first, then one record per block, the index on close."""

from __future__ import annotations

import copy
import os
from array import array
from collections.abc import Mapping

import numpy as np

from elastictok_cli.container import layout
from elastictok_cli.container.atomic import AtomicFile
from elastictok_cli.container.coding import BlockCoder, check_tables, find_tables
from elastictok_cli.container.errors import ContainerError, ContainerIncompatible
from elastictok_cli.container.frames import make_compressor, seal
from elastictok_cli.container.header import bits_for_levels, pack_header, unpack_header
from elastictok_cli.container.records import BlockGeometry, BlockRecord, encode_payload
from elastictok_cli.container.schema import Header
from elastictok_cli.errors import OutputError


def _with_derived_fields(header: Mapping) -> dict:
    """Fill `token_coding`, `bits_per_token` and `max_tokens` from the model if absent."""
    header = copy.deepcopy(dict(header))
    header.setdefault("token_coding", layout.TOKEN_CODING)
    model = header.get("model")
    config = model.get("config") if isinstance(model, Mapping) else None
    if not isinstance(config, Mapping):
        return header  # validation will say what is missing
    levels = config.get("fsq_levels")
    if "bits_per_token" not in header and isinstance(levels, (list, tuple)):
        if levels and all(isinstance(n, (int, np.integer)) and n >= 2 for n in levels):
            header["bits_per_token"] = bits_for_levels([int(n) for n in levels])
    if "max_tokens" not in header and "max_tokens" in config:
        header["max_tokens"] = config["max_tokens"]
    return header


def encode_head(header: Mapping) -> tuple[dict, bytes]:
    """Validate a header exactly as a reader will; returns it and the preamble+header bytes."""
    try:
        raw = pack_header(_with_derived_fields(header))
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"invalid container header: {err}") from err
    try:
        validated = unpack_header(raw)
        BlockGeometry.from_header(validated)
    except (ContainerError, ContainerIncompatible) as err:
        raise ValueError(f"invalid container header: {err}") from err
    # A version 2 body cannot be read by a version 1 reader: both numbers move together.
    version = layout.version_for(validated)
    fixed = layout.PREAMBLE.pack(layout.MAGIC, version, version, len(raw))
    preamble = fixed + layout.CRC.pack(layout.crc32(fixed))
    return validated, preamble + raw + layout.CRC.pack(layout.crc32(raw))


class ContainerWriter:
    """Write a .etok file block by block; it appears at `path` only when closed cleanly.

    Use as a context manager. On any exception (Ctrl-C included) the temp file is removed
    and an existing file at `path` is left untouched.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        header: Header | Mapping,
        *,
        force: bool = False,
        level: int = 3,
        tables=None,
    ):
        """Validate the header, create the temp file and write the header into it.

        Context-coded ids need the token tables the header names (`tables`, else found
        among the installed models'), checked before anything is written.
        """
        if isinstance(header, Header):
            header = header.to_dict()
        if not 1 <= level <= 19:
            raise ValueError(f"zstd level {level} is outside 1..19")
        self.wire, head = encode_head(header)
        self._geometry = BlockGeometry.from_header(self.wire, layout.version_for(self.wire))
        self._coder = None
        if self._geometry.digits:
            found = tables or find_tables(self.wire["token_tables"])
            if found.sha256 != self.wire["token_tables"]:
                raise ValueError("the token tables are not those the header names")
            self._coder = BlockCoder(
                check_tables(found, self.wire), self._geometry.tiles, self.wire["coding_reset"]
            )
        self._head_size = len(head)
        self._header_changed = False
        self._compressor = make_compressor(level)
        self._lengths = array("I")
        self._file = AtomicFile(path, force=force)
        self._closed = False
        self._write(head)
        self.bytes_written = len(head)

    @property
    def header(self) -> Header:
        """The header as written (typed), with any correction from `update_header`."""
        return Header.from_dict(self.wire)

    @property
    def path(self) -> str:
        """Where the file appears once closed."""
        return self._file.target

    @property
    def blocks_written(self) -> int:
        """Records written so far."""
        return len(self._lengths)

    def _write(self, data: bytes) -> None:
        """Append to the temp file; an I/O failure aborts the whole file."""
        try:
            self._file.file.write(data)
        except OSError as err:
            self.abort()
            raise OutputError(f"cannot write {self.path}: {err.strerror or err}") from err

    def write_block(self, record: BlockRecord) -> int:
        """Append the next block (records come in order); returns its size on disk."""
        if self._closed:
            raise ValueError("the container is already closed")
        if record.index != len(self._lengths):
            raise ValueError(f"expected block {len(self._lengths)}, got {record.index}")
        if len(self._lengths) == layout.MAX_BLOCKS:
            raise ValueError(f"a container holds at most {layout.MAX_BLOCKS} blocks")
        coded = self._coder.encode(record.index, record.tokens) if self._coder else b""
        sealed = seal(encode_payload(record, self._geometry, coded), record.index, self._compressor)
        self._write(sealed)
        self._lengths.append(len(sealed))
        self.bytes_written += len(sealed)
        return len(sealed)

    def update_video(self, **facts: int) -> None:
        """Correct video facts unknown when writing began (e.g. `frames`, `blocks` from stdin)."""
        self.update_header(self.header.with_video(**facts))

    def update_header(self, header: Header | Mapping) -> None:
        """Replace the header by one known only at the end (the true frame count, each
        block's lambda); it must keep the tile grid. The file's header is rewritten on close."""
        if self._closed:
            raise ValueError("the container is already closed")
        validated, _ = encode_head(header.to_dict() if isinstance(header, Header) else header)
        if BlockGeometry.from_header(validated, self._geometry.version) != self._geometry:
            raise ValueError("the new header changes the tile grid")
        self.wire, self._header_changed = validated, True

    def close(self) -> None:
        """Write the index, fix up the header if it changed, and move the file into place."""
        if self._closed:
            return
        expected = self.wire["video"]["blocks"]
        if len(self._lengths) != expected:
            self.abort()
            raise ValueError(f"header promises {expected} blocks, {len(self._lengths)} written")
        lengths = np.frombuffer(self._lengths, dtype=np.uint32).astype("<u4").tobytes()
        count = layout.INDEX_ENTRY.pack(len(self._lengths))
        tail = layout.TAIL.pack(len(self._lengths), layout.crc32(lengths, count), layout.END_MAGIC)
        self._write(lengths + tail)
        try:
            if self._header_changed:
                _, head = encode_head(self.wire)
                self._file.replace_prefix(self._head_size, head)
            self._file.commit()
        except OSError as err:
            self.abort()
            raise OutputError(f"cannot write {self.path}: {err.strerror or err}") from err
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Drop everything written; an existing target is left as it was."""
        self._closed = True
        self._file.abort()

    def __enter__(self) -> ContainerWriter:
        """Use as `with ContainerWriter(...) as writer:`."""
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Commit on success; abort on any exception, KeyboardInterrupt included."""
        if exc_type is None:
            self.close()
        else:
            self.abort()
