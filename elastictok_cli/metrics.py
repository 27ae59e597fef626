"""PSNR and MSE conversions: the one place that knows the peak of each pixel scale.

The codec, training and `inspect` measure MSE on the model's [-1, 1] pixels (the paper's
scale, peak-to-peak 2); the bench measures decoded frames on 0..255 like every codec
comparison. PSNR = 10 log10(peak^2 / MSE) on either.
"""

from __future__ import annotations

import math

import numpy as np

SIGNED_PEAK = 4.0  # (1 - (-1))**2: the squared peak-to-peak of [-1, 1] pixels
BYTE_PEAK = 255.0**2  # the squared peak of 0..255 pixels
MSE_FLOOR = 1e-12  # arrays: a perfect match reads as 120 dB instead of inf or a warning


def psnr(mse: float, peak: float = SIGNED_PEAK) -> float:
    """PSNR in dB of one MSE (inf for a perfect match)."""
    return math.inf if mse <= 0 else 10 * math.log10(peak / mse)


def psnr_array(mse, peak: float = SIGNED_PEAK, xp=np):
    """PSNR in dB of MSEs, elementwise, with `xp` numpy or jax.numpy (inside a jit too)."""
    if xp is np:
        mse = np.asarray(mse, np.float64)
    return 10.0 * xp.log10(peak / xp.maximum(mse, MSE_FLOOR))


def mse_for_psnr(db: float, peak: float = SIGNED_PEAK) -> float:
    """The MSE that a PSNR target in dB allows."""
    return peak / 10 ** (db / 10)
