"""Training data: find videos and images, decode them once into a bounded uint8 cache.

Decoding is the slow part of feeding a model, so every clip is decoded a single time, at
a bounded resolution (short side at most `cache_side`), and kept in memory as uint8.
Batches are then cut from this cache by `sampling.py`, fast enough to keep up with a step.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import av
import av.error
import numpy as np

from elastictok_cli.errors import BadInputError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mkv", ".avi", ".mov", ".webm", ".y4m", ".m4v", ".mpg", ".mpeg", ".ogv", ".flv"}
    | {".wmv", ".gif", ".ts", ".mts", ".3gp"}
)


@dataclasses.dataclass
class MediaCache:
    """Decoded uint8 frames: training and held-out clips (n, h, w, 3), images (1, h, w, 3)."""

    train_videos: list[np.ndarray]
    train_images: list[np.ndarray]
    eval_videos: list[np.ndarray]
    eval_images: list[np.ndarray]
    skipped_short: int = 0  # videos with fewer frames than one sequence
    unreadable: list[str] = dataclasses.field(default_factory=list)

    @property
    def nbytes(self) -> int:
        """Memory held by the cache."""
        pools = (self.train_videos, self.train_images, self.eval_videos, self.eval_images)
        return sum(a.nbytes for pool in pools for a in pool)

    def summary(self) -> str:
        """One line for the user: what was loaded and what was left out."""
        frames = sum(len(v) for v in self.train_videos)
        text = (
            f"{len(self.train_videos)} videos ({frames} frames), {len(self.train_images)} images "
            f"for training; {len(self.eval_videos)} clips, {len(self.eval_images)} images held "
            f"out; cache {self.nbytes / 2**20:.0f} MiB"
        )
        if self.skipped_short:
            text += f"; {self.skipped_short} videos shorter than a sequence skipped"
        if self.unreadable:
            text += f"; {len(self.unreadable)} unreadable files skipped"
        return text


def find_media(specs: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """Expand folders (recursively) and globs into sorted (videos, images); files as given."""
    found: set[Path] = set()
    for spec in specs:
        path = Path(spec).expanduser()
        if path.is_dir():
            candidates = [p for p in path.rglob("*") if p.is_file()]
            found.update(p for p in candidates if _media_kind(p) is not None)
        elif path.is_file():
            found.add(path)
        else:
            matches = [Path(m) for m in glob.glob(os.path.expanduser(spec), recursive=True)]
            found.update(p for p in matches if p.is_file() and _media_kind(p) is not None)
    # Sorted so a run sees the same files in the same order every time it resumes.
    ordered = sorted(found)
    images = [p for p in ordered if _media_kind(p) == "image"]
    videos = [p for p in ordered if _media_kind(p) != "image"]
    return videos, images


def _media_kind(path: Path) -> str | None:
    """'image', 'video' or None (not media) by file extension."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    return "video" if suffix in VIDEO_EXTENSIONS else None


def cache_size(height: int, width: int, short_side: int, tile: tuple[int, int]) -> tuple[int, int]:
    """Size (h, w) a frame is decoded at: short side at most `short_side`, never below a tile."""
    scale = min(1.0, short_side / min(height, width))
    scale = max(scale, tile[0] / height, tile[1] / width)
    # Even sizes: some pixel formats subsample chroma by two.
    h = max(tile[0], 2 * round(height * scale / 2))
    w = max(tile[1], 2 * round(width * scale / 2))
    return h, w


def decode_frames(
    path: Path, short_side: int, tile: tuple[int, int], max_frames: int
) -> np.ndarray:
    """Decode up to `max_frames` frames of a video or image as uint8 (n, h, w, 3)."""
    frames: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise BadInputError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            size = None
            for frame in container.decode(stream):
                if size is None:
                    size = cache_size(frame.height, frame.width, short_side, tile)
                # Scaling inside the decoder's converter is far cheaper than resizing later.
                rgb = frame.to_ndarray(
                    format="rgb24", width=size[1], height=size[0], interpolation="AREA"
                )
                frames.append(rgb)
                if len(frames) >= max_frames:
                    break
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise BadInputError(f"{path}: not a readable video or image ({err})") from err
    if not frames:
        raise BadInputError(f"{path}: contains no frames")
    return np.stack(frames)


def load_cache(
    specs: Iterable[str],
    *,
    tile: tuple[int, int],
    seq_frames: int,
    short_side: int,
    max_frames: int,
    holdout_fraction: float,
    progress: Callable[[int, int, str], None] | None = None,
) -> MediaCache:
    """Find and decode every clip and image; split held-out data off for evaluation.

    A video long enough for two sequences gives its last `holdout_fraction` of frames
    (at least one sequence) to evaluation; every n-th image is held out likewise.
    Videos shorter than one sequence are skipped and counted; unreadable files too.
    """
    videos, images = find_media(specs)
    if not videos and not images:
        raise BadInputError(f"no videos or images found in {', '.join(specs) or 'DATA'}")
    cache = MediaCache([], [], [], [])
    total = len(videos) + len(images)
    for index, path in enumerate(videos):
        if progress:
            progress(index, total, str(path))
        try:
            frames = decode_frames(path, short_side, tile, max_frames)
        except BadInputError:
            cache.unreadable.append(str(path))
            continue
        if len(frames) < seq_frames:
            cache.skipped_short += 1
            continue
        held = max(seq_frames, round(len(frames) * holdout_fraction)) if holdout_fraction else 0
        if held and len(frames) - held >= seq_frames:
            cache.train_videos.append(frames[:-held])
            cache.eval_videos.append(frames[-held:])
        else:
            cache.train_videos.append(frames)
    stride = round(1 / holdout_fraction) if holdout_fraction else 0
    for index, path in enumerate(images):
        if progress:
            progress(len(videos) + index, total, str(path))
        try:
            frame = decode_frames(path, short_side, tile, max_frames=1)
        except BadInputError:
            cache.unreadable.append(str(path))
            continue
        held_out = stride and len(images) >= stride and index % stride == stride - 1
        (cache.eval_images if held_out else cache.train_images).append(frame)
    if progress:
        progress(total, total, "")
    if not cache.train_videos and not cache.train_images:
        raise BadInputError(
            f"no usable training data: {len(cache.unreadable)} unreadable files, "
            f"{cache.skipped_short} videos shorter than {seq_frames} frames"
        )
    return cache
