"""A tiny model folder and small clips made with plain PyAV, for the codec tests."""

import dataclasses
from fractions import Fraction

import av
import numpy as np

from elastictok_cli.model.config import PRESETS

# 16x16 tiles, 4 frames, 4x4 patches: 64 token slots, enough for searches to matter.
TINY = dataclasses.replace(
    PRESETS["test"], name="tiny-codec", patch=(1, 4, 4), min_tokens=4, context_blocks=2
)


def make_model_folder(folder, seed=0, config=TINY):
    """Save a randomly initialised model in the shipped format; return its folder."""
    from flax import nnx

    from elastictok_cli.model.elastictok import ElasticTok
    from elastictok_cli.model.weights import save_model

    model = ElasticTok(config, rngs=nnx.Rngs(seed))
    save_model(model, config, folder, f"# {config.name}\nRandom weights for tests.\n")
    return folder


def moving_clip(frames, height, width, seed=0):
    """Smooth drifting colour ramps with a little texture."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    texture = rng.uniform(-20, 20, (height, width, 1))
    clip = []
    for i in range(frames):
        red = 128 + 100 * np.sin((xx + 2 * i) / 9.0)
        green = 128 + 100 * np.cos((yy - i) / 7.0)
        blue = 60 + 2.0 * (xx + yy) + 3 * i
        frame = np.stack([red, green, blue], -1) + texture
        clip.append(np.clip(frame, 0, 255).astype(np.uint8))
    return clip


def write_clip(path, frames, fps=Fraction(24), codec="libx264", pix_fmt="yuv420p", muxer=None):
    """Encode RGB frames into a file with plain PyAV."""
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


def read_frames(path):
    """Every frame of a video file as RGB arrays, with plain PyAV."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
