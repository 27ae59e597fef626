"""Outputs appear whole or not at all; existing targets survive refusals and failures."""

import errno
import os
from fractions import Fraction

import pytest
from support.clips import moving_gradient

from elastictok_cli.errors import OutputError
from elastictok_cli.media import open_writer
from elastictok_cli.media.video_writer import VideoFileWriter

FRAMES = moving_gradient(6, 16, 24)
NAMES = ["out.mp4", "out.mkv", "out.y4m", "out.png", "frames/"]


def frames_then_interrupt(count: int):
    """Yield `count` frames, then behave like a user pressing Ctrl-C."""
    yield from FRAMES[:count]
    raise KeyboardInterrupt


def write_all(path, frames, **kwargs) -> None:
    """Write frames through open_writer, as the decode command will."""
    with open_writer(path, 24, 16, Fraction(24), **kwargs) as writer:
        for frame in frames:
            writer.write(frame)


@pytest.mark.parametrize("name", NAMES)
def test_interrupt_mid_write_leaves_nothing(tmp_path, name):
    with pytest.raises(KeyboardInterrupt):
        write_all(f"{tmp_path}/{name}", frames_then_interrupt(1 if name == "out.png" else 3))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["out.mp4", "out.mkv", "out.png"])
def test_interrupt_leaves_an_existing_target_untouched(tmp_path, name):
    target = tmp_path / name
    target.write_bytes(b"precious")
    with pytest.raises(KeyboardInterrupt):
        write_all(target, frames_then_interrupt(1), force=True)
    assert target.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == [name]


@pytest.mark.parametrize("name", ["out.mp4", "out.mkv", "out.y4m", "out.png"])
def test_existing_target_is_refused_without_force(tmp_path, name):
    target = tmp_path / name
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        write_all(target, FRAMES[:1])
    assert target.read_bytes() == b"precious"
    write_all(target, FRAMES[:1], force=True)
    assert target.read_bytes() != b"precious"
    assert os.listdir(tmp_path) == [name]


def test_folder_with_frames_is_refused_without_force(tmp_path):
    write_all(f"{tmp_path}/frames/", FRAMES[:2])
    with pytest.raises(OutputError, match="already holds"):
        write_all(f"{tmp_path}/frames/", FRAMES[:2])


@pytest.mark.parametrize("name", NAMES)
def test_folder_that_does_not_exist_is_an_output_error(tmp_path, name):
    with pytest.raises(OutputError, match="does not exist"):
        write_all(f"{tmp_path}/missing/{name}", FRAMES[:1])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", NAMES)
def test_file_in_place_of_the_folder_is_an_output_error(tmp_path, name):
    (tmp_path / "plain").write_text("a file, not a folder")
    with pytest.raises(OutputError, match="not a folder"):
        write_all(f"{tmp_path}/plain/{name}", FRAMES[:1])


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_folder_is_an_output_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            write_all(locked / "out.mkv", FRAMES[:1])
    finally:
        locked.chmod(0o700)


def test_disk_full_while_writing_is_an_output_error_and_cleans_up(tmp_path, monkeypatch):
    def disk_full(self, frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VideoFileWriter, "_write_frame", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        write_all(tmp_path / "out.mp4", FRAMES)
    assert os.listdir(tmp_path) == []


def test_writer_with_no_frames_writes_nothing(tmp_path):
    with pytest.raises(OutputError, match="no frames"):
        write_all(tmp_path / "out.mkv", [])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["out.mkv", "out.png", "frames/"])
def test_outputs_get_ordinary_permissions_not_private_temp_ones(tmp_path, name):
    umask = os.umask(0o022)
    try:
        write_all(f"{tmp_path}/{name}", FRAMES[:1])
    finally:
        os.umask(umask)
    target = tmp_path / name.rstrip("/")
    expected = 0o755 if target.is_dir() else 0o644
    assert target.stat().st_mode & 0o777 == expected
