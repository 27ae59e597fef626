"""Tiling covers any frame size and merges back exactly; pixel range conversions invert."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elastictok_cli.codec.pixels import from_model_range, to_model_range
from elastictok_cli.codec.tiling import TileGrid, merge_tiles, split_tiles


def random_block(frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A block of random uint8 RGB frames."""
    return np.random.default_rng(seed).integers(0, 256, (frames, height, width, 3), np.uint8)


def test_grid_counts_tiles_and_padding():
    grid = TileGrid(height=45, width=130, tile_h=64, tile_w=64)
    assert (grid.tiles_y, grid.tiles_x, grid.tile_count) == (1, 3, 3)
    assert (grid.pad_bottom, grid.pad_right) == (19, 62)


def test_grid_of_exact_multiple_has_no_padding():
    grid = TileGrid(128, 192, 64, 64)
    assert (grid.tiles_y, grid.tiles_x, grid.pad_bottom, grid.pad_right) == (2, 3, 0, 0)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_grid_refuses_non_positive_sizes(bad):
    with pytest.raises(ValueError):
        TileGrid(bad, 64, 64, 64)


def test_tiles_are_row_major_and_padded_with_edge_pixels():
    block = random_block(2, 5, 7)
    grid = TileGrid(5, 7, 4, 4)
    tiles = split_tiles(block, grid)
    assert tiles.shape == (4, 2, 4, 4, 3)
    np.testing.assert_array_equal(tiles[1][:, :, :3], block[:, :4, 4:7])
    np.testing.assert_array_equal(tiles[2][:, :1], block[:, 4:5, :4])
    # The padding repeats the last real column and row, never black.
    np.testing.assert_array_equal(tiles[1][:, :, 3], block[:, :4, 6])
    np.testing.assert_array_equal(tiles[3][:, 1:, :3], np.repeat(block[:, 4:5, 4:7], 3, axis=1))


@settings(max_examples=60, deadline=None)
@given(
    height=st.integers(1, 70),
    width=st.integers(1, 70),
    tile_h=st.integers(1, 24),
    tile_w=st.integers(1, 24),
    frames=st.integers(1, 4),
)
def test_split_then_merge_is_identity(height, width, tile_h, tile_w, frames):
    block = random_block(frames, height, width, seed=height * 71 + width)
    grid = TileGrid(height, width, tile_h, tile_w)
    tiles = split_tiles(block, grid)
    assert tiles.shape == (grid.tile_count, frames, tile_h, tile_w, 3)
    assert tiles.dtype == np.uint8
    np.testing.assert_array_equal(merge_tiles(tiles, grid), block)


def test_split_refuses_block_of_other_size():
    with pytest.raises(ValueError):
        split_tiles(random_block(1, 10, 10), TileGrid(12, 10, 4, 4))


def test_merge_refuses_wrong_tile_count():
    grid = TileGrid(8, 8, 4, 4)
    with pytest.raises(ValueError):
        merge_tiles(np.zeros((3, 1, 4, 4, 3), np.uint8), grid)


def test_pixel_range_round_trip_is_exact_for_every_value():
    pixels = np.arange(256, dtype=np.uint8)
    values = to_model_range(pixels)
    assert values.dtype == np.float32
    assert values.min() == -1.0 and values.max() == 1.0
    np.testing.assert_array_equal(from_model_range(values), pixels)


def test_from_model_range_rounds_and_clips():
    values = np.array([-3.0, 1.5, np.nan, 0.0, 1.0 / 255.0])
    np.testing.assert_array_equal(from_model_range(values), [0, 255, 0, 128, 128])


def test_to_model_range_refuses_non_uint8():
    with pytest.raises(TypeError):
        to_model_range(np.zeros(3, np.float32))
