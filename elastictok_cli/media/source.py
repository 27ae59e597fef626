"""Reading any video or image PyAV can open, as a stream of RGB frames."""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from typing import BinaryIO

import av
import av.error
import numpy as np

from elastictok_cli.errors import BadInputError
from elastictok_cli.media.stdin import open_stdin
from elastictok_cli.media.timing import with_repeats

# A still image has no frame rate; it becomes one frame shown for one second.
IMAGE_FPS = Fraction(1, 1)
# What FFmpeg itself assumes for a stream that states no usable rate.
FALLBACK_FPS = Fraction(25, 1)
# Frame rates outside this range are broken headers, not real videos.
MIN_FPS, MAX_FPS = Fraction(1, 1000), Fraction(1000, 1)
# Larger frames are refused before any of them is converted, to bound memory.
MAX_SIDE = 32768
STDIN_NAME = "<stdin>"


class MediaSource:
    """An opened video or image: its facts, and its frames streamed one at a time.

    `width`, `height`: the frame size; `fps`: the frame rate as an exact Fraction
    (IMAGE_FPS for a still image); `frame_count`: the count the file states, or None
    when it states none (count the frames instead); `is_image`: a still image, which
    yields one frame; `pix_fmt`, `codec_name`, `format_name`: what FFmpeg decodes.
    """

    def __init__(
        self,
        source: str | BinaryIO,
        name: str,
        forced_format: str | None = None,
        owns_source: bool = False,
    ):
        """Open `source` (a path or a readable binary object) and decode its first frame.

        With `owns_source`, the binary object (a spool of standard input) is closed
        together with the source.
        """
        self.name = name
        self._path = source if isinstance(source, str) else None
        self._owned = source if owns_source else None
        first = self._start(source, forced_format)
        self.width: int = first.width
        self.height: int = first.height
        self.pix_fmt: str = first.format.name
        self.format_name: str = self._container.format.name
        self.codec_name: str = self._stream.codec_context.name
        self.is_image: bool = _is_still_image_format(self.format_name)
        self.fps: Fraction = IMAGE_FPS if self.is_image else _stream_fps(self._stream)
        self.frame_count: int | None = 1 if self.is_image else _stream_frame_count(self._stream)
        self._used = False

    def _start(self, source: str | BinaryIO, forced_format: str | None) -> av.VideoFrame:
        """Open the demuxer and decode the first frame, closing everything if that fails."""
        self._container, self._stream, self._decoded = _open_container(
            source, self.name, forced_format
        )
        try:
            first = _next_frame(self._decoded, self.name, frames_read=0)
            if first is None:
                raise BadInputError(f"{self.name}: contains no video frames")
            if not (1 <= first.width <= MAX_SIDE and 1 <= first.height <= MAX_SIDE):
                raise BadInputError(
                    f"{self.name}: frame size {first.width}x{first.height} is out of range"
                )
        except BaseException:
            self.close()
            raise
        self._first: av.VideoFrame | None = first
        return first

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame as a uint8 RGB array (H, W, 3), never holding the whole video.

        Frames come in presentation order at the constant rate `fps`: a frame followed
        by a gap in the timestamps is repeated to fill it (the repeat may be the same
        array object, so do not modify yielded arrays). A path can be read again; a
        pipe only once.
        """
        if self._used:
            if self._path is None:
                raise RuntimeError(f"{self.name} is a stream and can be read only once")
            self._reopen()
        self._used = True
        first, self._first = self._first, None
        if self.is_image:
            yield self._to_rgb(first)
            return
        decoded = self._decoded_after(first)
        for frame, repeats in with_repeats(decoded, self.fps, self._stream.time_base):
            picture = self._to_rgb(frame)
            for _ in range(1 + repeats):
                yield picture

    def _decoded_after(self, first: av.VideoFrame) -> Iterator[av.VideoFrame]:
        """The already decoded first frame, then the rest as the decoder gives them."""
        yield first
        count = 1
        while (frame := _next_frame(self._decoded, self.name, frames_read=count)) is not None:
            yield frame
            count += 1

    def close(self) -> None:
        """Release the demuxer and decoder, and a stdin spool file if there is one."""
        self._container.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> MediaSource:
        """Use as a context manager that closes the source."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the source."""
        self.close()

    def __repr__(self) -> str:
        """Show the facts a user would ask for."""
        return (
            f"MediaSource({self.name!r}, {self.width}x{self.height}, fps={self.fps}, "
            f"frames={self.frame_count}, image={self.is_image}, pix_fmt={self.pix_fmt})"
        )

    def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """Convert a decoded frame to uint8 RGB, honouring its colour matrix and range.

        A stream whose size changes midway is scaled back to its first frame's size,
        as FFmpeg's own tools do, so every frame of a source has one shape.
        """
        return frame.to_ndarray(format="rgb24", width=self.width, height=self.height)

    def _reopen(self) -> None:
        """Open the path again, positioned on its first frame."""
        self.close()
        self._start(self._path, None)


def open_media(source: str | os.PathLike | BinaryIO) -> MediaSource:
    """Open a video or image file, `-` for standard input, or a readable binary object."""
    if hasattr(source, "read"):
        name = str(getattr(source, "name", None) or STDIN_NAME)
        if getattr(source, "seekable", lambda: False)():
            return MediaSource(source, name)
        readable, forced_format = open_stdin(source)
        return MediaSource(readable, name, forced_format, owns_source=True)
    path = os.fspath(source)
    if path == "-":
        readable, forced_format = open_stdin()
        return MediaSource(readable, STDIN_NAME, forced_format, owns_source=True)
    if not os.path.exists(path):
        raise BadInputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise BadInputError(f"{path}: is a folder, not a video or image")
    if os.path.getsize(path) == 0:
        raise BadInputError(f"{path}: is an empty file")
    return MediaSource(path, path)


def _open_container(source: str | BinaryIO, name: str, forced_format: str | None):
    """Open the demuxer and return it with its first video stream and a frame iterator."""
    try:
        container = av.open(source, "r", format=forced_format)
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise BadInputError(f"{name}: not a readable video or image ({_reason(err)})") from err
    if not container.streams.video:
        has_audio = bool(container.streams.audio)
        container.close()
        what = "only audio" if has_audio else "no video stream"
        raise BadInputError(f"{name}: has {what}, nothing to encode")
    stream = container.streams.video[0]
    # Frame threads decode several frames at once; harmless for the one-frame-at-a-time API.
    stream.thread_type = "AUTO"
    return container, stream, container.decode(stream)


def _next_frame(decoded: Iterator, name: str, frames_read: int) -> av.VideoFrame | None:
    """The next decoded frame, None at the end, BadInputError if the data is broken."""
    try:
        return next(decoded, None)
    except (av.error.FFmpegError, OSError, ValueError) as err:
        where = "at its start" if frames_read == 0 else f"after {frames_read} frames"
        raise BadInputError(f"{name}: corrupt or truncated {where} ({_reason(err)})") from err


def _is_still_image_format(format_name: str) -> bool:
    """Whether the demuxer is one of FFmpeg's single-image readers (png_pipe, image2, ...)."""
    first = format_name.split(",")[0]
    # yuv4mpegpipe has no underscore, so it is not caught by the suffix test.
    return first in ("image2", "image2pipe") or first.endswith("_pipe")


def _stream_fps(stream) -> Fraction:
    """The stream's frame rate as an exact fraction, or FFmpeg's fallback when it has none."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and MIN_FPS <= Fraction(rate) <= MAX_FPS:
            return Fraction(rate)
    return FALLBACK_FPS


def _stream_frame_count(stream) -> int | None:
    """The frame count the container states, or None when it does not state one."""
    if stream.frames:
        return int(stream.frames)
    # y4m and other raw streams count time in frames: their duration is the frame count.
    rate = _stream_fps(stream)
    if stream.duration and stream.time_base and Fraction(stream.time_base) == 1 / rate:
        return int(stream.duration)
    return None


def _reason(err: BaseException) -> str:
    """A short reason from a PyAV or OS error, without errno numbers or repeated paths."""
    return getattr(err, "strerror", None) or str(err) or type(err).__name__
