"""The header as typed facts: one dataclass per section, built from and back to its dict.

`header.validate_header` checks an untrusted dict against the schema's bounds; this module
gives the checked facts names and types, so the encoder writes them, and the decoder,
`inspect` and `tokens` read them, through one definition. Fields a newer writer adds
and this version does not know travel along in `extra`, in order, untouched.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from elastictok_cli.container import layout
from elastictok_cli.container.header import TOP_KEYS, bits_for_levels, validate_header

# Written only when they carry information, so older files' bytes stay as they were.
_OMIT_WHEN = {
    "context_blocks": None,
    "target": None,
    "fit": None,
    "optimize_steps": 0,
    "skip_tiles": False,
    "passes": None,
    "preset": None,
    "lambdas": None,
    "lambda_group": 1,
}


def _to_dict(facts) -> dict:
    """The section's fields in declaration order (optional ones only when set), then extras."""
    out = {}
    for f in dataclasses.fields(facts):
        if f.name in ("extra", "identity_extra"):
            continue
        value = getattr(facts, f.name)
        if f.name in _OMIT_WHEN and value == _OMIT_WHEN[f.name]:
            continue
        if isinstance(value, tuple):
            value = list(value)
        elif dataclasses.is_dataclass(value):
            value = _to_dict(value)
        out[f.name] = value
    out.update(facts.extra)
    return out


def _split(cls, section: Mapping) -> tuple[dict, dict]:
    """A section's known fields (lists as tuples) and the rest."""
    names = {f.name for f in dataclasses.fields(cls)} - {"extra", "identity_extra"}
    known = {k: tuple(v) if isinstance(v, list) else v for k, v in section.items() if k in names}
    extra = {k: v for k, v in section.items() if k not in names}
    return known, extra


@dataclass(frozen=True)
class ModelFacts:
    """The model a file needs: identity plus every config value decoding depends on."""

    name: str
    sha256: str
    patch: tuple[int, int, int]
    frames_per_block: int
    tile_size: tuple[int, int]  # (height, width)
    bottleneck: str
    fsq_levels: tuple[int, ...]
    min_tokens: int
    max_tokens: int
    context_blocks: int | None = None  # absent from the oldest files: the model's own
    extra: dict = field(default_factory=dict, compare=False)  # unknown `config` keys
    identity_extra: dict = field(default_factory=dict, compare=False)  # unknown `model` keys

    def to_dict(self) -> dict:
        """The `model` section: name, sha256 and the `config` map."""
        config = _to_dict(self)
        del config["name"], config["sha256"]
        return {"name": self.name, "sha256": self.sha256, "config": config, **self.identity_extra}

    @classmethod
    def from_dict(cls, model: Mapping) -> ModelFacts:
        """From a validated `model` section."""
        known, extra = _split(cls, model["config"])
        identity_extra = {k: v for k, v in model.items() if k not in ("name", "sha256", "config")}
        return cls(
            name=model["name"],
            sha256=model["sha256"],
            **known,
            extra=extra,
            identity_extra=identity_extra,
        )

    @property
    def codebook_size(self) -> int:
        """How many distinct token ids the model has."""
        return math.prod(self.fsq_levels)

    def decoding_mismatch(self, other: ModelFacts) -> str | None:
        """The first decoding fact `other` (a loaded model) does not share, as words."""
        names = ("patch", "frames_per_block", "tile_size", "fsq_levels", "max_tokens")
        if self.context_blocks is not None:  # older files did not record it
            names += ("context_blocks",)
        for name in names:
            needed, has = getattr(self, name), getattr(other, name)
            if needed != has:
                return f"{name} {_shown(has)}, the file needs {_shown(needed)}"
        return None


def _shown(value: Any) -> Any:
    """Tuples shown as the lists the file holds."""
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class VideoFacts:
    """The original video and the tile grid that covers it."""

    width: int
    height: int
    fps_num: int
    fps_den: int
    frames: int
    pix_fmt: str
    tiles_x: int
    tiles_y: int
    tile_width: int
    tile_height: int
    pad_right: int
    pad_bottom: int
    blocks: int
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def fps(self) -> Fraction:
        """Frame rate as an exact rational."""
        return Fraction(self.fps_num, self.fps_den)

    @property
    def tiles(self) -> int:
        """Tiles per block."""
        return self.tiles_x * self.tiles_y


@dataclass(frozen=True)
class EncodeFacts:
    """How the file was encoded: shown to users, never needed to decode."""

    metric: str  # "mse", "psnr" or "tokens"
    threshold: float  # MSE on [-1, 1]; the token count for "tokens"
    target: float | None  # the user's number in the metric's unit
    search: str  # a strategy, or "fixed"
    fit: str | None  # "tile", "resize" or "crop"
    tool_version: str
    optimize_steps: int = 0
    skip_tiles: bool = False  # the encoder could skip tiles (then the file is format v2)
    passes: int | None = None  # rate control to a size or bitrate: 1 or 2 passes
    preset: str | None = None  # fast, medium or slow: how hard the search worked
    lambdas: bytes | None = None  # rate control: each block's lambda (container.lambdas)
    lambda_group: int = 1  # blocks per byte of `lambdas` (more than 1 only in huge files)
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Header:
    """A whole .etok header: model, video, encode settings and the token coding."""

    model: ModelFacts
    video: VideoFacts
    encode: EncodeFacts
    token_coding: str = layout.TOKEN_CODING
    token_tables: str | None = None  # SHA-256 of the tables a context coding starts from
    coding_reset: int | None = None  # the context coder's state resets every this many blocks
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def bits_per_token(self) -> int:
        """Bits of one packed token id (derived from the codebook)."""
        return bits_for_levels(self.model.fsq_levels)

    @property
    def max_tokens(self) -> int:
        """Token slots per tile and block."""
        return self.model.max_tokens

    def to_dict(self) -> dict:
        """The msgpack map, keys in the order the writer has always used."""
        return {
            "model": self.model.to_dict(),
            "video": _to_dict(self.video),
            "encode": _to_dict(self.encode),
            "token_coding": self.token_coding,
            **({"token_tables": self.token_tables} if self.token_tables else {}),
            **({"coding_reset": self.coding_reset} if self.coding_reset else {}),
            "bits_per_token": self.bits_per_token,
            "max_tokens": self.max_tokens,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, header: Any) -> Header:
        """Validate an untrusted dict (ContainerError if it is not a v1 header) and type it."""
        validate_header(header)
        video, video_extra = _split(VideoFacts, header["video"])
        encode, encode_extra = _split(EncodeFacts, header["encode"])
        encode.setdefault("target", None)
        encode.setdefault("fit", None)
        derived = set(TOP_KEYS) - {"critical"}  # `critical` travels along untouched
        return cls(
            model=ModelFacts.from_dict(header["model"]),
            video=VideoFacts(**video, extra=video_extra),
            encode=EncodeFacts(**encode, extra=encode_extra),
            token_coding=header["token_coding"],
            token_tables=header.get("token_tables"),
            coding_reset=header.get("coding_reset"),
            extra={k: v for k, v in header.items() if k not in derived},
        )

    def with_video(self, **facts: int) -> Header:
        """A copy with some video facts replaced (e.g. the frame count found at the end)."""
        return dataclasses.replace(self, video=dataclasses.replace(self.video, **facts))

    def with_encode(self, **facts) -> Header:
        """A copy with some encode facts replaced (e.g. the lambdas known at the end)."""
        return dataclasses.replace(self, encode=dataclasses.replace(self.encode, **facts))
