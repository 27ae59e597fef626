"""x264, x265 and SVT-AV1 through PyAV: a real muxed file per CRF, decoded back and measured.

Every codec sees exactly the bench's RGB frames, converted to yuv420p (BT.709 matrix,
limited range, the stream tagged so) and back with the same matrix, so the conversion
costs every codec alike. 4:2:0 needs even sides: an odd width or height is padded by
repeating the last column or row, and the padding is cropped off after decoding (its
bits still count, as they would for a user).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import av
import av.codec.codec
import numpy as np

from elastictok_cli.bench.frames import Clip
from elastictok_cli.bench.metrics import QualityMeter
from elastictok_cli.bench.points import Point

PIX_FMT = "yuv420p"
YUV_MATRIX = "ITU709"
YUV_RANGE = "MPEG"
AVCOL_SPC_BT709 = 1
AVCOL_RANGE_MPEG = 1
MUXER = "mp4"
# libx265 in this build corrupts the heap on frames under 64 pixels on a side (seen as
# "corrupted size vs. prev_size" aborts); such clips skip x265 rather than crash the run.
X265_MIN_SIDE = 64


@dataclass(frozen=True)
class ClassicCodec:
    """One classic encoder: its PyAV name, fixed options and default CRF sweep."""

    name: str
    encoder: str
    decoders: tuple[str, ...]  # software decoders FFmpeg may pick for the stream
    crfs: tuple[int, ...]
    options: dict[str, str] = field(default_factory=dict)
    min_side: int = 1


CODECS: dict[str, ClassicCodec] = {
    # CRF 0..51; the sweep spans near-transparent to heavily compressed.
    "x264": ClassicCodec(
        "x264", "libx264", ("h264",), (18, 24, 30, 36, 42, 48), {"preset": "medium"}
    ),
    "x265": ClassicCodec(
        "x265",
        "libx265",
        ("hevc",),
        (18, 24, 30, 36, 42, 48),
        {"preset": "medium", "x265-params": "log-level=error"},
        min_side=X265_MIN_SIDE,
    ),
    # CRF 1..63 on a wider scale; preset 8 is SVT-AV1's fast end of the useful range.
    # FFmpeg's native "av1" decoder needs a hardware accelerator: only these decode on CPU.
    "svtav1": ClassicCodec(
        "svtav1", "libsvtav1", ("libdav1d", "libaom-av1"), (24, 32, 40, 48, 56, 63), {"preset": "8"}
    ),
}
DEFAULT_CODECS = tuple(CODECS)


def unavailable_reason(codec: ClassicCodec, clip: Clip | None = None) -> str | None:
    """Why this codec cannot be benchmarked here (no encoder, no decoder, clip too small)."""
    if not _has_codec(codec.encoder, "w"):
        return f"this PyAV build has no {codec.encoder} encoder"
    if not any(_has_codec(name, "r") for name in codec.decoders):
        wanted = " or ".join(codec.decoders)
        return f"this PyAV build has no {wanted} decoder, so its output cannot be measured"
    if clip is not None and min(clip.width, clip.height) < codec.min_side:
        return (
            f"{codec.encoder} is unsafe on frames under {codec.min_side} pixels on a side "
            f"in this build; clip is {clip.width}x{clip.height}"
        )
    return None


def _has_codec(name: str, mode: str) -> bool:
    """Whether FFmpeg in this PyAV build has the named encoder ("w") or decoder ("r")."""
    try:
        av.codec.Codec(name, mode)
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def _even(side: int) -> int:
    """The next even number."""
    return side + side % 2


def _to_yuv(frame: np.ndarray, width: int, height: int) -> av.VideoFrame:
    """RGB frame -> yuv420p picture of the even size, edge-padded if needed."""
    pad = ((0, height - frame.shape[0]), (0, width - frame.shape[1]), (0, 0))
    if any(p[1] for p in pad):
        frame = np.pad(frame, pad, mode="edge")
    picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
    return picture.reformat(format=PIX_FMT, dst_colorspace=YUV_MATRIX, dst_color_range=YUV_RANGE)


def encode_file(clip: Clip, codec: ClassicCodec, crf: int, path: str) -> float:
    """Encode the clip at one CRF into `path`; returns the seconds it took."""
    # SVT-AV1 prints a banner per encoder on stderr unless its log level says errors only.
    os.environ.setdefault("SVT_LOG", "1")
    width, height = _even(clip.width), _even(clip.height)
    start = time.perf_counter()
    with av.open(path, "w", format=MUXER) as container:
        stream = container.add_stream(codec.encoder, rate=clip.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, PIX_FMT
        stream.time_base = 1 / clip.fps
        stream.codec_context.time_base = 1 / clip.fps
        stream.codec_context.colorspace = AVCOL_SPC_BT709
        stream.codec_context.color_range = AVCOL_RANGE_MPEG
        stream.options = {**codec.options, "crf": str(crf)}
        for index, frame in enumerate(clip.frames):
            picture = _to_yuv(frame, width, height)
            picture.pts = index
            container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    return time.perf_counter() - start


def decode_into(path: str, clip: Clip, meter: QualityMeter) -> float:
    """Decode `path` back to RGB with the encoding's matrix, feeding the meter; seconds."""
    start = time.perf_counter()
    with av.open(path) as container:
        stream = container.streams.video[0]
        for picture in container.decode(stream):
            rgb = picture.reformat(
                format="rgb24", src_colorspace=YUV_MATRIX, src_color_range=YUV_RANGE
            ).to_ndarray()
            meter.add(rgb[: clip.height, : clip.width])
    return time.perf_counter() - start - meter.seconds


def classic_point(clip: Clip, codec: ClassicCodec, crf: int, folder: str) -> Point:
    """Encode, measure the file on disk, decode back and measure quality."""
    name = f"{codec.name}-crf{crf}.mp4"
    path = os.path.join(folder, name)
    encode_seconds = encode_file(clip, codec, crf, path)
    size = os.path.getsize(path)
    meter = QualityMeter(clip.frames)
    decode_seconds = decode_into(path, clip, meter)
    psnr, ssim = meter.result()
    return Point(
        codec.name, "crf", crf, name, size, clip.pixels, psnr, ssim, encode_seconds, decode_seconds
    )
