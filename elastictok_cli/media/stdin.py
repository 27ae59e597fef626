"""Standard input as a media file: streamed when the format allows it, spooled when not."""

from __future__ import annotations

import shutil
import sys
import tempfile
from typing import BinaryIO

from elastictok_cli.errors import BadInputError, OutputError

# Enough bytes to recognise every signature checked below.
SIGNATURE_BYTES = 16
Y4M_SIGNATURE = b"YUV4MPEG2"
CHUNK_BYTES = 1 << 20


class PrefixedReader:
    """A forward-only reader that replays bytes already taken from a stream, then the rest."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        """Serve `prefix` first, then read on from `rest`."""
        self._prefix = prefix
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all remaining when negative)."""
        if self._prefix:
            if size < 0:
                data, self._prefix = self._prefix + self._rest.read(), b""
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return self._rest.read(size)

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Never seekable: PyAV must not try to seek back in a pipe."""
        return False

    def close(self) -> None:
        """Leave the underlying stream open; it belongs to the process."""


def read_signature(stream: BinaryIO) -> bytes:
    """Read the first bytes of a stream, looping because a pipe may return fewer at once."""
    head = b""
    while len(head) < SIGNATURE_BYTES:
        chunk = stream.read(SIGNATURE_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return head


def is_iso_media(head: bytes) -> bool:
    """Whether the bytes start an mp4/mov file, which keeps its index at the end."""
    return head[4:8] == b"ftyp"


def open_stdin(stream: BinaryIO | None = None) -> tuple[BinaryIO, str | None]:
    """Return a readable object over standard input and the demuxer to force, if any.

    y4m and other streamable formats are read straight from the pipe, so a long
    `ffmpeg ... -f yuv4mpegpipe -` stream is never stored. An mp4/mov usually keeps
    its index (moov) after the data and cannot be demuxed without seeking, so such
    input is first copied to an anonymous temporary file.
    """
    stream = stream if stream is not None else sys.stdin.buffer
    try:
        head = read_signature(stream)
    except OSError as err:
        raise BadInputError(f"cannot read standard input: {err}") from err
    if not head:
        raise BadInputError("standard input is empty: no video was piped in")
    if head.startswith(Y4M_SIGNATURE):
        return PrefixedReader(head, stream), "yuv4mpegpipe"
    if is_iso_media(head):
        return spool_to_tempfile(head, stream), None
    return PrefixedReader(head, stream), None


def spool_to_tempfile(head: bytes, stream: BinaryIO) -> BinaryIO:
    """Copy the whole stream into a seekable temporary file that vanishes when closed."""
    spool = tempfile.TemporaryFile(prefix="elastictok-stdin-")
    try:
        spool.write(head)
        shutil.copyfileobj(stream, spool, CHUNK_BYTES)
        spool.seek(0)
    except OSError as err:
        spool.close()
        # Reading a pipe hardly fails; writing the spool does, when the temp folder is full.
        raise OutputError(f"cannot buffer standard input in a temporary file: {err}") from err
    return spool
