"""Batches cut from the decoded cache: random scaled crops, video sequences and image blocks.

A sample is a sequence of `seq_blocks` blocks of F frames. A video sample is F x seq_blocks
consecutive frames under one crop window. An image sample is a sequence of independent
image blocks, each one crop of a random image repeated F times (the paper's still-image
block); the blocks after the first thus see unrelated context, as after a scene cut,
so every block of an image sample teaches image coding and none is wasted on copies.
A share of the image samples (`image_motion`) are instead a camera move over one still:
a window that pans and zooms steadily across all F x seq_blocks frames, so the many
photographs teach motion and the use of context too, not only the few clips.

Every batch is a pure function of (seed, process, step): resuming at step s yields the
batches an uninterrupted run would have seen, with no sampler state to checkpoint.
"""

from __future__ import annotations

import math

import numpy as np

from elastictok_cli.train.data import MediaCache


def linear_taps(
    src: int, dst: int, start: float = 0.0, length: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower index, upper index, upper weight) of 2-tap linear resampling to `dst` samples.

    The samples cover the window [start, start + length) of `src` pixels (all of them by
    default); fractional starts give sub-pixel shifts.
    """
    length = src if length is None else length
    centers = start + (np.arange(dst) + 0.5) * (length / dst) - 0.5
    centers = np.clip(centers, 0, src - 1)
    lower = np.floor(centers).astype(np.intp)
    upper = np.minimum(lower + 1, src - 1)
    return lower, upper, (centers - lower).astype(np.float32)


def box_average(frames: np.ndarray, factor: int) -> np.ndarray:
    """(n, h, w, c) frames averaged over factor x factor boxes, as float32."""
    if factor <= 1:
        return frames.astype(np.float32)
    n, height, width, channels = frames.shape
    h, w = (height // factor) * factor, (width // factor) * factor
    blocks = frames[:, :h, :w].reshape(n, h // factor, factor, w // factor, factor, channels)
    return blocks.mean(axis=(2, 4), dtype=np.float32)


def resample(image: np.ndarray, rows: tuple, cols: tuple) -> np.ndarray:
    """Apply `linear_taps` results along the height, then the width, of (n, h, w, c)."""
    lower, upper, weight = rows
    weight = weight[None, :, None, None]
    image = image[:, lower] * (1 - weight) + image[:, upper] * weight
    lower, upper, weight = cols
    weight = weight[None, None, :, None]
    return image[:, :, lower] * (1 - weight) + image[:, :, upper] * weight


def shrink(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (n, h, w, 3) uint8 frames, at least `size`, to float32 (n, *size, 3) in 0..255.

    Box-average by the largest whole factor, then 2-tap linear for the rest (under 2x),
    so nothing aliases badly. Plain numpy without BLAS: multithreaded BLAS fights the
    training step for the cores and runs ten times slower on small matrices here.
    """
    _, height, width, _ = frames.shape
    out_h, out_w = size
    image = box_average(frames, min(height // out_h, width // out_w))
    if image.shape[1:3] == (out_h, out_w):
        return image
    return resample(image, linear_taps(image.shape[1], out_h), linear_taps(image.shape[2], out_w))


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


def moving_crop(
    rng: np.random.Generator,
    image: np.ndarray,
    n_frames: int,
    size: tuple[int, int],
    max_scale: float,
    max_pan: float = 0.25,
    max_zoom: float = 1.15,
) -> np.ndarray:
    """A steady pan and zoom over one (1, h, w, 3) uint8 still: float32 (n_frames, *size, 3).

    The window starts at a log-uniform scale of 1x to `max_scale` tile sides, drifts by up
    to `max_pan` of its side per axis over the sequence and grows or shrinks by up to
    `max_zoom`, all at sub-pixel steps and inside the image (a drift that would leave it
    is dropped); values in [-1, 1], mirrored half the time.
    """
    _, height, width, _ = image.shape
    out = np.array(size, np.float64)
    largest = min(max_scale, height / out[0], width / out[1])
    start = math.exp(rng.uniform(0.0, math.log(largest))) if largest > 1 else 1.0
    end = min(largest, max(1.0, start * math.exp(rng.uniform(-1, 1) * math.log(max_zoom))))
    first, last = out * start, out * end
    drift = rng.uniform(-max_pan, max_pan, 2) * first
    # Window centres move linearly: if the first and last windows fit, every one between does.
    center = np.empty(2)
    for axis, side in enumerate((height, width)):
        low = max(first[axis] / 2, last[axis] / 2 - drift[axis])
        high = min(side - first[axis] / 2, side - last[axis] / 2 - drift[axis])
        if low > high:
            drift[axis] = 0.0
            low, high = max(first[axis], last[axis]) / 2, side - max(first[axis], last[axis]) / 2
        center[axis] = rng.uniform(low, high)
    # One box factor for the whole move (zoom is small), then sub-pixel linear taps.
    factor = max(1, int(min(start, end)))
    base = box_average(image, factor)
    frames = np.empty((n_frames, *size, 3), np.float32)
    for t in range(n_frames):
        progress = t / max(1, n_frames - 1)
        window = first + (last - first) * progress
        corner = center + drift * progress - window / 2
        rows = linear_taps(base.shape[1], size[0], corner[0] / factor, window[0] / factor)
        cols = linear_taps(base.shape[2], size[1], corner[1] / factor, window[1] / factor)
        frames[t] = resample(base, rows, cols)[0]
    if rng.random() < 0.5:
        frames = frames[:, :, ::-1]
    return frames * (2.0 / 255.0) - 1.0


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
        image_motion: float = 0.0,
    ):
        """Remember the pools and the sampling settings; `eval_seed` picks the eval crops."""
        self.cache = cache
        self.frames_per_block = frames_per_block
        self.seq_blocks = seq_blocks
        self.tile = tile
        self.max_scale = max_scale
        self.seed = seed
        self.eval_seed = eval_seed
        self.image_motion = image_motion
        # Without one of the two kinds the ratio cannot be honoured: use what there is.
        if not cache.train_images:
            image_ratio = 0.0
        elif not cache.train_videos:
            image_ratio = 1.0
        self.image_ratio = image_ratio

    def batch(self, step: int, size: int, stream: int = 0) -> np.ndarray:
        """The batch of one step for one data stream (a process's share of the global batch)."""
        rng = np.random.default_rng([self.seed, stream, step])
        videos, images = self.cache.train_videos, self.cache.train_images
        return self._draw(rng, size, videos, images, self.image_motion)

    def eval_batch(self, size: int) -> np.ndarray:
        """A fixed batch from the held-out pools (the training pools if none was held out).

        It depends on `eval_seed`, not on the training seed or the image motion, so runs
        with other seeds or image motion on the same data are evaluated on the same blocks
        and their tables compare.
        """
        videos = self.cache.eval_videos or self.cache.train_videos
        images = self.cache.eval_images or self.cache.train_images
        rng = np.random.default_rng([self.eval_seed, 1 << 30])
        return self._draw(rng, size, videos, images, image_motion=0.0)

    @property
    def held_out(self) -> bool:
        """Whether evaluation uses data the model never trains on."""
        return bool(self.cache.eval_videos or self.cache.eval_images)

    def _draw(self, rng, size: int, videos, images, image_motion: float) -> np.ndarray:
        """`size` samples; the number of image samples is the ratio, stochastically rounded."""
        ratio = self.image_ratio if (videos and images) else (0.0 if videos else 1.0)
        n_images = int(size * ratio + rng.random())
        n_images = min(size, n_images)
        f, s = self.frames_per_block, self.seq_blocks
        out = np.empty((size, s, f, *self.tile, 3), np.float32)
        for i in range(size):
            # No draw at all without motion, so runs from before it existed resume unchanged.
            if i < n_images and image_motion and rng.random() < image_motion:
                image = images[int(rng.integers(len(images)))]
                crop = moving_crop(rng, image, f * s, self.tile, self.max_scale)
                out[i] = crop.reshape(s, f, *self.tile, 3)
            elif i < n_images:
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
