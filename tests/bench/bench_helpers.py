"""Shared by the bench tests: the codec tests' tiny model and clip makers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "codec"))
from codec_helpers import make_model_folder, moving_clip, write_clip  # noqa: E402

__all__ = ["make_model_folder", "moving_clip", "write_clip"]
