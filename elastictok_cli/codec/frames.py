"""Between frames and the model: tiles of a block as patches, real-pixel weights, and back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from elastictok_cli.codec.pixels import from_model_range, to_model_range
from elastictok_cli.codec.tiling import TileGrid, merge_tiles, split_tiles
from elastictok_cli.media import iter_blocks
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.patching import patchify, unpatchify


def grid_for(config: ModelConfig, width: int, height: int) -> TileGrid:
    """The tile grid covering a frame of this size with the model's native tiles."""
    return TileGrid(height=height, width=width, tile_h=config.tile_height, tile_w=config.tile_width)


def encoder_blocks(
    frames: Iterable[np.ndarray], grid: TileGrid, config: ModelConfig
) -> Iterator[tuple[int, np.ndarray, np.ndarray, int]]:
    """(index, patches, real-pixel weights, real frames) of each block of `frames`.

    Weights depend only on how many frames are real (the last block may be short), so
    each count's are made once.
    """
    weights: dict[int, np.ndarray] = {}
    for index, (block, real) in enumerate(iter_blocks(frames, config.frames_per_block)):
        if real not in weights:
            weights[real] = real_weights(grid, config, real)
        yield index, block_patches(block, grid, config), weights[real], real


def block_patches(block: np.ndarray, grid: TileGrid, config: ModelConfig) -> np.ndarray:
    """uint8 block (F, H, W, 3) -> float32 patches (S, T, P) in [-1, 1]."""
    tiles = to_model_range(split_tiles(block, grid))
    return np.asarray(patchify(tiles, config))


def real_weights(grid: TileGrid, config: ModelConfig, real_frames: int) -> np.ndarray:
    """(S, T, P) 1 on real pixels of real frames, 0 on padding, so padding never counts."""
    frames = config.frames_per_block
    mask = np.zeros((frames, grid.tiles_y * grid.tile_h, grid.tiles_x * grid.tile_w, 3), np.uint8)
    mask[:real_frames, : grid.height, : grid.width] = 1
    tiles = mask.reshape(frames, grid.tiles_y, grid.tile_h, grid.tiles_x, grid.tile_w, 3)
    tiles = tiles.transpose(1, 3, 0, 2, 4, 5).reshape(
        grid.tile_count, frames, grid.tile_h, grid.tile_w, 3
    )
    return np.asarray(patchify(tiles.astype(np.float32), config))


def patches_to_frames(
    patches: np.ndarray, grid: TileGrid, config: ModelConfig, real_frames: int
) -> np.ndarray:
    """float patches (S, T, P) -> uint8 frames (real_frames, H, W, 3), padding cropped."""
    tiles = np.asarray(unpatchify(np.asarray(patches), config))
    return merge_tiles(from_model_range(tiles), grid)[:real_frames]
