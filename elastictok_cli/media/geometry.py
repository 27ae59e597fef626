"""Fitting frames to a model's native size by scaling or by cutting out the centre."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

import av
import numpy as np

from elastictok_cli.errors import UsageError

FitMode = Literal["resize", "crop"]
FIT_MODES: tuple[str, ...] = ("resize", "crop")


def resize_frame(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale an RGB frame (H, W, 3) to exactly `width` x `height`, aspect ratio not kept."""
    if frame.shape[:2] == (height, width):
        return frame
    # Area averaging avoids aliasing when shrinking; bicubic is sharper when growing.
    shrinking = width <= frame.shape[1] and height <= frame.shape[0]
    interpolation = "AREA" if shrinking else "BICUBIC"
    picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
    scaled = picture.reformat(width=width, height=height, interpolation=interpolation)
    return scaled.to_ndarray()


def center_crop(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Cut the central `width` x `height` window out of an RGB frame (H, W, 3)."""
    frame_h, frame_w = frame.shape[:2]
    if frame_w < width or frame_h < height:
        raise UsageError(
            f"cannot crop {width}x{height} out of a {frame_w}x{frame_h} frame; use resize instead"
        )
    top = (frame_h - height) // 2
    left = (frame_w - width) // 2
    return frame[top : top + height, left : left + width]


def fit_frames(
    frames: Iterable[np.ndarray], mode: FitMode, width: int, height: int
) -> Iterator[np.ndarray]:
    """Apply `resize` or `crop` to every frame of a stream."""
    if mode == "resize":
        fit = resize_frame
    elif mode == "crop":
        fit = center_crop
    else:
        raise UsageError(f"unknown fit mode {mode!r}; choose one of {', '.join(FIT_MODES)}")
    for frame in frames:
        yield fit(frame, width, height)
