"""The benchmark's files: one JSON document and one CSV row per point (docs/BENCH.md)."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence

from elastictok_cli.bench import classic
from elastictok_cli.bench.run import ANCHOR, BenchPlan, ClipResult

SCHEMA = "elastictok-bench/1"
CSV_FIELDS = (
    "clip",
    "curve",
    "setting",
    "value",
    "file",
    "bytes",
    "bits",
    "pixels",
    "bpp",
    "psnr",
    "ssim",
    "encode_seconds",
    "decode_seconds",
    "tokens",
    "token_share",
)


def _finite(value):
    """inf and nan are not JSON: None instead, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def clip_document(result: ClipResult) -> dict:
    """One clip's facts, points and derived numbers."""
    clip = result.clip
    return {
        "name": clip.name,
        "key": result.key,
        "source_size": list(clip.source_size),
        "width": clip.width,
        "height": clip.height,
        "frames": clip.count,
        "fps": str(clip.fps),
        "pixels": clip.pixels,
        "points": [p.as_dict() for p in result.points],
        "skipped": [{"codec": c, "reason": r} for c, r in result.skipped.items()],
        "token_savings": result.savings,
        "bd_rate": [
            {"curve": name, "anchor": ANCHOR, **value} for name, value in result.bd_rates.items()
        ],
    }


def document(results: Sequence[ClipResult], loaded, plan: BenchPlan) -> dict:
    """The whole run as one JSON-ready dict."""
    config = loaded.config
    return _finite(
        {
            "schema": SCHEMA,
            "model": {
                "name": loaded.name,
                "sha256": loaded.sha256,
                "min_tokens": config.min_tokens,
                "max_tokens": config.max_tokens,
                "tile": [config.tile_width, config.tile_height],
                "frames_per_block": config.frames_per_block,
            },
            "settings": {
                "mse": list(plan.mse),
                "tokens": plan.token_list(config),
                "codecs": {c: list(plan.crf_list(classic.CODECS[c])) for c in plan.codecs},
                "frames": plan.frames,
                "resize": list(plan.size) if plan.size else None,
                "search": plan.search,
                "rescue": plan.rescue,
                "classic_pix_fmt": classic.PIX_FMT,
                "classic_matrix": "BT.709, limited range",
                "classic_container": classic.MUXER,
                "classic_options": {c: classic.CODECS[c].options for c in plan.codecs},
            },
            "clips": [clip_document(r) for r in results],
        }
    )


def write_json(doc: dict, path: str) -> None:
    """The document, indented, atomically."""
    _write_atomic(path, json.dumps(doc, indent=2) + "\n")


def write_csv(results: Sequence[ClipResult], path: str) -> None:
    """One row per point of every clip, atomically."""
    temp = path + ".part"
    with open(temp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for result in results:
            for point in result.points:
                row = {"clip": result.clip.name, **point.as_dict()}
                writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_FIELDS})
    os.replace(temp, path)


def _write_atomic(path: str, text: str) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    temp = path + ".part"
    with open(temp, "w") as handle:
        handle.write(text)
    os.replace(temp, path)
