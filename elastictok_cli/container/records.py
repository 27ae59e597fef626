"""Block records: per-tile token counts, token ids and distortion, as payload bytes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from elastictok_cli.container import layout
from elastictok_cli.container.bitpack import pack_bits, packed_size, unpack_bits
from elastictok_cli.container.errors import ContainerError


@dataclass(frozen=True, eq=False)
class BlockRecord:
    """One block: for each tile, its kept token count, token ids and measured distortion.

    Fields are normalised on construction (ints, float32-rounded floats, 1-D arrays) so a
    record equals itself after a write and a read.
    """

    index: int
    token_counts: tuple[int, ...]
    tokens: tuple[np.ndarray, ...]
    distortion: tuple[float, ...]
    # Per tile: the block repeats the tile's last decoded frame and keeps no tokens (v2).
    skipped: tuple[bool, ...] = ()

    def __post_init__(self):
        """Coerce sequences to tuples and distortion to float32 precision."""
        object.__setattr__(self, "index", int(self.index))
        object.__setattr__(self, "token_counts", tuple(int(c) for c in self.token_counts))
        object.__setattr__(self, "tokens", tuple(np.asarray(t) for t in self.tokens))
        rounded = tuple(float(np.float32(d)) for d in self.distortion)
        object.__setattr__(self, "distortion", rounded)
        skipped = tuple(bool(s) for s in self.skipped) or (False,) * len(self.token_counts)
        if len(skipped) != len(self.token_counts):
            raise ValueError("skipped needs one flag per tile")
        if any(s and c for s, c in zip(skipped, self.token_counts, strict=True)):
            raise ValueError("a skipped tile keeps no tokens")
        object.__setattr__(self, "skipped", skipped)

    @property
    def num_tokens(self) -> int:
        """Kept tokens over all tiles."""
        return sum(self.token_counts)

    def __eq__(self, other: object) -> bool:
        """Equal index, counts, distortion and token ids (dtype may differ)."""
        if not isinstance(other, BlockRecord):
            return NotImplemented
        return (
            self.index == other.index
            and self.token_counts == other.token_counts
            and self.distortion == other.distortion
            and self.skipped == other.skipped
            and len(self.tokens) == len(other.tokens)
            and all(np.array_equal(a, b) for a, b in zip(self.tokens, other.tokens, strict=True))
        )

    __hash__ = None  # mutable numpy arrays inside


@dataclass(frozen=True)
class BlockGeometry:
    """What a validated header fixes about every block record."""

    tiles: int
    max_tokens: int
    bits_per_token: int
    num_codes: int
    version: int = 1  # the file's format version: 2 adds a skipped-tile flag per tile
    digits: int = 0  # FSQ digits per id when the ids are context-coded, else 0 (bit-packed)

    @classmethod
    def from_header(cls, header: dict, version: int = 1) -> BlockGeometry:
        """Derive the geometry and refuse blocks larger than the reader's limit."""
        video = header["video"]
        levels = header["model"]["config"]["fsq_levels"]
        geometry = cls(
            tiles=video["tiles_x"] * video["tiles_y"],
            max_tokens=header["max_tokens"],
            bits_per_token=header["bits_per_token"],
            num_codes=math.prod(levels),
            version=version,
            digits=len(levels) if header.get("token_coding") == layout.CONTEXT_CODING else 0,
        )
        if geometry.payload_bound > layout.MAX_BLOCK_PAYLOAD:
            raise ContainerError(
                f"a block could need {geometry.payload_bound} bytes, "
                f"over the limit of {layout.MAX_BLOCK_PAYLOAD}"
            )
        return geometry

    @property
    def count_bits(self) -> int:
        """Bit width of a per-tile token count (0..max_tokens inclusive)."""
        return self.max_tokens.bit_length()

    @property
    def flag_bytes(self) -> int:
        """Bytes of the skipped-tile flags (version 2: one bit per tile)."""
        return packed_size(self.tiles, 1) if self.version >= 2 else 0

    @property
    def head_size(self) -> int:
        """Payload bytes before the token ids: distortion, skip flags, counts."""
        return 4 * self.tiles + self.flag_bytes + packed_size(self.tiles, self.count_bits)

    def ids_size(self, total_tokens: int) -> int:
        """Bytes of `total_tokens` ids: exact when bit-packed, the most when coded."""
        if self.digits:
            # A coded digit costs at most 24 bits (the coder's precision), plus two flush words.
            return 4 * (-(-total_tokens * self.digits * 24 // 32) + 2) if total_tokens else 0
        return packed_size(total_tokens, self.bits_per_token)

    def payload_size(self, total_tokens: int) -> int:
        """Payload bytes of a block that keeps `total_tokens` tokens (the most, when coded)."""
        return self.head_size + self.ids_size(total_tokens)

    @property
    def payload_bound(self) -> int:
        """Largest payload any block can have."""
        return self.payload_size(self.tiles * self.max_tokens)


def encode_payload(record: BlockRecord, geometry: BlockGeometry, coded: bytes = b"") -> bytes:
    """Serialise a record (with its ids' `coded` bytes when the file codes them)."""
    tiles = geometry.tiles
    if not len(record.token_counts) == len(record.tokens) == len(record.distortion) == tiles:
        raise ValueError(
            f"block {record.index}: expected {tiles} tiles of counts/tokens/distortion"
        )
    for tile, (count, ids) in enumerate(zip(record.token_counts, record.tokens, strict=True)):
        if not 0 <= count <= geometry.max_tokens:
            raise ValueError(f"block {record.index} tile {tile}: count {count} out of range")
        if ids.ndim != 1 or ids.shape[0] != count:
            raise ValueError(f"block {record.index} tile {tile}: expected {count} token ids")
        if count and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"block {record.index} tile {tile}: token ids are not integers")
        if count and (ids.min() < 0 or ids.max() >= geometry.num_codes):
            raise ValueError(f"block {record.index} tile {tile}: token id out of range")
    if any(record.skipped) and geometry.version < 2:
        raise ValueError(f"block {record.index}: format v1 cannot store skipped tiles")
    distortion = np.asarray(record.distortion, dtype="<f4")
    if not (np.isfinite(distortion).all() and (distortion >= 0).all()):
        raise ValueError(f"block {record.index}: distortion must be finite and >= 0")
    if geometry.digits:
        token_part = coded
    else:
        ids = [t.astype(np.uint32) for t in record.tokens]
        token_part = pack_bits(
            np.concatenate(ids) if ids else np.zeros(0, np.uint32), geometry.bits_per_token
        )
    return b"".join(
        (
            distortion.tobytes(),
            pack_bits(np.asarray(record.skipped, np.uint32), 1) if geometry.version >= 2 else b"",
            pack_bits(np.asarray(record.token_counts, dtype=np.uint32), geometry.count_bits),
            token_part,
        )
    )


def decode_payload(
    payload: bytes, index: int, geometry: BlockGeometry, decode_ids=None
) -> BlockRecord:
    """Parse a payload, checking its size and every value against the header.

    Coded ids are turned back by `decode_ids(index, counts, data)`, which holds the coder's
    state between blocks (container/coding.py).
    """
    tiles = geometry.tiles
    counts_start = 4 * tiles + geometry.flag_bytes
    counts_end = counts_start + packed_size(tiles, geometry.count_bits)
    if len(payload) < counts_end:
        raise ContainerError(f"block {index}: payload of {len(payload)} bytes is too short")
    distortion = np.frombuffer(payload, dtype="<f4", count=tiles)
    if not (np.isfinite(distortion).all() and (distortion >= 0).all()):
        raise ContainerError(f"block {index}: distortion is negative or not finite")
    try:
        skipped = np.zeros(tiles, bool)
        if geometry.flag_bytes:
            skipped = unpack_bits(payload[4 * tiles : counts_start], tiles, 1).astype(bool)
        counts = unpack_bits(payload[counts_start:counts_end], tiles, geometry.count_bits)
        if (counts[skipped] != 0).any():
            raise ContainerError(f"block {index}: a skipped tile claims tokens")
        if counts.max() > geometry.max_tokens:
            raise ContainerError(f"block {index}: a tile claims more than max_tokens")
        total = int(counts.sum(dtype=np.int64))
        if geometry.digits:
            data = payload[counts_end:]
            if len(data) > geometry.ids_size(total) or len(data) % 4:
                raise ContainerError(f"block {index}: coded ids of an impossible size")
            tokens = tuple(decode_ids(index, counts.tolist(), data))
        else:
            if len(payload) != geometry.payload_size(total):
                raise ContainerError(f"block {index}: payload size does not match its counts")
            ids = unpack_bits(payload[counts_end:], total, geometry.bits_per_token)
            if total and int(ids.max()) >= geometry.num_codes:
                raise ContainerError(f"block {index}: token id beyond the model's codebook")
            tokens = tuple(np.split(ids, np.cumsum(counts[:-1], dtype=np.int64)))
    except ValueError as err:  # EntropyError is one: a coded payload that does not decode
        raise ContainerError(f"block {index}: {err}") from err
    return BlockRecord(
        index=index,
        token_counts=tuple(counts.tolist()),
        tokens=tokens,
        distortion=tuple(distortion.tolist()),
        skipped=tuple(skipped.tolist()),
    )
