"""Timestamp gaps become repeated frames; reordered labels and broken clocks do not."""

from fractions import Fraction
from types import SimpleNamespace

import av
import numpy as np
from support.clips import moving_gradient

from elastictok_cli.media import open_media
from elastictok_cli.media.timing import with_repeats


def repeats_for(pts_list, fps=Fraction(25), time_base=Fraction(1, 25)):
    """Run with_repeats over stand-in frames carrying only timestamps."""
    frames = [SimpleNamespace(pts=pts) for pts in pts_list]
    return [(frame.pts, extra) for frame, extra in with_repeats(frames, fps, time_base)]


def test_contiguous_timestamps_need_no_repeats():
    assert repeats_for(range(10)) == [(pts, 0) for pts in range(10)]


def test_gaps_are_filled_by_repeating_the_frame_before_them():
    assert repeats_for([0, 11, 17, 18]) == [(0, 10), (11, 5), (17, 0), (18, 0)]


def test_out_of_order_labels_in_decoder_order_are_not_gaps():
    labels = [1, 2, 3, 5, 4, 6, 8, 7, 9, 11, 10, 12]
    assert repeats_for(labels) == [(pts, 0) for pts in labels]


def test_fine_time_base_with_jitter_rounds_to_slots():
    # Matroska keeps milliseconds: 24 fps lands on 0, 42, 83, 125, ... with jitter.
    millis = [round(index * 1000 / 24) for index in range(12)]
    result = repeats_for(millis, fps=Fraction(24), time_base=Fraction(1, 1000))
    assert [extra for _, extra in result] == [0] * 12


def test_missing_timestamps_and_broken_clocks_are_left_alone():
    assert repeats_for([0, 4, None, 9]) == [(0, 0), (4, 0), (None, 0), (9, 0)]
    one_hour_later = 25 * 3600
    assert repeats_for([0, one_hour_later]) == [(0, 0), (one_hour_later, 0)]
    assert repeats_for([0, 5], time_base=None) == [(0, 0), (5, 0)]


def test_variable_rate_file_reads_back_at_its_full_duration(tmp_path):
    path = tmp_path / "vfr.mkv"
    pictures = moving_gradient(4, 16, 16)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=10)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "bgr0"
        stream.codec_context.time_base = Fraction(1, 10)
        # A still moment: nothing new between slots 1 and 5.
        for picture, slot in zip(pictures, [0, 1, 5, 6], strict=True):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="bgr0")
            frame.pts = slot
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with open_media(path) as source:
        frames = list(source.frames())
    assert len(frames) == 7
    for index in (1, 2, 3, 4):
        np.testing.assert_array_equal(frames[index], pictures[1])
    np.testing.assert_array_equal(frames[5], pictures[2])
