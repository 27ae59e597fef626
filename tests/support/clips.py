"""Small test clips made with plain PyAV, independent of the code under test."""

from fractions import Fraction

import av
import numpy as np


def moving_gradient(frames: int, height: int, width: int) -> list[np.ndarray]:
    """Smooth colour ramps that drift each frame: like real footage, easy on lossy codecs."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    clip = []
    for index in range(frames):
        red = 128 + 100 * np.sin((xx + 2 * index) / 9.0)
        green = 128 + 100 * np.cos((yy - index) / 7.0)
        blue = 60 + 2.0 * (xx + yy) + 3 * index
        clip.append(np.clip(np.stack([red, green, blue], -1), 0, 255).astype(np.uint8))
    return clip


def moving_clip(frames: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    """The drifting ramps plus a fixed texture, so a model's tokens have detail to carry."""
    texture = np.random.default_rng(seed).uniform(-20, 20, (height, width, 1))
    return [
        np.clip(frame + texture, 0, 255).astype(np.uint8)
        for frame in moving_gradient(frames, height, width)
    ]


def psnr(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    """Peak signal-to-noise ratio over two equally long frame lists, in dB."""
    error = np.mean([(a.astype(np.float64) - b) ** 2 for a, b in zip(first, second, strict=True)])
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))


def write_with_pyav(path, frames, fps=Fraction(24), codec="libx264", pix_fmt="yuv420p", muxer=None):
    """Encode RGB frames into a file with plain PyAV calls; return the path."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for index, frame in enumerate(frames):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format=pix_fmt)
            picture.pts = index
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return path


def read_frames(path) -> list[np.ndarray]:
    """Every frame of a video file as RGB arrays, with plain PyAV."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
