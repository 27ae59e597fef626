"""Real footage from Debian packages reads with the right facts (heavy: needs the footage).

Fetch it with `benchmarks/fetch_footage.sh DIR`, then run
`ELASTICTOK_FOOTAGE=DIR python -m pytest -m heavy tests/media`.
"""

import os
from fractions import Fraction
from pathlib import Path

import pytest

from elastictok_cli.media import open_media

FOOTAGE = os.environ.get("ELASTICTOK_FOOTAGE")
OPENCV_DATA = "extract/usr/share/doc/opencv-doc/examples/data"

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.skipif(not FOOTAGE, reason="set ELASTICTOK_FOOTAGE to a fetch_footage.sh folder"),
]


@pytest.mark.parametrize(
    ("name", "size", "fps", "frames"),
    [
        # tree.avi stores 68 pictures and 376 empty "repeat" chunks: 444 frames shown.
        ("tree.avi", (320, 240), Fraction(1000000, 66667), 444),
        # Its B-frames carry out-of-order labels; no frame may be invented or lost.
        ("Megamind.avi", (720, 528), Fraction(2997, 125), 270),
        ("vtest.avi", (768, 576), Fraction(10), 795),
    ],
)
def test_opencv_clips_read_with_their_stated_facts(name, size, fps, frames):
    with open_media(Path(FOOTAGE) / OPENCV_DATA / name) as source:
        assert (source.width, source.height) == size
        assert source.fps == fps
        assert source.frame_count == frames
        assert sum(1 for _ in source.frames()) == frames


def test_every_mecavideo_clip_yields_the_frames_it_states():
    folder = Path(FOOTAGE) / "extract/usr/share/pymecavideo/data/video"
    clips = sorted(folder.iterdir())
    assert clips
    for clip in clips:
        with open_media(clip) as source:
            assert sum(1 for _ in source.frames()) == source.frame_count, clip.name
