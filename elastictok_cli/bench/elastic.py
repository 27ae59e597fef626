"""ElasticTok points through the codec library: a real .etok file per setting, decoded back.

Per tile-block kept counts and distortions are read back from the file itself, so the
token curves describe exactly what was stored.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from elastictok_cli.bench.frames import Clip, ClipSource
from elastictok_cli.bench.metrics import QualityMeter
from elastictok_cli.bench.points import ELASTIC, ELASTIC_V1, FIXED, RDO, Point
from elastictok_cli.codec.decoder import decoded_frames
from elastictok_cli.codec.encoder import encode
from elastictok_cli.codec.search import DEFAULT_STRATEGY
from elastictok_cli.codec.settings import EncodeSettings
from elastictok_cli.container import ContainerReader
from elastictok_cli.model.registry import LoadedModel

DEFAULT_MSE = (0.001, 0.002, 0.003, 0.007, 0.015)  # [-1, 1] scale: 36 dB down to 24.3 dB
FIXED_STEPS = 8  # points of the default fixed-k sweep


def default_tokens(min_tokens: int, max_tokens: int, steps: int = FIXED_STEPS) -> list[int]:
    """Log-spaced k from the model's minimum to its maximum, both included."""
    spaced = np.geomspace(min_tokens, max_tokens, steps)
    return sorted({int(round(k)) for k in spaced} | {min_tokens, max_tokens})


def read_tokens(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(kept k, recorded distortion) per block and tile, both (blocks, tiles), from a file."""
    with ContainerReader(path) as reader:
        records = list(reader)
    keep = np.array([r.token_counts for r in records], np.int64)
    distortion = np.array([r.distortion for r in records], np.float64)
    return keep, distortion


def elastic_point(
    clip: Clip,
    loaded: LoadedModel,
    folder: str,
    *,
    mse: float | None = None,
    tokens: int | None = None,
    search: str = DEFAULT_STRATEGY,
    rescue: bool = True,
    lam: float | None = None,
    v1: bool = False,
) -> Point:
    """Encode at an MSE threshold (the search), a fixed k or a lambda, decode, measure.

    `v1` encodes a threshold as format 1 files were: bit-packed ids, no skipped tiles.
    """
    if sum(x is not None for x in (mse, tokens, lam)) != 1:
        raise ValueError("give exactly one of mse, tokens and lam")
    if lam is not None:
        settings = EncodeSettings(lam, "lambda", lam, lam=lam)
        curve, setting, value, name = RDO, "lambda", lam, f"rdo-lambda{lam:g}.etok"
    elif tokens is not None:
        settings = EncodeSettings(metric="tokens", target=tokens, tokens=tokens, search=search)
        curve, setting, value, name = FIXED, "tokens", tokens, f"fixed-k{tokens}.etok"
    else:
        if v1:
            settings = EncodeSettings(
                mse, "mse", mse, search=search, rescue=rescue, skip=False, coding="bitpack"
            )
            curve, setting, value, name = ELASTIC_V1, "mse", mse, f"elastic-v1-mse{mse:g}.etok"
        else:
            settings = EncodeSettings(mse, "mse", mse, search=search, rescue=rescue)
            curve, setting, value, name = ELASTIC, "mse", mse, f"elastic-mse{mse:g}.etok"
    path = os.path.join(folder, name)
    start = time.perf_counter()
    encode(ClipSource(clip), path, loaded, settings, force=True)
    encode_seconds = time.perf_counter() - start
    size = os.path.getsize(path)
    keep, distortion = read_tokens(path)
    meter = QualityMeter(clip.frames)
    start = time.perf_counter()
    with ContainerReader(path) as reader:
        meter.add_all(decoded_frames(reader, loaded))
    decode_seconds = time.perf_counter() - start - meter.seconds
    psnr, ssim = meter.result()
    return Point(
        curve,
        setting,
        value,
        name,
        size,
        clip.pixels,
        psnr,
        ssim,
        encode_seconds,
        decode_seconds,
        keep=keep,
        distortion=distortion,
        max_tokens=loaded.config.max_tokens,
        min_tokens=loaded.config.min_tokens,
    )


def warm_up(clip: Clip, loaded: LoadedModel, mse: float, search: str, rescue: bool) -> None:
    """Compile the model's passes on the first block, so point times leave most of it out."""
    frames = clip.frames[: loaded.config.frames_per_block]
    first = Clip(clip.name, frames, clip.fps, clip.source_size)
    with tempfile.TemporaryDirectory(prefix="elastictok-warm-") as folder:
        for kwargs in ({"tokens": loaded.config.max_tokens}, {"mse": mse}):
            elastic_point(first, loaded, folder, search=search, rescue=rescue, **kwargs)
