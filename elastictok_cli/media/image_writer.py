"""Writing frames as PNG images: one .png file, or a folder of numbered frames."""

from __future__ import annotations

import glob
import os
from fractions import Fraction

import av
import numpy as np

from elastictok_cli.atomic import (
    check_target,
    commit_file,
    discard,
    fsync_folder,
    parent_folder,
    temp_file_beside,
    temp_folder_in,
)
from elastictok_cli.errors import OutputError, UsageError
from elastictok_cli.media.frame_writer import FrameWriter

# Numbered from 1 like FFmpeg's image2 muxer, so `ffmpeg -i frame_%06d.png` reads them back.
FRAME_NAME = "frame_{:06d}.png"
FRAME_GLOB = "frame_*.png"


def encode_png(frame: np.ndarray) -> bytes:
    """Encode one uint8 RGB frame as the bytes of a PNG file (lossless)."""
    encoder = av.CodecContext.create("png", "w")
    encoder.width = frame.shape[1]
    encoder.height = frame.shape[0]
    encoder.pix_fmt = "rgb24"
    encoder.time_base = Fraction(1, 1)
    picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
    packets = encoder.encode(picture) + encoder.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def write_bytes(path: str, data: bytes) -> None:
    """Write a whole file in one go."""
    with open(path, "wb") as out:
        out.write(data)


class PngFileWriter(FrameWriter):
    """Writes a single frame to a .png file; a second frame is a usage error."""

    def __init__(self, path: str, width: int, height: int, fps: Fraction, *, force: bool = False):
        """Check the target and reserve a temporary file beside it."""
        super().__init__(path, width, height, fps)
        check_target(path, force)
        self._temp = temp_file_beside(path)

    def _write_frame(self, frame: np.ndarray) -> None:
        """Store the only frame, refusing a second one."""
        if self.frames_written:
            raise UsageError(
                f"{self.path} can hold one image but the video has more frames; "
                "give a folder (ending in /) to get numbered PNG frames"
            )
        write_bytes(self._temp, encode_png(frame))

    def _finish(self) -> None:
        """Rename the image onto the target."""
        commit_file(self._temp, self.path)

    def _discard(self) -> None:
        """Delete the temporary image."""
        discard(self._temp)


class PngFolderWriter(FrameWriter):
    """Writes frames as frame_000001.png, frame_000002.png, ... into a folder.

    Frames go to a hidden temporary folder first. A new target folder appears by one
    rename; into an existing folder the frames are moved one by one at the end, and
    with `force` frame files left over from an earlier, longer video are removed.
    Other files in the folder are never touched.
    """

    def __init__(self, path: str, width: int, height: int, fps: Fraction, *, force: bool = False):
        """Check the target folder and create the temporary folder."""
        path = path.rstrip("/" + os.sep) or path
        super().__init__(path, width, height, fps)
        check_target(path, force, folder=True)
        self._existed = os.path.isdir(path)
        old_frames = glob.glob(os.path.join(glob.escape(path), FRAME_GLOB))
        if old_frames and not force:
            raise OutputError(f"{path} already holds PNG frames; use --force to replace them")
        # Inside an existing target, so the final moves stay on one file system.
        host = path if self._existed else parent_folder(path)
        self._temp = temp_folder_in(host, os.path.basename(path))

    def _write_frame(self, frame: np.ndarray) -> None:
        """Store one numbered PNG in the temporary folder."""
        name = FRAME_NAME.format(self.frames_written + 1)
        write_bytes(os.path.join(self._temp, name), encode_png(frame))

    def _finish(self) -> None:
        """Move the frames into the target folder."""
        if not self._existed:
            commit_file(self._temp, self.path)
            return
        new_names = sorted(os.listdir(self._temp))
        for name in new_names:
            target = os.path.join(self.path, name)
            commit_file(os.path.join(self._temp, name), target, sync_folder=False)
        kept = set(new_names)
        for stale in glob.glob(os.path.join(glob.escape(self.path), FRAME_GLOB)):
            if os.path.basename(stale) not in kept:
                os.unlink(stale)
        os.rmdir(self._temp)
        fsync_folder(self.path)  # once for every frame moved in

    def _discard(self) -> None:
        """Delete the temporary folder and every frame in it."""
        discard(self._temp)
