"""Batches cut from the decoded cache: random scaled crops, video sequences and image blocks.

A sample is a sequence of `seq_blocks` blocks of F frames. A video sample is F x seq_blocks
consecutive frames under one crop window. An image sample is a sequence of independent
image blocks, each one crop of a random image repeated F times (the paper's still-image
block); the blocks after the first thus see unrelated context, as after a scene cut,
so every block of an image sample teaches image coding and none is wasted on copies.

Every batch is a pure function of (seed, process, step): resuming at step s yields the
batches an uninterrupted run would have seen, with no sampler state to checkpoint.
"""

from __future__ import annotations

import math

import numpy as np

from elastictok_cli.train.data import MediaCache


def linear_taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, upper weight) of 2-tap linear resampling src -> dst."""
    centers = np.clip((np.arange(dst) + 0.5) * (src / dst) - 0.5, 0, src - 1)
    lower = np.floor(centers).astype(np.intp)
    upper = np.minimum(lower + 1, src - 1)
    return lower, upper, (centers - lower).astype(np.float32)


def shrink(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (n, h, w, 3) uint8 frames, at least `size`, to float32 (n, *size, 3) in 0..255.

    Box-average by the largest whole factor, then 2-tap linear for the rest (under 2x),
    so nothing aliases badly. Plain numpy without BLAS: multithreaded BLAS fights the
    training step for the cores and runs ten times slower on small matrices here.
    """
    n, height, width, channels = frames.shape
    out_h, out_w = size
    factor = min(height // out_h, width // out_w)
    if factor > 1:
        h, w = (height // factor) * factor, (width // factor) * factor
        blocks = frames[:, :h, :w].reshape(n, h // factor, factor, w // factor, factor, channels)
        image = blocks.mean(axis=(2, 4), dtype=np.float32)
    else:
        image = frames.astype(np.float32)
    if image.shape[1] != out_h:
        lower, upper, weight = linear_taps(image.shape[1], out_h)
        weight = weight[None, :, None, None]
        image = image[:, lower] * (1 - weight) + image[:, upper] * weight
    if image.shape[2] != out_w:
        lower, upper, weight = linear_taps(image.shape[2], out_w)
        weight = weight[None, None, :, None]
        image = image[:, :, lower] * (1 - weight) + image[:, :, upper] * weight
    return image


def scaled_crop(
    rng: np.random.Generator, frames: np.ndarray, size: tuple[int, int], max_scale: float
) -> np.ndarray:
    """One random window of (n, h, w, 3) uint8 frames, 1x to `max_scale` x `size`, resized.

    Returns float32 (n, size_h, size_w, 3) in [-1, 1], flipped left-right half the time.
    """
    _, height, width, _ = frames.shape
    out_h, out_w = size
    largest = min(max_scale, height / out_h, width / out_w)
    # Log-uniform scale: as many close-ups as wide shots.
    scale = math.exp(rng.uniform(0.0, math.log(largest))) if largest > 1 else 1.0
    win_h = min(height, max(out_h, round(out_h * scale)))
    win_w = min(width, max(out_w, round(out_w * scale)))
    top = int(rng.integers(0, height - win_h + 1))
    left = int(rng.integers(0, width - win_w + 1))
    window = shrink(frames[:, top : top + win_h, left : left + win_w], size)
    if rng.random() < 0.5:
        window = window[:, :, ::-1]
    return window * (2.0 / 255.0) - 1.0


class BatchSampler:
    """Deterministic batches (B, seq_blocks, F, H, W, 3) float32 from a `MediaCache`."""

    def __init__(
        self,
        cache: MediaCache,
        *,
        frames_per_block: int,
        seq_blocks: int,
        tile: tuple[int, int],
        image_ratio: float,
        max_scale: float,
        seed: int,
        eval_seed: int = 0,
    ):
        """Remember the pools and the sampling settings; `eval_seed` picks the eval crops."""
        self.cache = cache
        self.frames_per_block = frames_per_block
        self.seq_blocks = seq_blocks
        self.tile = tile
        self.max_scale = max_scale
        self.seed = seed
        self.eval_seed = eval_seed
        # Without one of the two kinds the ratio cannot be honoured: use what there is.
        if not cache.train_images:
            image_ratio = 0.0
        elif not cache.train_videos:
            image_ratio = 1.0
        self.image_ratio = image_ratio

    def batch(self, step: int, size: int, stream: int = 0) -> np.ndarray:
        """The batch of one step for one data stream (a process's share of the global batch)."""
        rng = np.random.default_rng([self.seed, stream, step])
        return self._draw(rng, size, self.cache.train_videos, self.cache.train_images)

    def eval_batch(self, size: int) -> np.ndarray:
        """A fixed batch from the held-out pools (the training pools if none was held out).

        It depends on `eval_seed`, not on the training seed, so runs with other seeds on
        the same data are evaluated on the same blocks and their tables compare.
        """
        videos = self.cache.eval_videos or self.cache.train_videos
        images = self.cache.eval_images or self.cache.train_images
        rng = np.random.default_rng([self.eval_seed, 1 << 30])
        return self._draw(rng, size, videos, images)

    @property
    def held_out(self) -> bool:
        """Whether evaluation uses data the model never trains on."""
        return bool(self.cache.eval_videos or self.cache.eval_images)

    def _draw(self, rng, size: int, videos, images) -> np.ndarray:
        """`size` samples; the number of image samples is the ratio, stochastically rounded."""
        ratio = self.image_ratio if (videos and images) else (0.0 if videos else 1.0)
        n_images = int(size * ratio + rng.random())
        n_images = min(size, n_images)
        f, s = self.frames_per_block, self.seq_blocks
        out = np.empty((size, s, f, *self.tile, 3), np.float32)
        for i in range(size):
            if i < n_images:
                for b in range(s):
                    image = images[int(rng.integers(len(images)))]
                    out[i, b] = scaled_crop(rng, image, self.tile, self.max_scale)
            else:
                clip = videos[int(rng.integers(len(videos)))]
                start = int(rng.integers(0, len(clip) - f * s + 1))
                crop = scaled_crop(rng, clip[start : start + f * s], self.tile, self.max_scale)
                out[i] = crop.reshape(s, f, *self.tile, 3)
        # Images first would put them on the same devices every step; shuffle the rows.
        return out[rng.permutation(size)]
