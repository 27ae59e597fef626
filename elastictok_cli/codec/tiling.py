"""Cutting a block of frames into model-sized tiles and putting them back together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TileGrid:
    """How a frame of `height` x `width` is covered by tiles of `tile_h` x `tile_w`.

    The frame is padded at the bottom and right only, so tile (0, 0) starts at pixel
    (0, 0) and the padding is cropped off again by slicing.
    """

    height: int
    width: int
    tile_h: int
    tile_w: int

    def __post_init__(self) -> None:
        """Refuse sizes that cannot make a grid."""
        for name in ("height", "width", "tile_h", "tile_w"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"TileGrid {name} must be a positive integer, got {value!r}")

    @property
    def tiles_y(self) -> int:
        """Number of tile rows."""
        return -(-self.height // self.tile_h)

    @property
    def tiles_x(self) -> int:
        """Number of tile columns."""
        return -(-self.width // self.tile_w)

    @property
    def tile_count(self) -> int:
        """Number of tiles per frame, which is also the number of token streams per block."""
        return self.tiles_y * self.tiles_x

    @property
    def pad_bottom(self) -> int:
        """Rows added below the frame to fill the last tile row."""
        return self.tiles_y * self.tile_h - self.height

    @property
    def pad_right(self) -> int:
        """Columns added right of the frame to fill the last tile column."""
        return self.tiles_x * self.tile_w - self.width


def split_tiles(block: np.ndarray, grid: TileGrid) -> np.ndarray:
    """Cut a block (F, H, W, C) into tiles (tiles_y * tiles_x, F, tile_h, tile_w, C), row-major.

    Padding repeats the edge pixels: a smooth continuation costs the model far fewer
    tokens than a hard black border would.
    """
    frames, height, width, channels = _check_block(block, grid)
    padded = np.pad(
        block,
        ((0, 0), (0, grid.pad_bottom), (0, grid.pad_right), (0, 0)),
        mode="edge",
    )
    shaped = padded.reshape(frames, grid.tiles_y, grid.tile_h, grid.tiles_x, grid.tile_w, channels)
    # (F, ty, th, tx, tw, C) -> (ty, tx, F, th, tw, C): tile index first, row-major.
    tiles = shaped.transpose(1, 3, 0, 2, 4, 5)
    return np.ascontiguousarray(tiles).reshape(
        grid.tile_count, frames, grid.tile_h, grid.tile_w, channels
    )


def merge_tiles(tiles: np.ndarray, grid: TileGrid) -> np.ndarray:
    """Put tiles (tiles_y * tiles_x, F, tile_h, tile_w, C) back into a block (F, H, W, C)."""
    if tiles.ndim != 5 or tiles.shape[0] != grid.tile_count:
        raise ValueError(
            f"expected {grid.tile_count} tiles of shape (F, {grid.tile_h}, {grid.tile_w}, C), "
            f"got array of shape {tiles.shape}"
        )
    count, frames, tile_h, tile_w, channels = tiles.shape
    if (tile_h, tile_w) != (grid.tile_h, grid.tile_w):
        raise ValueError(f"tiles are {tile_h}x{tile_w}, grid expects {grid.tile_h}x{grid.tile_w}")
    shaped = tiles.reshape(grid.tiles_y, grid.tiles_x, frames, tile_h, tile_w, channels)
    # (ty, tx, F, th, tw, C) -> (F, ty, th, tx, tw, C), the inverse of split_tiles.
    padded = shaped.transpose(2, 0, 3, 1, 4, 5).reshape(
        frames, grid.tiles_y * tile_h, grid.tiles_x * tile_w, channels
    )
    return np.ascontiguousarray(padded[:, : grid.height, : grid.width])


def _check_block(block: np.ndarray, grid: TileGrid) -> tuple[int, int, int, int]:
    """Return the block's shape after checking it matches the grid's frame size."""
    if block.ndim != 4:
        raise ValueError(f"expected a block of shape (F, H, W, C), got shape {block.shape}")
    frames, height, width, channels = block.shape
    if (height, width) != (grid.height, grid.width):
        raise ValueError(
            f"block frames are {width}x{height}, grid is for {grid.width}x{grid.height}"
        )
    return frames, height, width, channels
