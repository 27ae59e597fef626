"""Media input and output through PyAV: video and image frames in, frames out."""

from elastictok_cli.media.blocks import iter_blocks
from elastictok_cli.media.encoders import CONTAINERS, ENCODERS
from elastictok_cli.media.frame_writer import FrameWriter
from elastictok_cli.media.geometry import FIT_MODES, center_crop, fit_frames, resize_frame
from elastictok_cli.media.output import open_writer
from elastictok_cli.media.source import IMAGE_FPS, MediaSource, open_media

__all__ = [
    "CONTAINERS",
    "ENCODERS",
    "FIT_MODES",
    "IMAGE_FPS",
    "FrameWriter",
    "MediaSource",
    "center_crop",
    "fit_frames",
    "iter_blocks",
    "open_media",
    "open_writer",
    "resize_frame",
]
