"""Tiny videos and images written to disk, and a helper that runs a short training run."""

from pathlib import Path

import av
import numpy as np
import pytest


def write_video(path: Path, frames: int, height: int = 40, width: int = 48, seed: int = 0):
    """A lossless (ffv1) clip of moving smooth gradients."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    phase = rng.uniform(0, 6, 3)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        for t in range(frames):
            channels = [np.sin(xx / 7 + yy / 11 + t / 3 + p) for p in phase]
            rgb = ((np.stack(channels, -1) + 1) * 127.5).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_image(path: Path, height: int = 30, width: int = 26, seed: int = 0):
    """A PNG of a random smooth pattern."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([np.cos(xx / rng.uniform(2, 6) + c) for c in range(3)], -1)
    rgb = ((rgb + 1) * 127.5).astype(np.uint8)
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """Two clips, one clip too short for a sequence, three images, one unreadable file."""
    root = tmp_path_factory.mktemp("media")
    (root / "clips").mkdir()
    write_video(root / "clips" / "a.mkv", 30, seed=1)
    write_video(root / "clips" / "b.mkv", 20, seed=2)
    write_video(root / "clips" / "short.mkv", 3, seed=3)
    (root / "stills").mkdir()
    for i in range(3):
        write_image(root / "stills" / f"s{i}.png", seed=i)
    (root / "clips" / "broken.mp4").write_bytes(b"this is not a video")
    (root / "clips" / "notes.txt").write_text("not media")
    return root
