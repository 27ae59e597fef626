"""Choosing the writer for an output path from its extension, or a folder for PNG frames."""

from __future__ import annotations

import os
from fractions import Fraction

from elastictok_cli.errors import UsageError
from elastictok_cli.media.encoders import CONTAINERS, choose_encoder
from elastictok_cli.media.frame_writer import FrameWriter
from elastictok_cli.media.image_writer import PngFileWriter, PngFolderWriter
from elastictok_cli.media.video_writer import VideoFileWriter

OUTPUT_KINDS = ", ".join([*CONTAINERS, ".png", "a folder ending in /"])


def is_folder_target(path: str) -> bool:
    """Whether a path names a folder of frames: a trailing slash or an existing folder."""
    return path.endswith(("/", os.sep)) or os.path.isdir(path)


def open_writer(
    path: str | os.PathLike,
    width: int,
    height: int,
    fps: Fraction,
    codec: str | None = None,
    *,
    force: bool = False,
    crf: int | None = None,
    frame_count: int | None = None,
) -> FrameWriter:
    """Open an atomic writer for `path`, its format chosen by extension.

    `.mp4`/`.mov` hold h264 (default) or h265, `.mkv` holds ffv1 (default, lossless
    RGB) or h264/h265, `.y4m` holds raw 4:4:4, `.png` holds one frame and a folder
    gets numbered PNG frames. `crf` sets h264/h265 quality. With `frame_count` known,
    a many-frame video aimed at one `.png` is refused before anything is written.
    h264/h265 use 4:2:0 for even sizes and 4:4:4 for odd ones, so the size stays
    exact (4:2:0 cannot code an odd size; some players lack 4:4:4 h264). Raises
    OutputError for an existing target without `force` or an unwritable folder, and
    UsageError for an unknown extension or a codec the container cannot hold.
    """
    path = os.fspath(path)
    if is_folder_target(path):
        _only_png(codec, "a folder of frames")
        return PngFolderWriter(path, width, height, fps, force=force)
    extension = os.path.splitext(path)[1].lower()
    if extension == ".png":
        _only_png(codec, "a .png file")
        if frame_count is not None and frame_count > 1:
            raise UsageError(
                f"{path} can hold one image but the video has {frame_count} frames; "
                "give a folder (ending in /) to get numbered PNG frames"
            )
        return PngFileWriter(path, width, height, fps, force=force)
    if extension not in CONTAINERS:
        raise UsageError(f"cannot tell the output format of {path}; use {OUTPUT_KINDS}")
    container, encoder = choose_encoder(extension, codec)
    return VideoFileWriter(path, width, height, fps, container, encoder, force=force, crf=crf)


def _only_png(codec: str | None, target: str) -> None:
    """Refuse a codec choice other than PNG for image targets."""
    if codec not in (None, "png"):
        raise UsageError(f"{target} is written as PNG; codec {codec} does not apply")
