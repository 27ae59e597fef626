"""Build the token-coding tables (starting counts per context) from the model's training clips.

Run: python benchmarks/token_tables.py CLIP... --workdir DIR
     [--frames 48] [--search-frames 16] [--model models/elastictok-64] [--out PATH]

Every clip is encoded with the model (benchmarks/bits.py's encoder helper, .etok files
kept in --workdir): its first --frames frames at 256 tokens per tile-block and its first
--search-frames frames under --mse 0.007 (no rescue sweep), so the tables see both full
blocks and searched prefixes. The coder's contexts are counted over all of them, and each
context's starting counts are those observations shared out over WEIGHT (entropy/adaptive.py,
initial_counts). Pass only clips the model trained on (docs/MODEL_LOG.md, Data).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from bits import encoded, read_clip

from elastictok_cli.entropy import TABLES_FILE, Layout, TokenTables
from elastictok_cli.entropy.adaptive import initial_counts
from elastictok_cli.entropy.statistics import count_contexts

# Chosen on the training clips, each coded with tables from the others (benchmarks/RESULTS.md).
STEP = 32  # count added per coded symbol
LIMIT = 1 << 13  # a context's total before halving: about the last 256 symbols weigh
WEIGHT = 256  # starting total per context: the training prior is worth 8 symbols


def layout_of(model: str) -> Layout:
    """The model's FSQ levels and token grid, from its config.json."""
    import json

    with open(os.path.join(model, "config.json")) as f:
        config = json.load(f)
    tp, hp, wp = config["patch"]
    return Layout(
        levels=tuple(config["fsq_levels"]),
        frames=config["frames_per_block"] // tp,
        rows=config["tile_height"] // hp,
        cols=config["tile_width"] // wp,
    )


def main() -> None:
    """Encode what is missing, count contexts, write the tables and print their SHA-256."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--search-frames", type=int, default=16)
    parser.add_argument("--model", default="models/elastictok-64")
    parser.add_argument("--out", default=None, help="default: the model folder's tables file")
    # Other settings build the variants benchmarks/RESULTS.md compares (e.g. near-static
    # tables: --weight 16777216 --step 1 --limit 16777216; no training prior: --weight 0).
    parser.add_argument("--step", type=int, default=STEP)
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--weight", type=int, default=WEIGHT, help="0: uniform start")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    layout = layout_of(args.model)
    clips = []
    for clip in args.clips:
        for setting, frames in (("k256", args.frames), ("mse0.007", args.search_frames)):
            blocks, _ = read_clip(encoded(clip, setting, frames, args.workdir, args.model))
            clips.append(blocks)
            tokens = sum(len(t) for b in blocks for t in b)
            print(f"{os.path.basename(clip)} {setting}: {len(blocks)} blocks, {tokens} tokens")
    observed = count_contexts(clips, layout)
    if args.weight:
        counts = tuple(initial_counts(table, args.weight) for table in observed)
    else:
        counts = tuple(initial_counts(np.zeros_like(t), 256) for t in observed)
    tables = TokenTables(layout, args.step, args.limit, counts)
    out = args.out or os.path.join(args.model, TABLES_FILE)
    tables.save(out)
    seen = sum(int((t.sum(axis=1) > 0).sum()) for t in observed)
    total = sum(int(t.sum()) for t in observed) // len(observed)
    print(f"{total} tokens, {seen} of {sum(t.shape[0] for t in observed)} contexts seen")
    print(f"wrote {out}: {os.path.getsize(out)} bytes, sha256 {tables.sha256}")
    assert np.array_equal(TokenTables.from_bytes(tables.to_bytes()).counts[0], counts[0])


if __name__ == "__main__":
    main()
