"""What `inspect` reports about a container, as plain data (no model, no JAX)."""

from __future__ import annotations

from elastictok_cli.container.reader import ContainerReader


def describe(reader: ContainerReader) -> dict:
    """Everything inspect shows, as plain data (the --json document)."""
    header = reader.header
    video = header.video
    tiles = video.tiles
    max_tokens = header.max_tokens
    blocks = []
    for record in reader:
        blocks.append(
            {
                "index": record.index,
                "tokens": list(record.token_counts),
                "distortion": list(record.distortion),
            }
        )
    total = sum(sum(b["tokens"]) for b in blocks)
    pixels = video.frames * video.width * video.height
    worst = max((max(b["distortion"]) for b in blocks), default=0.0)
    return {
        "format_version": reader.format_version,
        "file": {"path": str(reader.name), "bytes": reader.file_size},
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
        "encode": reader.wire["encode"],
        "blocks": blocks,
        "totals": {
            "tokens": total,
            "max_tokens": len(blocks) * tiles * max_tokens,
            "bytes": reader.file_size,
            "bpp": 8 * reader.file_size / pixels if pixels else 0.0,
            "worst_distortion": worst,
        },
    }
