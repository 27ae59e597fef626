"""Finding and decoding training media, and cutting deterministic batches from it."""

import numpy as np
import pytest

from elastictok_cli.errors import BadInputError
from elastictok_cli.train.data import cache_size, find_media, load_cache
from elastictok_cli.train.sampling import BatchSampler, moving_crop, scaled_crop, shrink

TILE = (16, 16)


def make_cache(media_dir, **kw):
    args = dict(tile=TILE, seq_frames=8, short_side=32, max_frames=100, holdout_fraction=0.1)
    return load_cache([str(media_dir)], **{**args, **kw})


def test_folders_and_globs_are_found(media_dir):
    videos, images = find_media([str(media_dir / "clips"), str(media_dir / "stills" / "*.png")])
    assert [p.name for p in videos] == ["a.mkv", "b.mkv", "broken.mp4", "short.mkv"]
    assert len(images) == 3


def test_short_and_unreadable_clips_are_skipped_and_counted(media_dir):
    cache = make_cache(media_dir)
    assert cache.skipped_short == 1
    assert len(cache.unreadable) == 1 and cache.unreadable[0].endswith("broken.mp4")
    # Both long clips give their tail to evaluation, at least one sequence each.
    assert len(cache.train_videos) == len(cache.eval_videos) == 2
    assert all(len(v) >= 8 for v in cache.eval_videos)
    assert sum(len(v) for v in cache.train_videos + cache.eval_videos) == 50
    assert "1 videos shorter" in cache.summary()


def test_cache_resolution_is_bounded_but_never_below_a_tile(media_dir):
    cache = make_cache(media_dir)
    for frames in cache.train_videos + cache.train_images:
        assert frames.dtype == np.uint8
        assert min(frames.shape[1:3]) <= 32
        assert frames.shape[1] >= TILE[0] and frames.shape[2] >= TILE[1]
    assert cache_size(8, 100, 32, TILE) == (16, 200)


def test_no_media_is_bad_input(tmp_path):
    with pytest.raises(BadInputError):
        load_cache(
            [str(tmp_path)],
            tile=TILE,
            seq_frames=8,
            short_side=32,
            max_frames=10,
            holdout_fraction=0.0,
        )


def test_shrink_keeps_flat_content_flat_and_averages_blocks():
    flat = np.full((2, 50, 70, 3), 77, np.uint8)
    np.testing.assert_allclose(shrink(flat, (16, 16)), 77.0, rtol=1e-5)
    checker = np.indices((32, 32)).sum(axis=0) % 2 * 255
    frames = np.repeat(checker[None, :, :, None], 3, axis=3).astype(np.uint8)
    # A 2x shrink of a one-pixel checkerboard is flat grey, not an aliased pattern.
    np.testing.assert_allclose(shrink(frames, (16, 16)), 127.5, rtol=1e-5)


def test_scaled_crop_shape_and_range():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (5, 40, 60, 3), dtype=np.uint8)
    crop = scaled_crop(rng, frames, (16, 16), max_scale=3.0)
    assert crop.shape == (5, 16, 16, 3) and crop.dtype == np.float32
    assert crop.min() >= -1.0 and crop.max() <= 1.0


def ramp_image(height=48, width=200):
    """A still whose red channel is the column index and green the row index."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx, yy, np.zeros_like(xx)], -1)[None].astype(np.uint8)


@pytest.mark.parametrize("seed", range(20))
def test_moving_crop_pans_steadily_inside_the_still(seed):
    rng = np.random.default_rng(seed)
    frames = moving_crop(rng, ramp_image(), 8, (16, 16), max_scale=1.0)
    assert frames.shape == (8, 16, 16, 3) and frames.dtype == np.float32
    pixels = (frames + 1.0) * (255.0 / 2.0)
    # At scale 1 every frame is an exact window: its corner pixel is where it lies.
    left = np.minimum(pixels[:, 0, 0, 0], pixels[:, 0, -1, 0])
    top = pixels[:, 0, 0, 1]
    for path in (left, top):
        # Equal sub-pixel steps (a linear ramp resamples exactly), at most a quarter of
        # the window over the whole move.
        np.testing.assert_allclose(np.diff(path), (path[-1] - path[0]) / 7, atol=2e-3)
        assert abs(path[-1] - path[0]) <= 0.25 * 16 + 1e-3
    # Inside the still: the ramp's values are never clamped at its edges.
    assert left.min() >= 0 and left.max() + 15 <= 199 + 1e-3
    assert top.min() >= 0 and top.max() + 15 <= 47 + 1e-3


def test_moving_crop_of_a_large_still_moves_and_zooms_within_bounds():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (1, 60, 80, 3), dtype=np.uint8)
    moved = 0
    for _ in range(20):
        frames = moving_crop(rng, image, 8, (16, 16), max_scale=3.0)
        assert frames.min() >= -1.0 and frames.max() <= 1.0
        moved += not np.allclose(frames[0], frames[-1])
    assert moved >= 18


def test_moving_image_samples_are_one_continuous_move(media_dir):
    cache = make_cache(media_dir)
    sampler = BatchSampler(
        cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=1.0, max_scale=2.0,
        seed=0, image_motion=1.0,
    )  # fmt: skip
    batch = sampler.batch(0, 6)
    frames = batch.reshape(6, 8, *TILE, 3)
    steps = np.abs(np.diff(frames, axis=1)).mean(axis=(2, 3, 4))
    # Frames change within blocks and across the block boundary alike: no cut, no stills.
    assert (steps > 0).mean() > 0.5
    assert steps[:, 3].max() <= 3 * np.median(steps) + 1e-6
    # The evaluation blocks ignore motion, so runs with and without it compare.
    still = BatchSampler(
        cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=1.0, max_scale=2.0, seed=0
    )
    np.testing.assert_array_equal(sampler.eval_batch(4), still.eval_batch(4))


def test_batches_are_a_function_of_seed_and_step(media_dir):
    cache = make_cache(media_dir)
    sampler = BatchSampler(
        cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=0.5, max_scale=2.0, seed=3
    )
    first = sampler.batch(7, 6)
    assert first.shape == (6, 2, 4, 16, 16, 3)
    np.testing.assert_array_equal(first, sampler.batch(7, 6))
    assert not np.array_equal(first, sampler.batch(8, 6))
    assert not np.array_equal(first, sampler.batch(7, 6, stream=1))


def test_image_blocks_repeat_one_frame_and_ratio_is_honoured(media_dir):
    cache = make_cache(media_dir)
    sampler = BatchSampler(
        cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=1.0, max_scale=2.0, seed=0
    )
    batch = sampler.batch(0, 4)
    # Every block of an image sample is one crop repeated over its frames.
    np.testing.assert_array_equal(
        batch[:, :, 1:], np.broadcast_to(batch[:, :, :1], batch[:, :, 1:].shape)
    )
    video_only = BatchSampler(
        cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=0.0, max_scale=2.0, seed=0
    )
    clips = video_only.batch(0, 4)
    assert not np.allclose(clips[:, :, 0], clips[:, :, 1])


def test_eval_blocks_are_the_same_for_every_seed(media_dir):
    cache = make_cache(media_dir)

    def sampler(seed):
        return BatchSampler(
            cache, frames_per_block=4, seq_blocks=2, tile=TILE, image_ratio=0.5, max_scale=2.0,
            seed=seed,
        )  # fmt: skip

    # Training batches differ between seeds; the eval batch must not, or runs do not compare.
    assert not np.array_equal(sampler(3).batch(0, 4), sampler(4).batch(0, 4))
    np.testing.assert_array_equal(sampler(3).eval_batch(4), sampler(4).eval_batch(4))
