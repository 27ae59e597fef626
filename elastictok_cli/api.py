"""The Python API: load a model, encode frames to tokens, decode tokens to frames.

    from elastictok_cli import api

    model = api.load_model()                       # the shipped model, or a name/folder
    tokens = api.encode(frames, model, mse=0.003)  # (T, H, W, 3) uint8, a path or an iterator
    tokens.counts, tokens.ids                      # per block and tile
    for frame in api.decode(tokens, model): ...    # streaming, one frame at a time

`read`, `inspect` and `Tokens.save` need no model and no JAX. The command line is a thin
caller of these functions; docs/API.md documents them with examples the tests run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

import numpy as np

from elastictok_cli import xla_defaults
from elastictok_cli.codec.settings import EncodeSettings
from elastictok_cli.codec.summary import EncodeStats
from elastictok_cli.container import ContainerReader, Header
from elastictok_cli.container.report import describe
from elastictok_cli.container.tokens import Tokens
from elastictok_cli.metrics import mse_for_psnr, psnr
from elastictok_cli.model.registry import LoadedModel, list_models, resolve_model

__all__ = [
    "EncodeStats",
    "Header",
    "LoadedModel",
    "Tokens",
    "decode",
    "decode_to_file",
    "encode_settings",
    "encode",
    "encode_to_file",
    "inspect",
    "list_models",
    "load_model",
    "mse_for_psnr",
    "psnr",
    "read",
    "read_header",
    "stale_parts",
    "repair",
    "resolve_model",
    "use_cpu_defaults",
]

Frames = np.ndarray | Iterable[np.ndarray] | str | os.PathLike


def use_cpu_defaults(training: bool = False) -> str:
    """Apply the XLA CPU flags the command line runs with (training's only); before JAX starts."""
    return xla_defaults.apply_for("train" if training else None)


def load_model(name_or_path: str | os.PathLike | None = None) -> LoadedModel:
    """A model by name (default: the shipped one) or folder, its weights checked."""
    from elastictok_cli.model import registry

    return registry.load(name_or_path)


def _open_source(frames: Frames, fps):
    """A media file (path, or '-' for standard input) or frames held by the caller."""
    if isinstance(frames, (str, os.PathLike)):
        from elastictok_cli.media import open_media

        return open_media(frames)
    from elastictok_cli.media.arrays import DEFAULT_FPS, ArraySource

    return ArraySource(frames, DEFAULT_FPS if fps is None else fps)


def encode_settings(
    mse: float | None = None, psnr: float | None = None, tokens: int | None = None, **options
) -> EncodeSettings:
    """How to encode: at most one quality target, plus search, fit, rescue, optimize ...

    `mse` is the per-tile, per-block MSE on the [-1, 1] scale (default 0.003), `psnr` a
    target in dB, `tokens` a fixed count per tile and block (no search).
    """
    return EncodeSettings.for_target(mse, psnr, tokens, **options)


def _model(model: LoadedModel | str | os.PathLike | None) -> LoadedModel:
    """A loaded model, loading it by name or folder when given as one."""
    return model if isinstance(model, LoadedModel) else load_model(model)


def encode(
    frames: Frames,
    model: LoadedModel | None = None,
    *,
    mse: float | None = None,
    psnr: float | None = None,
    tokens: int | None = None,
    fps: float | Fraction | None = None,
    on_block: Callable[[EncodeStats], None] | None = None,
    **options,
) -> Tokens:
    """Encode frames to tokens in memory: at most one of `mse`, `psnr` (dB) or `tokens`.

    `frames`: an array (T, H, W, 3) or (H, W, 3) of uint8 RGB, an iterable of such
    frames, or a path of any video or image. `fps` applies to arrays (default 25).
    `options`: preset, search, fit, rescue, rescue_within, optimize, and the rate modes lam, size
    (bytes, or text such as "2M"), bitrate (bits per second, or "300k") and passes (as the
    CLI's flags).
    """
    from elastictok_cli.codec import encoder

    model = _model(model)
    settings = encode_settings(mse, psnr, tokens, **options)
    with _open_source(frames, fps) as source:
        run = encoder.start(source, model, settings, on_block=on_block)
        blocks = list(run.blocks)
    return Tokens(run.final_header(), blocks)


def encode_to_file(
    frames: Frames,
    output: str | os.PathLike,
    model: LoadedModel | str | os.PathLike | None = None,
    *,
    settings: EncodeSettings | None = None,
    fps: float | Fraction | None = None,
    force: bool = False,
    on_start: Callable[[int | None], None] | None = None,
    on_block: Callable[[EncodeStats], None] | None = None,
    **targets,
) -> dict:
    """Encode frames straight into an .etok file, streaming (constant memory).

    `settings` from `encode_settings`, or its keyword arguments here (mse=, tokens=, ...).
    `on_start` gets the frame count the input states (None if it states none). Returns
    the summary `elastictok encode --json` prints.
    """
    from elastictok_cli.atomic import check_target
    from elastictok_cli.codec import encoder

    settings = settings or encode_settings(**targets)
    output = os.fspath(output)
    with _open_source(frames, fps) as source:
        check_target(output, force)
        model = _model(model)
        if on_start:
            on_start(source.frame_count)
        stats = encoder.encode(source, output, model, settings, force=force, on_block=on_block)
    return {
        "output": output,
        "model": {"name": model.name, "sha256": model.sha256},
        "target": {"metric": settings.metric, "value": settings.target, "mse": settings.threshold},
        "search": "fixed" if settings.tokens is not None else settings.search,
        **({"search": "rdo"} if settings.rate_mode else {}),
        "preset": None if settings.tokens is not None else settings.preset,
        "optimize_steps": settings.optimize,
        **stats.as_dict(),
    }


def decode(
    source: Tokens | str | os.PathLike,
    model: LoadedModel | None = None,
    *,
    conceal: bool = False,
) -> Iterator[np.ndarray]:
    """Frames (H, W, 3) uint8 of tokens or an .etok file, one at a time, in order.

    The model defaults to the one the tokens were encoded with, found by name; it must
    be that model (same weights). A file is read block by block as frames are taken.
    `conceal`: a damaged or missing block repeats each tile's last good frame instead
    of stopping the decode.
    """
    from elastictok_cli.codec import decoder
    from elastictok_cli.container.salvage import ConcealedBlocks

    if isinstance(source, Tokens):
        model = model or load_model(source.header.model.name)
        yield from decoder.decoded_frames(source, model)
        return
    with (ConcealedBlocks if conceal else ContainerReader)(source) as reader:
        model = model or load_model(reader.header.model.name)
        yield from decoder.decoded_frames(reader, model)


def decode_to_file(
    source: str | os.PathLike,
    output: str | os.PathLike,
    model: LoadedModel | str | os.PathLike | None = None,
    *,
    codec: str | None = None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_frame: Callable[[int, float], None] | None = None,
    conceal: bool = False,
) -> dict:
    """Decode an .etok file to a video, an image or a folder of PNGs; returns its facts.

    `on_frame(done, seconds)` follows the progress; the model defaults to the file's own.
    `conceal`: damaged or missing blocks repeat each tile's last good frame, keeping the
    frame count and timing; the facts list them as `concealed`.
    """
    from elastictok_cli.atomic import check_target
    from elastictok_cli.codec import decoder
    from elastictok_cli.container.salvage import ConcealedBlocks
    from elastictok_cli.media.output import is_folder_target

    output = os.fspath(output)
    with (ConcealedBlocks if conceal else ContainerReader)(source) as reader:
        check_target(output, force, folder=is_folder_target(output))
        model = _model(model or reader.header.model.name)
        facts = decoder.decode(reader, output, model, force=force, codec=codec, on_frame=on_frame)
    facts["model"] = {"name": model.name, "sha256": model.sha256}
    if conceal:
        facts["concealed"] = list(reader.concealed)
    return facts


def stale_parts(target: str | os.PathLike) -> list[str]:
    """Leftover temp files of killed encodes of `target`, which `repair` can recover."""
    from elastictok_cli.container.atomic import stale_parts as leftovers

    return leftovers(target)


def read(path: str | os.PathLike) -> Tokens:
    """Every block of an .etok file in memory, checked; needs no model and no JAX."""
    return Tokens.read(path)


def read_header(path: str | os.PathLike) -> Header:
    """The typed header of an .etok file (its index is checked too; blocks are not read)."""
    with ContainerReader(path) as reader:
        return reader.header


def inspect(path: str | os.PathLike) -> dict:
    """What `elastictok inspect --json` prints: header, per-block tokens and totals."""
    with ContainerReader(path) as reader:
        return describe(reader)


def repair(path: str | os.PathLike, output: str | os.PathLike, force: bool = False) -> dict:
    """Write every intact block of a damaged, truncated or unfinished (.part) file to `output`.

    Blocks after a lost one are kept, renumbered; the header's frame and block counts
    are corrected and the repair recorded in it. Returns what `elastictok repair --json`
    prints (`kept`, `lost` ...); needs no model and no JAX.
    """
    from elastictok_cli.container.salvage import repair_file

    return repair_file(path, output, force=force)
