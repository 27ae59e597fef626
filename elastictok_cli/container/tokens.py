"""A file's tokens in memory: the typed header and one record per block, as arrays too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from elastictok_cli.atomic import check_target, commit_file, discard, temp_file_beside
from elastictok_cli.container.reader import ContainerReader
from elastictok_cli.container.records import BlockRecord
from elastictok_cli.container.schema import Header
from elastictok_cli.container.writer import ContainerWriter
from elastictok_cli.errors import BadInputError

PAD = -1  # token id slots past a tile's count in the array form


@dataclass
class Tokens:
    """Every block of one video: per tile its kept token ids, count and distortion."""

    header: Header
    blocks: list[BlockRecord] = field(default_factory=list)

    def __iter__(self) -> Iterator[BlockRecord]:
        """The blocks in order (what the decoder reads, as from a file)."""
        return iter(self.blocks)

    def __len__(self) -> int:
        """Number of blocks."""
        return len(self.blocks)

    @property
    def counts(self) -> np.ndarray:
        """(blocks, tiles) int32: tokens kept per tile and block."""
        return np.array([b.token_counts for b in self.blocks], np.int32).reshape(len(self), -1)

    @property
    def distortion(self) -> np.ndarray:
        """(blocks, tiles) float32: MSE on the [-1, 1] scale the encoder measured."""
        return np.array([b.distortion for b in self.blocks], np.float32).reshape(len(self), -1)

    @property
    def skipped(self) -> np.ndarray:
        """(blocks, tiles) bool: the tile repeats its last frame in that block (format 2)."""
        return np.array([b.skipped for b in self.blocks], bool).reshape(len(self), -1)

    @property
    def ids(self) -> np.ndarray:
        """(blocks, tiles, max_tokens) int32 token ids, PAD past each tile's count."""
        out = np.full((len(self), self.header.video.tiles, self.header.max_tokens), PAD, np.int32)
        for b, block in enumerate(self.blocks):
            for t, tile_ids in enumerate(block.tokens):
                out[b, t, : len(tile_ids)] = tile_ids
        return out

    @classmethod
    def from_arrays(cls, header: Header, ids: np.ndarray, counts: np.ndarray) -> Tokens:
        """Blocks from (blocks, tiles, >= max count) ids and (blocks, tiles) counts.

        For tokens made elsewhere (a generative model's output): `header` says which
        model and video they belong to; the distortion is unknown and recorded as 0.
        """
        ids, counts = np.asarray(ids), np.asarray(counts)
        video, top = header.video, header.max_tokens
        if counts.ndim != 2 or counts.shape[1] != video.tiles or ids.shape[:2] != counts.shape:
            raise BadInputError(
                f"ids {ids.shape} and counts {counts.shape} do not fit {video.tiles} tiles"
            )
        if len(counts) != video.blocks:
            raise BadInputError(f"the header has {video.blocks} blocks, the arrays {len(counts)}")
        if counts.min(initial=0) < 0 or counts.max(initial=0) > min(top, ids.shape[2]):
            raise BadInputError(f"token counts must lie in 0..{top}")
        blocks = []
        for b in range(len(counts)):
            kept = [ids[b, t, : counts[b, t]].astype(np.int64) for t in range(video.tiles)]
            if any(((k < 0) | (k >= header.model.codebook_size)).any() for k in kept):
                raise BadInputError(f"block {b}: a token id is outside the codebook")
            blocks.append(
                BlockRecord(b, counts[b], [k.astype(np.uint32) for k in kept], [0.0] * video.tiles)
            )
        return cls(header, blocks)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Tokens:
        """Every block of an .etok file, checked (needs no model and no JAX)."""
        with ContainerReader(path) as reader:
            return cls(reader.header, list(reader))

    def save(self, path: str | os.PathLike, *, force: bool = False, tables=None) -> int:
        """Write an .etok file atomically; returns its size in bytes.

        Context-coded ids use `tables`, else the installed model's the header names.
        """
        with ContainerWriter(path, self.header, force=force, tables=tables) as writer:
            for block in self.blocks:
                writer.write_block(block)
        return os.path.getsize(writer.path)

    def save_npz(self, path: str, *, force: bool = False) -> None:
        """The arrays and video facts as an .npz file (`elastictok tokens`' format), atomically."""
        check_target(path, force)
        video, model = self.header.video, self.header.model
        keys = ("width", "height", "fps_num", "fps_den", "frames", "tiles_x", "tiles_y")
        temp = temp_file_beside(path)
        try:
            with open(temp, "wb") as handle:
                np.savez_compressed(
                    handle,
                    tokens=self.ids,
                    counts=self.counts,
                    distortion=self.distortion,
                    skipped=self.skipped,
                    codebook_size=np.int64(model.codebook_size),
                    model_sha256=np.array(model.sha256),
                    **{key: np.int64(getattr(video, key)) for key in keys},
                )
            commit_file(temp, path)
        except BaseException:
            discard(temp)
            raise
