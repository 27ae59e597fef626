"""Which encoder and pixel format each output codec uses, and which containers take it."""

from __future__ import annotations

from dataclasses import dataclass, field

from elastictok_cli.errors import UsageError

# Visually lossless by x264's own guidance; bench code passes its own CRF values.
DEFAULT_CRF = 18


@dataclass(frozen=True)
class EncoderSpec:
    """How one user-facing codec choice is encoded through PyAV."""

    name: str
    av_codec: str
    pix_fmt: str
    # 4:2:0 needs even width and height; odd sizes switch to this format so the
    # output keeps the exact size instead of being padded or cropped.
    odd_pix_fmt: str
    lossless: bool
    takes_crf: bool = False
    options: dict[str, str] = field(default_factory=dict)

    def pix_fmt_for(self, width: int, height: int) -> str:
        """The pixel format for frames of this size."""
        return self.pix_fmt if width % 2 == 0 and height % 2 == 0 else self.odd_pix_fmt

    def options_for(self, crf: int | None) -> dict[str, str]:
        """Encoder options, with the quality setting applied where the codec has one."""
        options = dict(self.options)
        if self.takes_crf:
            options["crf"] = str(DEFAULT_CRF if crf is None else crf)
        return options


ENCODERS: dict[str, EncoderSpec] = {
    "h264": EncoderSpec(
        "h264",
        "libx264",
        "yuv420p",
        "yuv444p",
        lossless=False,
        takes_crf=True,
        options={"preset": "medium"},
    ),
    "h265": EncoderSpec(
        "h265",
        "libx265",
        "yuv420p",
        "yuv444p",
        lossless=False,
        takes_crf=True,
        # x265 prints its banner and statistics on stderr unless told not to.
        options={"preset": "medium", "x265-params": "log-level=error"},
    ),
    # ffv1 stores RGB itself (bgr0), so a round trip is bit-exact, no YUV rounding.
    "ffv1": EncoderSpec("ffv1", "ffv1", "bgr0", "bgr0", lossless=True, options={"level": "3"}),
    # y4m is always 4:4:4: full chroma, any size, only the RGB/YUV rounding is lost.
    "raw": EncoderSpec("raw", "rawvideo", "yuv444p", "yuv444p", lossless=False),
}


@dataclass(frozen=True)
class ContainerSpec:
    """One output file type: its PyAV muxer and the codecs it may hold, default first."""

    muxer: str
    codecs: tuple[str, ...]
    # The RGB to YUV matrix. Files that can carry a colour tag use BT.709 and say so;
    # y4m cannot, and untagged YUV is read as BT.601 by FFmpeg, so y4m uses that.
    yuv_matrix: str = "ITU709"


CONTAINERS: dict[str, ContainerSpec] = {
    ".mp4": ContainerSpec("mp4", ("h264", "h265")),
    ".mov": ContainerSpec("mov", ("h264", "h265")),
    ".mkv": ContainerSpec("matroska", ("ffv1", "h264", "h265")),
    ".y4m": ContainerSpec("yuv4mpegpipe", ("raw",), yuv_matrix="ITU601"),
}


def choose_encoder(extension: str, codec: str | None) -> tuple[ContainerSpec, EncoderSpec]:
    """The container and encoder for a file extension and an optional codec choice."""
    container = CONTAINERS[extension]
    name = codec or container.codecs[0]
    if name not in container.codecs:
        raise UsageError(
            f"a {extension} file cannot hold {name}; choose one of {', '.join(container.codecs)}"
        )
    return container, ENCODERS[name]
