"""What `elastictok encode --optimize N` buys and costs on whole clips, side by side.

Run: python benchmarks/optimize_tokens.py CLIP... --model models/NAME [--frames 16]
     [--steps 0,10,25] [--modes 'k=64,k=256,search at MSE 0.007'] [--json OUT]

Every clip is encoded at its native resolution with tiles, through the real encoder and
container, once per mode (fixed k = 64, fixed k = 256, the search at MSE 0.007) and per
number of optimization steps. Reports, pooled over all clips: PSNR of the mean MSE of all
tile-blocks, the share of tile-blocks at or under MSE 0.007, mean tokens per tile-block,
and encode seconds with their ratio to no optimization (the same mode, the same run).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
from evaluate_model import encode_clip, psnr

from elastictok_cli.codec.settings import EncodeSettings
from elastictok_cli.model import registry as model_registry

TARGET = 0.007
MODES = {
    "k=64": dict(tokens=64, metric="tokens", target=64),
    "k=256": dict(tokens=256, metric="tokens", target=256),
    f"search at MSE {TARGET}": dict(threshold=TARGET, target=TARGET),
}


def measure(clips, loaded, frames: int, steps_list, modes) -> list[dict]:
    """One row per (mode, steps): pooled quality, tokens and seconds."""
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for mode in modes:
            fields = MODES[mode]
            base = None
            for steps in steps_list:
                settings = EncodeSettings(**fields, optimize=steps)
                tokens, dist, seconds = [], [], 0.0
                for clip in clips:
                    start = time.perf_counter()
                    t, d = encode_clip(clip, loaded, settings, frames, workdir)
                    seconds += time.perf_counter() - start
                    tokens.append(t)
                    dist.append(d)
                tokens, dist = np.concatenate(tokens), np.concatenate(dist)
                base = seconds if base is None else base
                row = {
                    "mode": mode,
                    "steps": steps,
                    "psnr": psnr(dist.mean()),
                    "meeting": float(np.mean(dist <= TARGET)),
                    "tokens": float(tokens.mean()),
                    "seconds": seconds,
                    "time_ratio": seconds / base,
                }
                print(format_row(row), flush=True)
                rows.append(row)
    return rows


def format_row(row: dict) -> str:
    """One markdown table row."""
    return (
        f"| {row['mode']} | {row['steps']} | {row['psnr']:.2f} | {100 * row['meeting']:.1f}% "
        f"| {row['tokens']:.1f} | {row['seconds']:.0f} | {row['time_ratio']:.1f}x |"
    )


def main() -> None:
    """Parse arguments, measure, print a markdown table and optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--model", default=None)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--steps", default="0,10,25", help="comma-separated; the first is the base")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    loaded = model_registry.load(args.model)
    steps_list = [int(s) for s in args.steps.split(",")]
    modes = args.modes.split(",")
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; choose from {list(MODES)}")
    print("| mode | steps | PSNR (dB) | meeting 0.007 | mean tokens | seconds | time |")
    print("|---|---|---|---|---|---|---|")
    rows = measure(args.clips, loaded, args.frames, steps_list, modes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"clips": args.clips, "frames": args.frames, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
