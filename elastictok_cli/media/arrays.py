"""Frames a caller already holds (an array or an iterator) as a source the encoder reads."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from fractions import Fraction

import numpy as np

from elastictok_cli.errors import BadInputError, UsageError
from elastictok_cli.media.source import MAX_FPS, MAX_SIDE, MIN_FPS

DEFAULT_FPS = Fraction(25, 1)  # what FFmpeg assumes for a stream that states no rate


class ArraySource:
    """uint8 RGB frames (H, W, 3) from an array (T, H, W, 3) or any iterable of frames.

    Has the facts the encoder reads from a media file: `width`, `height`, `fps`,
    `frame_count` (None for an iterator of unknown length) and `frames()`. An iterator
    is read once, lazily, so a long stream is never held in memory.
    """

    def __init__(self, frames: np.ndarray | Iterable[np.ndarray], fps=DEFAULT_FPS):
        """Check the first frame's shape and type; the rest are checked as they come."""
        self.fps = _as_fps(fps)
        if isinstance(frames, np.ndarray):
            if frames.ndim == 3:  # one image
                frames = frames[None]
            if frames.ndim != 4 or len(frames) == 0:
                raise BadInputError(f"frames must be (T, H, W, 3) with T >= 1, got {frames.shape}")
            self.frame_count: int | None = len(frames)
            first, rest = frames[0], iter(frames[1:])
        else:
            self.frame_count = len(frames) if hasattr(frames, "__len__") else None
            rest = iter(frames)
            first = next(rest, None)
            if first is None:
                raise BadInputError("the input has no frames")
        self._first = _checked(np.asarray(first), None)
        self.height, self.width = self._first.shape[:2]
        self._rest = rest
        self._used = False

    def frames(self) -> Iterator[np.ndarray]:
        """Every frame once, in order, each checked against the first's shape."""
        if self._used:
            raise UsageError("the frames of an array source can be read only once")
        self._used = True
        shape = self._first.shape
        for frame in itertools.chain([self._first], self._rest):
            yield _checked(np.asarray(frame), shape)

    def __enter__(self) -> ArraySource:
        """Nothing to open."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing to close."""


def _checked(frame: np.ndarray, shape: tuple | None) -> np.ndarray:
    """A frame as the encoder needs it, or a clear error."""
    if frame.dtype != np.uint8:
        raise BadInputError(f"frames must be uint8 RGB, got {frame.dtype}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise BadInputError(f"a frame must be (H, W, 3) RGB, got {frame.shape}")
    if not (1 <= frame.shape[0] <= MAX_SIDE and 1 <= frame.shape[1] <= MAX_SIDE):
        raise BadInputError(f"frame size {frame.shape[1]}x{frame.shape[0]} is out of range")
    if shape is not None and frame.shape != shape:
        raise BadInputError(f"frame shape changed from {shape} to {frame.shape} mid-stream")
    return frame


def _as_fps(fps) -> Fraction:
    """A frame rate as an exact Fraction within the range real videos use."""
    try:
        rate = Fraction(fps).limit_denominator(1 << 20)
    except (TypeError, ValueError) as err:
        raise UsageError(f"fps must be a number, got {fps!r}") from err
    if not MIN_FPS <= rate <= MAX_FPS:
        raise UsageError(f"fps {fps} is outside {MIN_FPS}..{MAX_FPS}")
    return rate
