"""One record on disk: a zstd frame with a content checksum, then a CRC-32 of the frame.

The CRC also covers the block number, so a record moved or copied to another place in
the file fails its check even though its bytes are intact.
"""

from __future__ import annotations

import zstandard

from elastictok_cli.container import layout
from elastictok_cli.container.errors import ContainerError


def make_compressor(level: int) -> zstandard.ZstdCompressor:
    """A compressor writing the content size and checksum, and no dictionary id."""
    return zstandard.ZstdCompressor(
        level=level, write_checksum=True, write_content_size=True, write_dict_id=False
    )


def make_decompressor() -> zstandard.ZstdDecompressor:
    """A decompressor whose window is capped, so a frame cannot demand a huge buffer."""
    return zstandard.ZstdDecompressor(max_window_size=layout.MAX_WINDOW_SIZE)


def record_crc(index: int, frame: bytes) -> int:
    """CRC-32 of the block number (u32 LE) followed by the frame."""
    return layout.crc32(layout.INDEX_ENTRY.pack(index), frame)


def seal(payload: bytes, index: int, compressor: zstandard.ZstdCompressor) -> bytes:
    """Compress block `index`'s payload into a record: zstd frame then its CRC-32."""
    frame = compressor.compress(payload)
    return frame + layout.CRC.pack(record_crc(index, frame))


def unseal(
    record: bytes, index: int, payload_bound: int, decompressor: zstandard.ZstdDecompressor
) -> bytes:
    """Check a record's CRC and frame header, then decompress at most `payload_bound` bytes."""
    if len(record) < layout.MIN_RECORD_SIZE:
        raise ContainerError(f"block {index}: record of {len(record)} bytes is too short")
    frame = record[: -layout.CRC.size]
    (stored,) = layout.CRC.unpack(record[-layout.CRC.size :])
    if record_crc(index, frame) != stored:
        raise ContainerError(f"block {index}: checksum mismatch (the file is damaged)")
    # Checked before decompressing: the frame header states what zstd would allocate.
    if frame[:4] != layout.ZSTD_MAGIC:
        raise ContainerError(f"block {index}: not a zstd frame")
    try:
        params = zstandard.get_frame_parameters(frame)
    except zstandard.ZstdError as err:
        raise ContainerError(f"block {index}: bad zstd frame header: {err}") from err
    if params.content_size > payload_bound:
        raise ContainerError(
            f"block {index}: frame claims {params.content_size} bytes, over {payload_bound}"
        )
    if params.window_size > layout.MAX_WINDOW_SIZE:
        raise ContainerError(f"block {index}: zstd window of {params.window_size} bytes")
    if params.dict_id or not params.has_checksum:
        raise ContainerError(f"block {index}: frame uses a dictionary or lacks its checksum")
    try:
        payload = decompressor.decompress(
            frame, max_output_size=payload_bound, allow_extra_data=False
        )
    except (zstandard.ZstdError, MemoryError, ValueError) as err:
        raise ContainerError(f"block {index}: cannot decompress: {err}") from err
    if len(payload) != params.content_size:
        raise ContainerError(f"block {index}: frame size does not match its header")
    return payload
