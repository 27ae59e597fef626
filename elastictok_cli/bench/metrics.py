"""Quality of decoded frames against the bench frames: PSNR (RGB, 0..255) and SSIM.

SSIM comes from scikit-image, the implementation most published numbers use, with the
settings of Wang et al. 2004 (Gaussian window, sigma 1.5, population covariance), so
our values compare with other papers'; a hand-written one would be one more thing to trust.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from elastictok_cli.errors import UsageError
from elastictok_cli.metrics import BYTE_PEAK, psnr

PEAK_255 = 255.0
GAUSSIAN_WINDOW = 11  # what scikit-image uses for sigma 1.5 (radius 3.5 sigma)


def frame_ssim(reference: np.ndarray, decoded: np.ndarray) -> float:
    """SSIM of two uint8 RGB frames (H, W, 3), averaged over the colour channels."""
    from skimage.metrics import structural_similarity

    # The Gaussian window spans 11 pixels; a smaller frame crops with a smaller odd one.
    side = min(GAUSSIAN_WINDOW, *reference.shape[:2])
    side -= 1 - side % 2
    return float(
        structural_similarity(
            reference,
            decoded,
            win_size=side if side < GAUSSIAN_WINDOW else None,
            data_range=PEAK_255,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


class QualityMeter:
    """Accumulates squared error and SSIM frame by frame, so no decoded clip is held."""

    def __init__(self, reference: np.ndarray):
        """Compare against frames (N, H, W, 3) uint8."""
        self.reference = reference
        self.count = 0
        self.seconds = 0.0  # spent measuring: callers take it out of their decode times
        self._squared = 0.0
        self._ssim = 0.0

    def add(self, decoded: np.ndarray) -> None:
        """Measure the next decoded frame."""
        start = time.perf_counter()
        if self.count >= len(self.reference):
            raise ValueError("more decoded frames than reference frames")
        ref = self.reference[self.count]
        if decoded.shape != ref.shape:
            raise ValueError(f"decoded frame is {decoded.shape}, reference is {ref.shape}")
        diff = decoded.astype(np.float64) - ref
        self._squared += float(np.sum(diff * diff))
        self._ssim += frame_ssim(ref, decoded)
        self.count += 1
        self.seconds += time.perf_counter() - start

    def add_all(self, frames: Iterable[np.ndarray]) -> None:
        """Measure every frame of an iterable."""
        for frame in frames:
            self.add(frame)

    def result(self) -> tuple[float, float]:
        """(PSNR over all pixel values pooled, mean SSIM); every frame must have come back."""
        if self.count != len(self.reference):
            raise ValueError(f"decoded {self.count} frames of {len(self.reference)}")
        mse = self._squared / self.reference.size
        return psnr(mse, BYTE_PEAK), self._ssim / self.count


def require_bench_extra() -> None:
    """Fail early, with the fix, when the optional plotting and SSIM libraries are missing."""
    missing = []
    for module in ("matplotlib", "skimage"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise UsageError(f"bench needs {', '.join(missing)}: pip install 'elastictok[bench]'")
