"""Byte layout of a .etok file: magic numbers, versions, fixed structs and hard limits."""

from __future__ import annotations

import struct
import zlib

# Like PNG's signature: a non-ASCII first byte catches 7-bit channels, CR LF catches
# newline conversion either way, and ^Z stops `type` on DOS-like systems.
MAGIC = b"\x89ETOK\r\n\x1a\n"

# The newest layout this library writes, and the newest it can read. A file is written
# as version 1 unless it needs what version 2 adds (skipped tiles, coded token ids), so
# a reader of version 1 still reads every file that does not use them.
FORMAT_VERSION = 2
READER_VERSION = 2

# Preamble: magic, format_version, min_reader_version, header_length, then its CRC.
# This struct is frozen for every future version, so any reader can tell "too new" apart
# from "damaged".
PREAMBLE = struct.Struct("<9sHHI")
CRC = struct.Struct("<I")
PREAMBLE_SIZE = PREAMBLE.size + CRC.size  # 21 bytes

# The file ends with num_blocks, the index CRC and an end marker.
END_MAGIC = b"ETOK.IDX"
TAIL = struct.Struct("<II8s")
TAIL_SIZE = TAIL.size  # 16 bytes
INDEX_ENTRY = struct.Struct("<I")

# Name of the only token coding this version reads (see FORMAT.md, "Block payload").
TOKEN_CODING = "bitpack-zstd"
# Version 2: each FSQ digit range-coded in context with adaptive integer counts that start
# from the model's token tables (docs/TOKEN_CODING.md); the state resets every
# `coding_reset` blocks, so a damaged block costs at most the blocks up to the next reset.
CONTEXT_CODING = "context-range"
TOKEN_CODINGS = (TOKEN_CODING, CONTEXT_CODING)
MAX_CODING_RESET = 1 << 16

# Hard limits, checked before anything is allocated or decompressed.
MAX_HEADER_SIZE = 1 << 16  # msgpack header bytes
MAX_HEADER_DEPTH = 16  # nesting of maps and arrays inside the header
MAX_HEADER_ARRAY = 4096  # elements of any header array
MAX_HEADER_MAP = 1024  # entries of any header map
MAX_TILES = 1 << 16  # tiles per block
MAX_TOKENS_PER_TILE = 1 << 24
MAX_BITS_PER_TOKEN = 32
MAX_BLOCKS = (1 << 32) - 1
MAX_BLOCK_PAYLOAD = 1 << 28  # decompressed bytes of one block record
MAX_WINDOW_SIZE = 1 << 27  # zstd window a reader accepts
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Smallest zstd frame with a checksum (magic, descriptor, content size, block header,
# one byte, checksum) plus the record CRC: anything shorter cannot be a record.
MIN_RECORD_SIZE = 4 + 1 + 1 + 3 + 1 + 4 + CRC.size
MIN_FILE_SIZE = PREAMBLE_SIZE + 1 + CRC.size + TAIL_SIZE


def crc32(*parts: bytes) -> int:
    """CRC-32 (ISO-HDLC, as zlib and PNG) over the concatenation of the parts."""
    value = 0
    for part in parts:
        value = zlib.crc32(part, value)
    return value


def version_for(header: dict) -> int:
    """The format version a validated header needs: 2 with skipped tiles or coded ids, else 1."""
    skips = header.get("encode", {}).get("skip_tiles") is True
    return 2 if skips or header.get("token_coding") == CONTEXT_CODING else 1


def max_record_size(payload_bound: int) -> int:
    """Largest on-disk record a payload of at most `payload_bound` bytes can need."""
    # zstd's worst case (stored blocks) adds 3 bytes per 128 KiB block plus an 18-byte
    # frame header and trailer; the margin covers both with room to spare.
    return payload_bound + payload_bound // 1024 + 64 + CRC.size
