"""The bench frames: one clip read once, cut and scaled once, and shown to every codec."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from elastictok_cli.errors import UsageError
from elastictok_cli.media import open_media, resize_frame


@dataclass
class Clip:
    """Frames (N, H, W, 3) uint8 RGB held in memory, with the facts a codec needs."""

    name: str
    frames: np.ndarray
    fps: Fraction
    source_size: tuple[int, int]  # (width, height) before any --resize

    @property
    def width(self) -> int:
        """Frame width in pixels."""
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        """Frame height in pixels."""
        return int(self.frames.shape[1])

    @property
    def count(self) -> int:
        """Number of frames."""
        return int(self.frames.shape[0])

    @property
    def pixels(self) -> int:
        """Pixels over every frame: the denominator of bits per pixel."""
        return self.count * self.width * self.height


class ClipSource:
    """The clip in the shape of an opened media source, so the codec encodes it as it is."""

    def __init__(self, clip: Clip):
        """Wrap a clip; it can be read any number of times."""
        self.name = clip.name
        self.width, self.height = clip.width, clip.height
        self.fps = clip.fps
        self.frame_count = clip.count
        self.is_image = False
        self._frames = clip.frames

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame in order."""
        yield from self._frames


def parse_size(text: str | None) -> tuple[int, int] | None:
    """'WxH' -> (W, H); None stays None."""
    if text is None:
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 128x96") from None
    if width < 1 or height < 1:
        raise UsageError(f"size {text!r} must be positive")
    return width, height


def load_clip(path: str, max_frames: int, size: tuple[int, int] | None = None) -> Clip:
    """The first `max_frames` frames of a video (0: all), scaled to `size` (W, H) if given."""
    if max_frames < 0:
        raise UsageError("--frames must be 0 (all) or positive")
    frames = []
    with open_media(path) as source:
        source_size = (source.width, source.height)
        fps = source.fps
        for frame in source.frames():
            if size is not None:
                frame = resize_frame(frame, *size)
            # Copy: a source may yield the same array twice to fill timestamp gaps.
            frames.append(np.array(frame, dtype=np.uint8, copy=True))
            if max_frames and len(frames) == max_frames:
                break
    return Clip(os.path.basename(path), np.stack(frames), fps, source_size)
