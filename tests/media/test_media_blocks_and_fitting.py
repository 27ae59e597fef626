"""Blocks of frames with a padded last block; resizing and cropping to a native size."""

from fractions import Fraction

import numpy as np
import pytest
from support.clips import moving_gradient

from elastictok_cli.errors import UsageError
from elastictok_cli.media import (
    center_crop,
    fit_frames,
    iter_blocks,
    open_media,
    open_writer,
    resize_frame,
)


def numbered_frames(count: int, height: int = 3, width: int = 5):
    """Frames whose every pixel holds the frame's index, so blocks are easy to check."""
    return [np.full((height, width, 3), index, np.uint8) for index in range(count)]


def test_blocks_cover_all_frames_and_pad_the_last_with_its_final_frame():
    blocks = list(iter_blocks(iter(numbered_frames(10)), 4))
    assert [count for _, count in blocks] == [4, 4, 2]
    assert all(block.shape == (4, 3, 5, 3) and block.dtype == np.uint8 for block, _ in blocks)
    assert [int(frame[0, 0, 0]) for frame in blocks[0][0]] == [0, 1, 2, 3]
    assert [int(frame[0, 0, 0]) for frame in blocks[2][0]] == [8, 9, 9, 9]


def test_exact_multiple_has_no_padded_block():
    assert [count for _, count in iter_blocks(numbered_frames(8), 4)] == [4, 4]


def test_no_frames_give_no_blocks():
    assert list(iter_blocks([], 4)) == []


def test_each_block_is_a_fresh_array():
    first, second = (block for block, _ in iter_blocks(numbered_frames(8), 4))
    assert int(first[0, 0, 0, 0]) == 0 and int(second[0, 0, 0, 0]) == 4


def test_frame_size_change_mid_stream_is_refused():
    frames = [np.zeros((3, 5, 3), np.uint8), np.zeros((4, 5, 3), np.uint8)]
    with pytest.raises(ValueError, match="changed"):
        list(iter_blocks(frames, 4))


def test_still_image_becomes_one_block_of_identical_frames(tmp_path):
    image = moving_gradient(1, 20, 30)[0]
    with open_writer(tmp_path / "still.png", 30, 20, Fraction(1)) as writer:
        writer.write(image)
    with open_media(tmp_path / "still.png") as source:
        blocks = list(iter_blocks(source.frames(), 4))
    assert len(blocks) == 1 and blocks[0][1] == 1
    for frame in blocks[0][0]:
        np.testing.assert_array_equal(frame, image)


def test_resize_scales_to_exact_size_and_keeps_flat_colour():
    flat = np.full((45, 67, 3), (200, 100, 50), np.uint8)
    for width, height in [(64, 64), (128, 96), (7, 3)]:
        scaled = resize_frame(flat, width, height)
        assert scaled.shape == (height, width, 3) and scaled.dtype == np.uint8
        assert np.abs(scaled.astype(int) - (200, 100, 50)).max() <= 1


def test_resize_to_the_same_size_is_a_no_op():
    frame = moving_gradient(1, 8, 8)[0]
    assert resize_frame(frame, 8, 8) is frame


def test_center_crop_takes_the_middle():
    frame = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    np.testing.assert_array_equal(center_crop(frame, 4, 2), frame[2:4, 2:6])


def test_center_crop_refuses_a_window_larger_than_the_frame():
    with pytest.raises(UsageError, match="resize"):
        center_crop(np.zeros((45, 67, 3), np.uint8), 64, 64)


def test_fit_frames_applies_the_mode_to_every_frame():
    frames = moving_gradient(3, 45, 67)
    assert all(f.shape == (32, 32, 3) for f in fit_frames(frames, "resize", 32, 32))
    assert all(f.shape == (40, 64, 3) for f in fit_frames(frames, "crop", 64, 40))
    with pytest.raises(UsageError, match="unknown fit mode"):
        list(fit_frames(frames, "stretch", 32, 32))
