"""Write the golden containers and their expected contents (run once, by hand: `python
tests/golden/make_golden.py v2` writes the version 2 file alone).

These files pin format v1 forever: every later version must decode them to the same
tokens. This script refuses to overwrite them; a new golden file gets a new name.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "container"))

from etok_samples import make_header  # noqa: E402

from elastictok_cli.container import BlockRecord, ContainerReader, ContainerWriter  # noqa: E402


def _records(header: dict, seed: int) -> list[BlockRecord]:
    """Random blocks plus the edge cases: an empty tile, a full tile, the extreme ids."""
    rng = np.random.default_rng(seed)
    video, config = header["video"], header["model"]["config"]
    tiles, top = video["tiles_x"] * video["tiles_y"], config["max_tokens"]
    codes = math.prod(config["fsq_levels"])
    records = []
    for index in range(video["blocks"]):
        counts = rng.integers(config["min_tokens"], top + 1, tiles)
        if index == 0:
            counts[0], counts[-1] = 0, top
        tokens = [rng.integers(0, codes, n) for n in counts]
        if index == 0:
            tokens[-1][:2] = [0, codes - 1]
        distortion = rng.random(tiles) * 0.01
        records.append(BlockRecord(index, tuple(counts), tuple(tokens), tuple(distortion)))
    return records


def _write_expected(etok: Path, expected: Path, records, skipped: bool) -> None:
    """The JSON of what the file holds: its header as stored and every block's contents."""
    with ContainerReader(etok) as reader:
        full_header = reader.wire
    blocks = []
    for r in records:
        block = {"index": r.index, "token_counts": list(r.token_counts)}
        block["distortion"] = list(r.distortion)
        if skipped:  # version 2 only, so the version 1 files' JSON stays as it was
            block["skipped"] = list(r.skipped)
        block["tokens"] = [t.tolist() for t in r.tokens]
        blocks.append(block)
    expected.write_text(json.dumps({"header": full_header, "blocks": blocks}, indent=1) + "\n")


def _write(name: str, header: dict, seed: int) -> None:
    """Write NAME.etok and NAME.json, refusing to replace either."""
    etok, expected = HERE / f"{name}.etok", HERE / f"{name}.json"
    if etok.exists() or expected.exists():
        raise SystemExit(f"{name} exists: golden files are never regenerated")
    records = _records(header, seed)
    with ContainerWriter(etok, header) as writer:
        for record in records:
            writer.write_block(record)
    _write_expected(etok, expected, records, skipped=False)


def _write_v2(name: str) -> None:
    """A version 2 file: the shipped model's real ids of the sample clip, context-coded with
    a reset every 2 blocks, and tiles skipped in blocks 2 and 3 (one of them all skipped)."""
    import dataclasses

    from elastictok_cli import api
    from elastictok_cli.container import BlockRecord

    etok, expected = HERE / f"{name}.etok", HERE / f"{name}.json"
    if etok.exists() or expected.exists():
        raise SystemExit(f"{name} exists: golden files are never regenerated")
    api.use_cpu_defaults()
    sample = HERE.parents[1] / "samples" / "pan.mp4"
    tokens = api.encode(api_frames(sample, 20), api.load_model(), tokens=48, fps=24)
    header = tokens.header
    header = dataclasses.replace(
        header,
        coding_reset=2,
        encode=dataclasses.replace(header.encode, skip_tiles=True, search="golden"),
    )
    records = []
    for record in tokens.blocks:
        skipped = [record.index == 2 and t % 2 == 0 or record.index == 3 for t in range(6)]
        records.append(
            BlockRecord(
                record.index,
                [0 if s else c for s, c in zip(skipped, record.token_counts, strict=True)],
                [t[:0] if s else t for s, t in zip(skipped, record.tokens, strict=True)],
                record.distortion,
                skipped,
            )
        )
    with ContainerWriter(etok, header) as writer:
        for record in records:
            writer.write_block(record)
    _write_expected(etok, expected, records, skipped=True)


def api_frames(path: Path, count: int):
    """The first `count` frames of a clip as RGB arrays."""
    from elastictok_cli.media import open_media

    with open_media(str(path)) as source:
        frames = [frame for frame, _ in zip(source.frames(), range(count), strict=False)]
    return np.stack(frames)


def main() -> None:
    """The golden files: v1 16-bit tiled and 10-bit single-tile, v2 context-coded."""
    if "v2" not in sys.argv:
        paper = make_header(width=40, height=20, frames=10, min_tokens=4)
        paper["encode"]["note"] = "ancillary field: readers ignore it"
        _write("etok_v1_fsq16", paper, seed=2025)
        small = make_header(
            width=16, height=9, frames=7, patch=(2, 4, 4), frames_per_block=2, levels=(8, 5, 5, 5)
        )
        _write("etok_v1_fsq10", small, seed=410)
    _write_v2("etok_v2_context")


if __name__ == "__main__":
    main()
