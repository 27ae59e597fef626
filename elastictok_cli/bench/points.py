"""One measured point of a rate-distortion curve, and the file facts it comes from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Curve names as they appear in tables, CSV and JSON.
ELASTIC = "elastic"  # ElasticTok at an MSE threshold, k searched per tile and block
FIXED = "fixed"  # the same model with one k for every tile and block
ELASTIC_V1 = "elastic-v1"  # the thresholds again as format 1: bit-packed ids, no skipped tiles
RDO = "rdo"  # the same model with k by rate and distortion: D + lambda * bpp per tile-block


@dataclass
class Point:
    """A file encoded at one setting, decoded back and measured against the bench frames."""

    curve: str  # "elastic", "fixed", "x264", "x265" or "svtav1"
    setting: str  # what was varied: "mse", "tokens" or "crf"
    value: float  # the setting's value
    file: str  # the encoded file's name (its folder is the run's business)
    bytes: int  # size on disk of that file: the only source of bits
    pixels: int  # frames * width * height of the bench frames
    psnr: float  # dB, RGB on 0..255, from the MSE pooled over every frame
    ssim: float  # mean over frames
    encode_seconds: float
    decode_seconds: float
    # ElasticTok only: per tile-block kept k and recorded distortion, (blocks, tiles) each.
    keep: np.ndarray | None = field(default=None, repr=False)
    distortion: np.ndarray | None = field(default=None, repr=False)
    max_tokens: int | None = None  # per tile and block
    min_tokens: int | None = None

    @property
    def bits(self) -> int:
        """Bits of the file."""
        return 8 * self.bytes

    @property
    def bpp(self) -> float:
        """File bits per pixel of the bench frames."""
        return self.bits / self.pixels

    @property
    def tokens(self) -> int | None:
        """Kept tokens over every tile and block."""
        return None if self.keep is None else int(self.keep.sum())

    @property
    def token_share(self) -> float | None:
        """Kept tokens as a share of the model's full length."""
        if self.keep is None:
            return None
        return float(self.keep.mean() / self.max_tokens)

    def as_dict(self) -> dict:
        """Plain values for CSV and JSON (no per-tile arrays)."""
        return {
            "curve": self.curve,
            "setting": self.setting,
            "value": self.value,
            "file": self.file,
            "bytes": self.bytes,
            "bits": self.bits,
            "pixels": self.pixels,
            "bpp": self.bpp,
            "psnr": self.psnr,
            "ssim": self.ssim,
            "encode_seconds": self.encode_seconds,
            "decode_seconds": self.decode_seconds,
            "tokens": self.tokens,
            "token_share": self.token_share,
        }
