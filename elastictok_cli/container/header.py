"""The msgpack header: its schema, its validation and its (de)serialisation."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import msgpack
import numpy as np

from elastictok_cli.container import layout
from elastictok_cli.container.errors import ContainerError, ContainerIncompatible

# Every field this version understands, by dotted path. Anything else is ancillary
# unless the file lists it in `critical` (then this reader refuses the file).
MODEL_KEYS = ("name", "sha256", "config")
CONFIG_KEYS = (
    "patch",
    "frames_per_block",
    "tile_size",
    "bottleneck",
    "fsq_levels",
    "min_tokens",
    "max_tokens",
)
VIDEO_KEYS = (
    "width",
    "height",
    "fps_num",
    "fps_den",
    "frames",
    "pix_fmt",
    "tiles_x",
    "tiles_y",
    "tile_width",
    "tile_height",
    "pad_right",
    "pad_bottom",
    "blocks",
)
ENCODE_KEYS = ("metric", "threshold", "search", "tool_version")
TOP_KEYS = (
    "model",
    "video",
    "encode",
    "token_coding",
    "token_tables",
    "coding_reset",
    "bits_per_token",
    "max_tokens",
    "critical",
)
KNOWN_PATHS = frozenset(
    TOP_KEYS
    + tuple(f"model.{k}" for k in MODEL_KEYS)
    + tuple(f"model.config.{k}" for k in CONFIG_KEYS)
    + tuple(f"video.{k}" for k in VIDEO_KEYS)
    + tuple(f"encode.{k}" for k in ENCODE_KEYS)
)
MAX_CRITICAL = 64
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PIX_FMT = re.compile(r"[a-z0-9_]{1,32}")


def bits_for_levels(levels: list[int] | tuple[int, ...]) -> int:
    """Bits per token id for FSQ `levels`: ids run from 0 to prod(levels) - 1."""
    return (math.prod(levels) - 1).bit_length()


def _plain(value: Any) -> Any:
    """msgpack fallback: numpy scalars become Python numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a value of type {type(value).__name__} in the header")


def pack_header(header: Mapping) -> bytes:
    """Serialise a header to msgpack (tuples become arrays, numpy scalars numbers)."""
    return msgpack.packb(header, use_bin_type=True, default=_plain)


def _strict_map(pairs: list) -> dict:
    """Build a map, refusing non-string and duplicate keys (a hidden second value)."""
    result = {}
    for key, value in pairs:
        if not isinstance(key, str):
            raise ValueError("map keys must be strings")
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _check_depth(value: Any, depth: int = 1) -> None:
    """Refuse nesting deeper than the header ever needs."""
    if depth > layout.MAX_HEADER_DEPTH:
        raise ContainerError(f"header nests deeper than {layout.MAX_HEADER_DEPTH} levels")
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, (dict, list)):
        for child in children:
            _check_depth(child, depth + 1)


def unpack_header(raw: bytes) -> dict:
    """Decode header bytes with every msgpack size limit set, then validate them."""
    if len(raw) > layout.MAX_HEADER_SIZE:
        raise ContainerError(f"header of {len(raw)} bytes exceeds {layout.MAX_HEADER_SIZE}")
    try:
        value = msgpack.unpackb(
            raw,
            raw=False,
            use_list=True,
            strict_map_key=True,
            object_pairs_hook=_strict_map,
            max_str_len=layout.MAX_HEADER_SIZE,
            max_bin_len=layout.MAX_HEADER_SIZE,
            max_array_len=layout.MAX_HEADER_ARRAY,
            max_map_len=layout.MAX_HEADER_MAP,
            max_ext_len=0,
        )
    except Exception as err:  # noqa: BLE001 - msgpack raises many types; all mean "corrupt"
        detail = str(err) or type(err).__name__
        raise ContainerError(f"header is not valid msgpack: {detail}") from err
    _check_depth(value)
    return validate_header(value)


def _fail(path: str, problem: str) -> ContainerError:
    """The error for one bad header field."""
    return ContainerError(f"header field {path}: {problem}")


def _section(parent: dict, key: str, path: str) -> dict:
    """A required map."""
    value = parent.get(key)
    if not isinstance(value, dict):
        raise _fail(path, "missing or not a map")
    return value


def _int(section: dict, key: str, path: str, low: int, high: int) -> int:
    """A required integer in [low, high] (booleans are not integers here)."""
    return _bounded(section.get(key), path, low, high)


def _bounded(value: Any, path: str, low: int, high: int) -> int:
    """An integer in [low, high]."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(path, "missing or not an integer")
    if not low <= value <= high:
        expected = f"must be {low}" if low == high else f"is outside {low}..{high}"
        raise _fail(path, f"{value} {expected}")
    return value


def _text(section: dict, key: str, path: str, max_len: int = 64) -> str:
    """A required printable string of 1..max_len characters (safe to show in a terminal)."""
    value = section.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= max_len:
        raise _fail(path, f"missing or not a string of 1..{max_len} characters")
    if not value.isprintable():
        raise _fail(path, "contains control characters")
    return value


def _ints(section: dict, key: str, path: str, lengths: range, low: int, high: int) -> list:
    """A required array of integers in [low, high] whose length is in `lengths`."""
    value = section.get(key)
    if not isinstance(value, list) or len(value) not in lengths:
        raise _fail(path, f"missing or not an array of {lengths.start}..{lengths.stop - 1}")
    for i, item in enumerate(value):
        _bounded(item, f"{path}[{i}]", low, high)
    return value


def _check_critical(header: dict) -> None:
    """Refuse, as incompatible, a file that needs a field this version does not know."""
    critical = header.get("critical", [])
    if not isinstance(critical, list) or len(critical) > MAX_CRITICAL:
        raise _fail("critical", f"not an array of at most {MAX_CRITICAL} strings")
    for i, name in enumerate(critical):
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise _fail(f"critical[{i}]", "not a string of 1..128 characters")
        if name not in KNOWN_PATHS:
            raise ContainerIncompatible(
                f"file needs header field {name!r}, which this version does not understand"
            )


def _check_model(model: dict) -> dict:
    """Model identity and the config values decoding depends on; returns the config."""
    _text(model, "name", "model.name", 128)
    sha = _text(model, "sha256", "model.sha256")
    if not _SHA256.fullmatch(sha):
        raise _fail("model.sha256", "not 64 lowercase hex digits")
    config = _section(model, "config", "model.config")
    if _text(config, "bottleneck", "model.config.bottleneck") != "fsq":
        raise ContainerIncompatible(
            f"model bottleneck {config['bottleneck']!r} has no token ids this version can read"
        )
    pt, ph, pw = _ints(config, "patch", "model.config.patch", range(3, 4), 1, 256)
    frames = _int(config, "frames_per_block", "model.config.frames_per_block", 1, 1024)
    th, tw = _ints(config, "tile_size", "model.config.tile_size", range(2, 3), 1, 4096)
    if frames % pt or th % ph or tw % pw:
        raise _fail("model.config.patch", "does not divide the block and tile size")
    levels = _ints(config, "fsq_levels", "model.config.fsq_levels", range(1, 17), 2, 1 << 16)
    if math.prod(levels) > 1 << layout.MAX_BITS_PER_TOKEN:
        raise _fail("model.config.fsq_levels", "more than 2**32 codes")
    slots = (frames // pt) * (th // ph) * (tw // pw)
    high = min(slots, layout.MAX_TOKENS_PER_TILE)
    max_tokens = _int(config, "max_tokens", "model.config.max_tokens", 1, high)
    _int(config, "min_tokens", "model.config.min_tokens", 0, max_tokens)
    return config


def _check_video(video: dict, config: dict) -> None:
    """Frame size, rate, count and the tile grid, all consistent with the model."""
    width = _int(video, "width", "video.width", 1, 1 << 16)
    height = _int(video, "height", "video.height", 1, 1 << 16)
    _int(video, "fps_num", "video.fps_num", 1, (1 << 31) - 1)
    _int(video, "fps_den", "video.fps_den", 1, (1 << 31) - 1)
    frames = _int(video, "frames", "video.frames", 1, layout.MAX_BLOCKS)
    if not _PIX_FMT.fullmatch(_text(video, "pix_fmt", "video.pix_fmt", 32)):
        raise _fail("video.pix_fmt", "not 1..32 of [a-z0-9_]")
    tile_h, tile_w = config["tile_size"]
    _int(video, "tile_width", "video.tile_width", tile_w, tile_w)
    _int(video, "tile_height", "video.tile_height", tile_h, tile_h)
    tiles_x = _int(video, "tiles_x", "video.tiles_x", 1, layout.MAX_TILES)
    tiles_y = _int(video, "tiles_y", "video.tiles_y", 1, layout.MAX_TILES)
    if tiles_x * tiles_y > layout.MAX_TILES:
        raise _fail("video.tiles_x", f"more than {layout.MAX_TILES} tiles per block")
    pad_x, pad_y = tiles_x * tile_w - width, tiles_y * tile_h - height
    _int(video, "pad_right", "video.pad_right", pad_x, pad_x)
    _int(video, "pad_bottom", "video.pad_bottom", pad_y, pad_y)
    if not (0 <= pad_x < tile_w and 0 <= pad_y < tile_h):
        raise _fail("video.tiles_x", "the tile grid does not just cover the frame")
    blocks = -(-frames // config["frames_per_block"])
    _int(video, "blocks", "video.blocks", blocks, blocks)


def _check_encode(encode: dict) -> None:
    """Encode settings: shown to users, never needed to decode."""
    _text(encode, "metric", "encode.metric")
    threshold = encode.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise _fail("encode.threshold", "missing or not a number")
    if not math.isfinite(threshold):
        raise _fail("encode.threshold", "not finite")
    _text(encode, "search", "encode.search")
    _text(encode, "tool_version", "encode.tool_version")
    lambdas = encode.get("lambdas")
    if lambdas is not None and not isinstance(lambdas, bytes):
        raise _fail("encode.lambdas", "not bytes")
    group = encode.get("lambda_group", 1)
    if isinstance(group, bool) or not isinstance(group, int) or group < 1:
        raise _fail("encode.lambda_group", "not a positive int")


def validate_header(header: Any) -> dict:
    """Check a decoded header against the v1 schema; returns it unchanged if valid."""
    if not isinstance(header, dict):
        raise ContainerError("header is not a map")
    # Incompatibility first: a newer file may use known fields in ways v1 cannot check.
    _check_critical(header)
    coding = _text(header, "token_coding", "token_coding")
    if coding not in layout.TOKEN_CODINGS:
        raise ContainerIncompatible(f"token coding {coding!r} is not supported by this version")
    if coding == layout.CONTEXT_CODING:
        if not _SHA256.fullmatch(_text(header, "token_tables", "token_tables")):
            raise _fail("token_tables", "not 64 lowercase hex digits")
        _int(header, "coding_reset", "coding_reset", 1, layout.MAX_CODING_RESET)
    config = _check_model(_section(header, "model", "model"))
    _check_video(_section(header, "video", "video"), config)
    _check_encode(_section(header, "encode", "encode"))
    bits = bits_for_levels(config["fsq_levels"])
    _int(header, "bits_per_token", "bits_per_token", bits, bits)
    _int(header, "max_tokens", "max_tokens", config["max_tokens"], config["max_tokens"])
    return header
