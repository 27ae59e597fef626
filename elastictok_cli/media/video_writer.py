"""Writing frames into a video file (mp4, mov, mkv, y4m) through PyAV."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from elastictok_cli.atomic import check_target, commit_file, discard, temp_file_beside
from elastictok_cli.media.encoders import ContainerSpec, EncoderSpec
from elastictok_cli.media.frame_writer import FrameWriter

# YUV is written in limited range with the container's matrix, and the stream is tagged
# with both, so players and our own reader convert back to the same RGB.
YUV_RANGE = "MPEG"
AVCOL_RANGE_MPEG = 1
# FFmpeg's AVColorSpace numbers for the matrices a ContainerSpec may name.
AVCOL_SPC = {"ITU709": 1, "ITU601": 6}


class VideoFileWriter(FrameWriter):
    """Encodes frames into a temporary video file beside the target, renamed when done.

    The stream's time base is exactly 1/fps and frame i has timestamp i, so a reader
    gets back the same rational frame rate and the same number of frames.
    """

    def __init__(
        self,
        path: str,
        width: int,
        height: int,
        fps: Fraction,
        container_spec: ContainerSpec,
        encoder: EncoderSpec,
        *,
        force: bool = False,
        crf: int | None = None,
    ):
        """Check the target, then open the encoder on a temporary file beside it."""
        super().__init__(path, width, height, fps)
        check_target(path, force)
        self.encoder = encoder
        self.pix_fmt = encoder.pix_fmt_for(width, height)
        self.yuv_matrix = container_spec.yuv_matrix
        self._temp = temp_file_beside(path)
        self._container = None
        self._guarded(self._open, container_spec, crf)

    def _open(self, container_spec: ContainerSpec, crf: int | None) -> None:
        """Open the muxer and the encoder with exact timing."""
        self._container = av.open(self._temp, "w", format=container_spec.muxer)
        stream = self._container.add_stream(self.encoder.av_codec, rate=self.fps)
        stream.width = self.width
        stream.height = self.height
        stream.pix_fmt = self.pix_fmt
        stream.time_base = 1 / self.fps
        stream.codec_context.time_base = 1 / self.fps
        if self._is_yuv:
            stream.codec_context.colorspace = AVCOL_SPC[self.yuv_matrix]
            stream.codec_context.color_range = AVCOL_RANGE_MPEG
        stream.options = self.encoder.options_for(crf)
        self._stream = stream

    @property
    def _is_yuv(self) -> bool:
        """Whether frames go through an RGB to YUV conversion."""
        return self.pix_fmt.startswith("yuv")

    def _write_frame(self, frame: np.ndarray) -> None:
        """Convert one RGB frame to the stream's pixel format and encode it."""
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        if self._is_yuv:
            picture = picture.reformat(
                format=self.pix_fmt, dst_colorspace=self.yuv_matrix, dst_color_range=YUV_RANGE
            )
        else:
            picture = picture.reformat(format=self.pix_fmt)
        picture.pts = self.frames_written
        picture.time_base = self._stream.codec_context.time_base
        self._container.mux(self._stream.encode(picture))

    def _finish(self) -> None:
        """Drain the encoder, close the file and rename it onto the target."""
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._container = None
        commit_file(self._temp, self.path)

    def _discard(self) -> None:
        """Close the file without caring how, then delete it."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away anyway
                pass
            self._container = None
        discard(self._temp)
