"""Conversions between 8-bit pixels and the model's [-1, 1] value range."""

from __future__ import annotations

import numpy as np


def to_model_range(pixels: np.ndarray) -> np.ndarray:
    """Map uint8 pixels 0..255 to float32 values in [-1, 1]."""
    if pixels.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {pixels.dtype}")
    return pixels.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)


def from_model_range(values: np.ndarray) -> np.ndarray:
    """Map model values in [-1, 1] back to uint8 pixels, rounding and clipping."""
    scaled = (np.asarray(values, dtype=np.float32) + np.float32(1.0)) * np.float32(127.5)
    # A diverged model can emit NaN; casting NaN to uint8 is undefined, so pin it to black.
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
