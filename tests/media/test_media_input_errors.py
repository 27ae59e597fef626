"""Every kind of bad input becomes a BadInputError with one clear line, never a PyAV error."""

import io
from fractions import Fraction

import av
import numpy as np
import pytest

from elastictok_cli.errors import BadInputError
from elastictok_cli.media import open_media


def read_all(source) -> int:
    """Open and decode a whole input, returning its frame count."""
    with open_media(source) as media:
        return sum(1 for _ in media.frames())


def assert_bad_input(source, *words: str) -> None:
    """Opening or reading `source` fails with a one-line BadInputError naming `words`."""
    with pytest.raises(BadInputError) as caught:
        read_all(source)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_nonexistent_path(tmp_path):
    assert_bad_input(tmp_path / "missing.mp4", "missing.mp4", "no such file")


def test_folder_is_not_a_video(tmp_path):
    assert_bad_input(tmp_path, "folder")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert_bad_input(tmp_path / "empty.mp4", "empty")


def test_text_file_renamed_mp4(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are meeting notes, not a video\n" * 20)
    assert_bad_input(tmp_path / "notes.mp4", "notes.mp4", "not a readable video")


def test_truncated_mp4(make_video):
    path = make_video("cut.mp4")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_bad_input(path, "cut.mp4")


def test_truncated_mp4_with_index_first_fails_while_decoding(tmp_path, clip_24):
    path = tmp_path / "faststart.mp4"
    # movflags=faststart puts the index first, so the cut is found only when decoding.
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index, frame in enumerate(clip_24):
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts = index
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 4])
    assert_bad_input(path, "faststart.mp4", "corrupt or truncated")


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt"),
    [("zero.y4m", "rawvideo", "yuv420p"), ("zero.mkv", "ffv1", "yuv444p")],
)
def test_video_stream_without_frames(tmp_path, name, codec, pix_fmt):
    path = tmp_path / name
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        # Writes the header of a stream that then never gets a frame.
        container.start_encoding()
        container.mux(stream.encode(None))
    assert path.stat().st_size > 0
    assert_bad_input(path, name)


def test_audio_only_file(tmp_path):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000, layout="mono")
        for index in range(8):
            tone = np.sin(np.arange(1024, dtype=np.float32) * 0.05)[None, :]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate = 16000
            samples.pts = index * 1024
            container.mux(stream.encode(samples))
        container.mux(stream.encode(None))
    assert_bad_input(path, "voice.m4a", "audio")


class Pipe(io.BytesIO):
    """Bytes that cannot seek, like standard input fed by a pipe."""

    def seekable(self):
        """Like a pipe."""
        return False


def test_empty_standard_input():
    assert_bad_input(Pipe(b""), "empty")


def test_truncated_y4m_stream_has_no_frames(make_video):
    data = make_video("cut.y4m", codec="rawvideo", pix_fmt="yuv420p").read_bytes()
    header_and_part_of_a_frame = data[:200]
    assert_bad_input(Pipe(header_and_part_of_a_frame), "no video frames")


def test_frame_rate_survives_bad_input_checks(make_video):
    # A sanity check that the fixtures above are real, readable videos when intact.
    assert read_all(make_video("fine.mp4", fps=Fraction(12))) == 10
