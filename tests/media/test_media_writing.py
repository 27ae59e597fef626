"""Writers keep size, frame rate and frame count exactly, and lossless formats keep pixels."""

from fractions import Fraction

import numpy as np
import pytest
from support.clips import moving_gradient, psnr

from elastictok_cli.errors import UsageError
from elastictok_cli.media import open_media, open_writer


def write_clip(path, frames, fps=Fraction(24), codec=None, **kwargs) -> None:
    """Write frames through open_writer."""
    height, width = frames[0].shape[:2]
    with open_writer(path, width, height, fps, codec, **kwargs) as writer:
        for frame in frames:
            writer.write(frame)
    assert writer.frames_written == len(frames)


def read_clip(path):
    """Read back (source facts, frames)."""
    with open_media(path) as source:
        return source, list(source.frames())


@pytest.mark.parametrize(("height", "width"), [(48, 64), (45, 67), (1, 1), (33, 2)])
def test_mkv_ffv1_round_trip_is_exact(tmp_path, height, width):
    frames = moving_gradient(5, height, width)
    write_clip(tmp_path / "exact.mkv", frames, fps=Fraction(30000, 1001))
    source, back = read_clip(tmp_path / "exact.mkv")
    assert (source.width, source.height, source.fps) == (width, height, Fraction(30000, 1001))
    assert len(back) == 5
    for original, decoded in zip(frames, back, strict=True):
        np.testing.assert_array_equal(decoded, original)


@pytest.mark.parametrize(
    ("name", "codec", "height", "width", "pix_fmt", "min_psnr"),
    [
        ("even.mp4", None, 48, 64, "yuv420p", 34),
        ("odd.mp4", None, 45, 67, "yuv444p", 38),
        ("odd.mov", "h264", 45, 67, "yuv444p", 38),
        ("odd.mkv", "h265", 45, 67, "yuv444p", 36),
        ("odd.y4m", None, 45, 67, "yuv444p", 45),
    ],
)
def test_lossy_round_trip_keeps_size_and_quality(
    tmp_path, name, codec, height, width, pix_fmt, min_psnr
):
    frames = moving_gradient(9, height, width)
    write_clip(tmp_path / name, frames, codec=codec)
    source, back = read_clip(tmp_path / name)
    assert (source.width, source.height, source.pix_fmt) == (width, height, pix_fmt)
    assert len(back) == 9
    assert psnr(back, frames) > min_psnr


@pytest.mark.parametrize(
    "fps",
    [
        Fraction(24),
        Fraction(30000, 1001),
        Fraction(24000, 1001),
        Fraction(25, 2),
        Fraction(60),
        Fraction(1),
    ],
)
@pytest.mark.parametrize("name", ["rate.mp4", "rate.mkv", "rate.y4m"])
def test_frame_rate_and_count_are_exact(tmp_path, name, fps):
    frames = moving_gradient(7, 16, 16)
    write_clip(tmp_path / name, frames, fps=fps)
    source, back = read_clip(tmp_path / name)
    assert source.fps == fps
    assert len(back) == 7
    assert source.frame_count in (None, 7)


def test_crf_trades_size_for_quality(tmp_path):
    frames = moving_gradient(6, 48, 64)
    write_clip(tmp_path / "fine.mp4", frames, crf=10)
    write_clip(tmp_path / "coarse.mp4", frames, crf=40)
    assert (tmp_path / "coarse.mp4").stat().st_size < (tmp_path / "fine.mp4").stat().st_size
    assert psnr(read_clip(tmp_path / "fine.mp4")[1], frames) > psnr(
        read_clip(tmp_path / "coarse.mp4")[1], frames
    )


def test_single_png_is_exact(tmp_path):
    image = moving_gradient(1, 45, 67)[0]
    write_clip(tmp_path / "still.png", [image])
    source, back = read_clip(tmp_path / "still.png")
    assert source.is_image
    np.testing.assert_array_equal(back[0], image)


def test_png_refuses_a_second_frame_and_leaves_nothing(tmp_path):
    frames = moving_gradient(2, 8, 8)
    with pytest.raises(UsageError, match="folder"):
        write_clip(tmp_path / "many.png", frames)
    assert list(tmp_path.iterdir()) == []


def test_png_refuses_a_known_many_frame_video_up_front(tmp_path):
    with pytest.raises(UsageError, match="3 frames"):
        open_writer(tmp_path / "many.png", 8, 8, Fraction(24), frame_count=3)
    assert list(tmp_path.iterdir()) == []


def test_folder_gets_numbered_exact_png_frames(tmp_path):
    frames = moving_gradient(3, 45, 67)
    write_clip(f"{tmp_path}/frames/", frames)
    names = sorted(path.name for path in (tmp_path / "frames").iterdir())
    assert names == ["frame_000001.png", "frame_000002.png", "frame_000003.png"]
    for name, original in zip(names, frames, strict=True):
        np.testing.assert_array_equal(read_clip(tmp_path / "frames" / name)[1][0], original)
    assert [path.name for path in tmp_path.iterdir()] == ["frames"]


def test_existing_folder_keeps_other_files_and_loses_stale_frames(tmp_path):
    folder = tmp_path / "out"
    write_clip(f"{folder}/", moving_gradient(4, 8, 8))
    (folder / "notes.txt").write_text("keep me")
    write_clip(folder, moving_gradient(2, 8, 8), force=True)
    assert sorted(path.name for path in folder.iterdir()) == [
        "frame_000001.png",
        "frame_000002.png",
        "notes.txt",
    ]


@pytest.mark.parametrize(
    ("name", "codec", "message"),
    [
        ("clip.avi", None, "cannot tell"),
        ("clip.mp4", "ffv1", "cannot hold"),
        ("clip.png", "h264", "PNG"),
        ("clip", None, "cannot tell"),
    ],
)
def test_unusable_format_choices_are_usage_errors(tmp_path, name, codec, message):
    with pytest.raises(UsageError, match=message):
        open_writer(tmp_path / name, 8, 8, Fraction(24), codec)
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_shape_is_a_programming_error(tmp_path):
    with open_writer(tmp_path / "x.mkv", 8, 8, Fraction(24)) as writer:
        with pytest.raises(ValueError):
            writer.write(np.zeros((8, 9, 3), np.uint8))
        writer.write(np.zeros((8, 8, 3), np.uint8))
    assert read_clip(tmp_path / "x.mkv")[0].width == 8
