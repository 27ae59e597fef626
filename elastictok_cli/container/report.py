"""What `inspect` reports about a container, as plain data (no model, no JAX).

A damaged block does not stop the report: it gets an entry `{"index", "damaged": true,
"reason"}` and is listed in `damaged_blocks`; when the index itself cannot be trusted
the blocks are found by scanning (`describe_salvaged`) and `file_damage` says why.
"""

from __future__ import annotations

import re

from elastictok_cli.container.errors import ContainerError
from elastictok_cli.container.lambdas import decode_lambdas
from elastictok_cli.container.reader import ContainerReader
from elastictok_cli.container.salvage import Salvage

_BLOCK_PREFIX = re.compile(r"block \d+: ")
_LAMBDA_KEYS = ("lambdas", "lambda_group")  # bytes in the header; reported per block


def _readable(record, size: int) -> dict:
    """One intact block's entry; `size` is its record's bytes on disk."""
    return {
        "index": record.index,
        "bytes": size,
        "tokens": list(record.token_counts),
        "distortion": list(record.distortion),
        "skipped": [t for t, flag in enumerate(record.skipped) if flag],
    }


def _damaged(index: int, reason: str) -> dict:
    """One damaged block's entry (the reason without the 'block N: ' the index repeats)."""
    return {"index": index, "damaged": True, "reason": _BLOCK_PREFIX.sub("", reason, count=1)}


def describe(reader: ContainerReader) -> dict:
    """Everything inspect shows, as plain data (the --json document)."""
    blocks = []
    for index in range(len(reader)):
        try:
            blocks.append(_readable(reader.read_block(index), reader.block_sizes[index]))
        except ContainerError as err:
            blocks.append(_damaged(index, str(err)))
    return _document(reader, reader.file_size, blocks, None)


def describe_salvaged(path, file_damage: str) -> dict:
    """The report of a file whose index is damaged or missing, its blocks found by scanning.

    Raises the reader's error when not even the preamble and header can be read.
    """
    with Salvage(path) as salvage:
        found = {f.index: f for f in salvage.scan()}
        blocks = max(salvage.header.video.blocks, max(found, default=-1) + 1)
        entries = [
            _readable(found[i].record, found[i].size)
            if i in found
            else _damaged(i, "record damaged or missing")
            for i in range(blocks)
        ]
        return _document(salvage.head, len(salvage.buf), entries, file_damage)


def _document(reader: ContainerReader, size: int, blocks: list[dict], file_damage) -> dict:
    """The report from a reader's header and the block entries."""
    header = reader.header
    video = header.video
    readable = [b for b in blocks if not b.get("damaged")]
    total = sum(sum(b["tokens"]) for b in readable)
    pixels = video.frames * video.width * video.height
    worst = max((max(b["distortion"]) for b in readable), default=0.0)
    encode = {k: v for k, v in reader.wire["encode"].items() if k not in _LAMBDA_KEYS}
    if header.encode.lambdas is not None:
        # The stored bytes become each block's lambda, in the blocks' own entries.
        lambdas = decode_lambdas(header.encode.lambdas, header.encode.lambda_group, len(blocks))
        for block, lam in zip(blocks, lambdas, strict=True):
            if lam is not None and not block.get("damaged"):
                block["lambda"] = lam
    return {
        "format_version": reader.format_version,
        "file": {"path": str(reader.name), "bytes": size},
        "model": {
            "name": header.model.name,
            "sha256": header.model.sha256,
            "config": reader.wire["model"]["config"],
        },
        "video": {
            "width": video.width,
            "height": video.height,
            "fps": f"{video.fps_num}/{video.fps_den}",
            "fps_num": video.fps_num,
            "fps_den": video.fps_den,
            "frames": video.frames,
            "blocks": video.blocks,
            "tiles_x": video.tiles_x,
            "tiles_y": video.tiles_y,
        },
        "encode": encode,
        "coding": {
            "token_coding": header.token_coding,
            "token_tables": header.token_tables,
            "coding_reset": header.coding_reset,
        },
        "blocks": blocks,
        "totals": {
            "tokens": total,
            "max_tokens": len(blocks) * video.tiles * header.max_tokens,
            "bytes": size,
            "bpp": 8 * size / pixels if pixels else 0.0,
            "worst_distortion": worst,
            "skipped": sum(len(b["skipped"]) for b in readable),
        },
        "damaged_blocks": [b["index"] for b in blocks if b.get("damaged")],
        "file_damage": file_damage,
    }
