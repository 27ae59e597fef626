"""Sample headers, random block records and in-memory helpers for the container tests."""

from __future__ import annotations

import io
import math

import numpy as np

from elastictok_cli.container import BlockRecord, ContainerReader, ContainerWriter
from elastictok_cli.container.layout import CRC, PREAMBLE_SIZE, TAIL_SIZE

SHA = "3f" * 32


def make_header(
    *,
    width: int = 40,
    height: int = 20,
    frames: int = 9,
    tile: tuple[int, int] = (16, 16),
    patch: tuple[int, int, int] = (1, 4, 4),
    frames_per_block: int = 4,
    levels: tuple[int, ...] = (8, 8, 8, 5, 5, 5),
    min_tokens: int = 1,
    max_tokens: int | None = None,
) -> dict:
    """A valid header for a small tiled video (tiles and padding derived)."""
    tile_h, tile_w = tile
    slots = (frames_per_block // patch[0]) * (tile_h // patch[1]) * (tile_w // patch[2])
    tiles_x, tiles_y = -(-width // tile_w), -(-height // tile_h)
    return {
        "model": {
            "name": "test-model",
            "sha256": SHA,
            "config": {
                "patch": list(patch),
                "frames_per_block": frames_per_block,
                "tile_size": [tile_h, tile_w],
                "bottleneck": "fsq",
                "fsq_levels": list(levels),
                "min_tokens": min(min_tokens, max_tokens or slots),
                "max_tokens": max_tokens or slots,
            },
        },
        "video": {
            "width": width,
            "height": height,
            "fps_num": 30000,
            "fps_den": 1001,
            "frames": frames,
            "pix_fmt": "yuv420p",
            "tiles_x": tiles_x,
            "tiles_y": tiles_y,
            "tile_width": tile_w,
            "tile_height": tile_h,
            "pad_right": tiles_x * tile_w - width,
            "pad_bottom": tiles_y * tile_h - height,
            "blocks": -(-frames // frames_per_block),
        },
        "encode": {
            "metric": "mse",
            "threshold": 0.003,
            "search": "binary",
            "tool_version": "0.1.0",
        },
    }


def random_records(header: dict, rng: np.random.Generator, fill: float | None = None) -> list:
    """One record per block with random counts (or `fill` of max) and random ids."""
    video, config = header["video"], header["model"]["config"]
    tiles, top = video["tiles_x"] * video["tiles_y"], config["max_tokens"]
    codes = math.prod(config["fsq_levels"])
    records = []
    for index in range(video["blocks"]):
        if fill is None:
            counts = rng.integers(0, top + 1, tiles)
        else:
            counts = np.full(tiles, round(fill * top))
        tokens = tuple(rng.integers(0, codes, int(n), dtype=np.int64) for n in counts)
        records.append(BlockRecord(index, tuple(counts), tokens, tuple(rng.random(tiles) / 10)))
    return records


def write_file(path, header: dict, records: list, **kwargs) -> bytes:
    """Write a container and return its bytes."""
    with ContainerWriter(path, header, **kwargs) as writer:
        for record in records:
            writer.write_block(record)
    with open(path, "rb") as f:
        return f.read()


def read_all(data: bytes) -> tuple[dict, list]:
    """Open bytes as a container and decode every block."""
    with ContainerReader(io.BytesIO(data)) as reader:
        return reader.wire, list(reader)


def refusal(data: bytes) -> Exception | None:
    """The exception reading `data` completely raises, or None if it reads cleanly."""
    try:
        read_all(data)
    except Exception as err:  # noqa: BLE001 - the caller checks the type
        return err
    return None


def boundaries(data: bytes) -> list[int]:
    """Offsets where one structure of the file ends and the next begins."""
    with ContainerReader(io.BytesIO(data)) as reader:
        header_end = PREAMBLE_SIZE + reader.header_size
        cuts = [9, 11, 13, 17, PREAMBLE_SIZE, header_end, header_end + CRC.size]
        offset = header_end + CRC.size
        for size in reader.block_sizes:
            cuts += [offset + size - CRC.size, offset + size]
            offset += size
        end = len(data)
        cuts += [end - TAIL_SIZE, end - TAIL_SIZE + 4, end - TAIL_SIZE + 8, end]
    return cuts
