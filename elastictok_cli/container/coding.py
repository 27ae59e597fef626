"""The context coder's state across a file: what writer and reader carry from block to block.

A context-coded block depends on every block since the last reset (the coder adapts its
counts and looks at each tile's previous ids), so the state resets at every block whose
index is a multiple of the header's `coding_reset`, as a video codec's keyframes do: a
reader can start there, and a damaged block costs the blocks up to the next reset.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from elastictok_cli.container.errors import ContainerError, ContainerIncompatible
from elastictok_cli.entropy import CoderState, TablesError, TokenTables, load_tables
from elastictok_cli.entropy import decode_block as decode_ids
from elastictok_cli.entropy import encode_block as encode_ids

DEFAULT_RESET = 16  # blocks between resets: 64 frames, about 2.5 s at 25 fps


class BlockCoder:
    """Encode or decode the ids of one file's blocks in order, resetting on schedule."""

    def __init__(self, tables: TokenTables, tiles: int, reset: int):
        """Start at block 0 with the tables' starting state."""
        self.tables, self.tiles, self.reset = tables, tiles, reset
        self._state = CoderState.start(tables, tiles)
        self.next_index = 0

    def _arrive(self, index: int) -> None:
        """Check the order and reset the state where the schedule says."""
        if index != self.next_index and index % self.reset:
            raise ValueError(f"block {index} coded out of order (expected {self.next_index})")
        if index % self.reset == 0:
            self._state = CoderState.start(self.tables, self.tiles)
        self.next_index = index + 1

    def encode(self, index: int, tokens: Sequence[np.ndarray]) -> bytes:
        """The coded bytes of block `index`'s ids (one array per tile)."""
        self._arrive(index)
        data, self._state = encode_ids(tokens, self._state, self.tables)
        return data

    def decode(self, index: int, counts: Sequence[int], data: bytes) -> list[np.ndarray]:
        """Block `index`'s ids from its coded bytes; raises EntropyError when they are corrupt."""
        self._arrive(index)
        try:
            ids, self._state = decode_ids(data, counts, self._state, self.tables)
        except BaseException:
            self.next_index = -1  # the state is lost: only a reset point may come next
            raise
        return ids

    def can_decode(self, index: int) -> bool:
        """Whether block `index` can be decoded now without first decoding others."""
        return index == self.next_index or index % self.reset == 0


def find_tables(sha256: str, folders: Sequence[str | os.PathLike] = ()) -> TokenTables:
    """The token tables whose SHA-256 a file names, from the given folders or the models'."""
    from elastictok_cli.entropy import TABLES_FILE
    from elastictok_cli.model.registry import search_folders

    candidates = [Path(f) / TABLES_FILE for f in folders]
    for root in search_folders():
        if root.is_dir():
            candidates += sorted(root.glob(f"*/{TABLES_FILE}"))
    for path in candidates:
        try:
            tables = load_tables(path)
        except TablesError:
            continue
        if tables.sha256 == sha256:
            return tables
    raise ContainerIncompatible(
        f"the file's token ids are coded with tables {sha256[:12]}, found in no model folder; "
        "install the model it was encoded with"
    )


def check_tables(tables: TokenTables, header: dict) -> TokenTables:
    """Refuse tables that do not fit the file's model (a damaged header could claim any)."""
    config = header["model"]["config"]
    (pt, ph, pw), (th, tw) = config["patch"], config["tile_size"]
    grid = (config["frames_per_block"] // pt, th // ph, tw // pw)
    layout = tables.layout
    if (
        layout.levels != tuple(config["fsq_levels"])
        or (layout.frames, layout.rows, layout.cols) != grid
    ):
        raise ContainerError("the token tables do not fit the file's model")
    return tables
