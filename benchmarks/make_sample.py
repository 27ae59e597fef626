"""Render samples/pan.mp4: a slow camera pan over scikit-image's coffee photo, two moving shapes.

Usage: python benchmarks/make_sample.py [OUT] [--force]
Needs the bench extra (scikit-image). Deterministic: same inputs, same frames.
"""

from __future__ import annotations

import argparse
import math
from fractions import Fraction

import numpy as np
from skimage import data, draw, transform

from elastictok_cli.media import open_writer

WIDTH, HEIGHT = 192, 128
FPS = Fraction(24)
FRAME_COUNT = 60  # 2.5 seconds
# Drawn at twice the size and averaged down, which anti-aliases every edge.
SUPERSAMPLE = 2
# Visually transparent, and keeps the clip well under 300 KB.
CRF = 16


def ease(t: float) -> float:
    """Smoothstep: the camera starts and stops gently, like a real pan."""
    return t * t * (3 - 2 * t)


def camera_view(photo: np.ndarray, t: float) -> np.ndarray:
    """The part of the photo the camera sees at time t in [0, 1], at supersampled size."""
    view_h, view_w = HEIGHT * SUPERSAMPLE, WIDTH * SUPERSAMPLE
    span_y, span_x = photo.shape[0] - view_h, photo.shape[1] - view_w
    progress = ease(t)
    # Left to right across the cup, drifting up a little; sub-pixel steps via interpolation.
    top = span_y * (0.8 - 0.5 * progress)
    left = span_x * (0.05 + 0.9 * progress)
    shift = transform.AffineTransform(translation=(left, top))
    return transform.warp(photo, shift, output_shape=(view_h, view_w), order=1, mode="edge")


def draw_ball(canvas: np.ndarray, t: float) -> None:
    """A red ball bouncing along the bottom, from right to left."""
    scale = SUPERSAMPLE
    x = (WIDTH - 20) * (1 - t) + 10
    bounce = abs(math.sin(t * math.pi * 3))
    y = HEIGHT - 14 - 60 * bounce
    rows, cols = draw.disk((y * scale, x * scale), 9 * scale, shape=canvas.shape[:2])
    canvas[rows, cols] = (0.85, 0.12, 0.10)


def draw_square(canvas: np.ndarray, t: float) -> None:
    """A turning yellow square gliding across the upper left."""
    scale = SUPERSAMPLE
    center_x = 30 + 90 * t
    center_y = 32 + 10 * math.sin(t * math.pi * 2)
    half = 12
    angle = t * math.pi * 1.5
    corners = [
        (
            center_y + half * math.sin(angle + k * math.pi / 2) * math.sqrt(2),
            center_x + half * math.cos(angle + k * math.pi / 2) * math.sqrt(2),
        )
        for k in range(4)
    ]
    rows, cols = draw.polygon(
        [c[0] * scale for c in corners], [c[1] * scale for c in corners], shape=canvas.shape[:2]
    )
    canvas[rows, cols] = (0.95, 0.80, 0.15)


def render_frame(photo: np.ndarray, index: int) -> np.ndarray:
    """One finished uint8 RGB frame of WIDTH x HEIGHT."""
    t = index / (FRAME_COUNT - 1)
    canvas = camera_view(photo, t)
    draw_square(canvas, t)
    draw_ball(canvas, t)
    small = transform.downscale_local_mean(canvas, (SUPERSAMPLE, SUPERSAMPLE, 1))
    return np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)


def main() -> None:
    """Render the clip and write it as h264 mp4."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="samples/pan.mp4")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args()
    photo = data.coffee().astype(np.float64) / 255.0
    with open_writer(args.out, WIDTH, HEIGHT, FPS, "h264", force=args.force, crf=CRF) as out:
        for index in range(FRAME_COUNT):
            out.write(render_frame(photo, index))
    print(f"wrote {args.out}: {WIDTH}x{HEIGHT}, {FRAME_COUNT} frames at {FPS} fps")


if __name__ == "__main__":
    main()
