"""Reading videos and images of many kinds, from paths, file objects and standard input."""

import io
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest
from support.clips import moving_gradient, psnr

from elastictok_cli.media import IMAGE_FPS, open_media


@pytest.mark.parametrize(
    ("name", "muxer", "codec", "pix_fmt"),
    [
        ("clip.mp4", None, "libx264", "yuv420p"),
        ("clip.mkv", None, "ffv1", "yuv444p"),
        ("clip.avi", None, "mpeg4", "yuv420p"),
        ("clip.mov", None, "libx264", "yuv420p"),
        ("clip.webm", None, "libvpx-vp9", "yuv420p"),
        ("clip.y4m", None, "rawvideo", "yuv420p"),
    ],
)
def test_reads_facts_and_every_frame(make_video, clip_24, name, muxer, codec, pix_fmt):
    path = make_video(name, muxer=muxer, codec=codec, pix_fmt=pix_fmt)
    with open_media(path) as source:
        assert (source.width, source.height) == (64, 48)
        assert source.fps == Fraction(24)
        assert not source.is_image
        assert source.pix_fmt == pix_fmt
        assert source.frame_count in (None, 10)
        frames = list(source.frames())
    assert len(frames) == 10
    assert all(frame.shape == (48, 64, 3) and frame.dtype == np.uint8 for frame in frames)
    assert psnr(frames, clip_24) > 25


def test_ntsc_rate_is_an_exact_fraction(make_video):
    path = make_video("ntsc.mp4", fps=Fraction(30000, 1001))
    with open_media(path) as source:
        assert source.fps == Fraction(30000, 1001)
        assert source.frame_count == 10


def test_frames_are_streamed_one_at_a_time(make_video):
    with open_media(make_video("stream.mkv", codec="ffv1", pix_fmt="yuv444p")) as source:
        frames = source.frames()
        first = next(frames)
        second = next(frames)
        assert first.shape == second.shape == (48, 64, 3)
        assert not np.array_equal(first, second)


def test_a_path_can_be_read_twice(make_video):
    with open_media(make_video("twice.mkv", codec="ffv1", pix_fmt="yuv444p")) as source:
        first_pass = list(source.frames())
        second_pass = list(source.frames())
    assert len(first_pass) == len(second_pass) == 10
    np.testing.assert_array_equal(first_pass[3], second_pass[3])


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [("still.png", "png", "rgb24"), ("still.jpg", "mjpeg", "yuvj444p")],
)
def test_still_image_is_one_frame_at_the_image_rate(tmp_path, name, codec, pix_fmt):
    image = moving_gradient(1, 45, 67)[0]
    picture = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=pix_fmt)
    encoder = av.CodecContext.create(codec, "w")
    encoder.width, encoder.height, encoder.pix_fmt = 67, 45, pix_fmt
    encoder.time_base = Fraction(1, 25)
    (tmp_path / name).write_bytes(b"".join(bytes(p) for p in encoder.encode(picture)))
    with open_media(tmp_path / name) as source:
        assert source.is_image
        assert source.fps == IMAGE_FPS
        assert source.frame_count == 1
        assert (source.width, source.height) == (67, 45)
        frames = list(source.frames())
    assert len(frames) == 1
    assert psnr(frames, [image]) > 30


class PipeLike(io.RawIOBase):
    """A readable object that, like a pipe, cannot seek."""

    def __init__(self, data: bytes):
        """Serve `data` in small pieces, as a pipe does."""
        self._data = io.BytesIO(data)

    def readable(self):
        """Readable."""
        return True

    def readinto(self, buffer):
        """Hand out at most 7 bytes per call, to exercise short reads."""
        chunk = self._data.read(min(len(buffer), 7))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [
        ("pipe.y4m", "rawvideo", "yuv420p"),
        ("pipe.mp4", "libx264", "yuv420p"),
        ("pipe.mkv", "ffv1", "yuv444p"),
    ],
)
def test_reads_a_non_seekable_stream(make_video, clip_24, name, codec, pix_fmt):
    data = make_video(name, codec=codec, pix_fmt=pix_fmt).read_bytes()
    with open_media(PipeLike(data)) as source:
        assert (source.width, source.height, source.fps) == (64, 48, Fraction(24))
        frames = list(source.frames())
    assert len(frames) == 10
    assert psnr(frames, clip_24) > 30
    with pytest.raises(RuntimeError):
        next(source.frames())


def test_reads_y4m_from_standard_input(make_video):
    path = make_video("piped.y4m", codec="rawvideo", pix_fmt="yuv420p", fps=Fraction(25, 2))
    script = (
        "from elastictok_cli.media import open_media\n"
        "s = open_media('-')\n"
        "print(s.width, s.height, s.fps, sum(1 for _ in s.frames()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], input=path.read_bytes(), capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["64", "48", "25/2", "10"]
