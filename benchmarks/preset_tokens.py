"""Each encode preset against the exhaustive search: tokens, missed tile-blocks, time.

Run: python benchmarks/preset_tokens.py CLIP [--frames 16] [--crop 256x192] [--mse 0.007]
     [--ways fast,medium] [--exhaustive-tokens N]

The clip's first frames, cropped at the top left, are encoded through the real encoder
at one target with every preset and with the exhaustive search (every k of every tile,
the reference), skipped tiles off so that all of them search the same tile-blocks, and
once at a fixed k of the model's maximum as the time unit. Tokens are compared with the
exhaustive search's; a miss is a tile-block above the target.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import av
import numpy as np

from elastictok_cli import api

WAYS = {  # name -> encode options
    "fast": {"preset": "fast"},
    "medium": {"preset": "medium"},
    "slow": {"preset": "slow"},
    "exhaustive": {"search": "exhaustive"},
}


def frames_of(path: str, count: int, width: int, height: int) -> tuple[np.ndarray, object]:
    """The first `count` frames, cropped to width x height at the top left, and the rate."""
    with av.open(path) as container:
        rate = container.streams.video[0].average_rate or 25
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24")[:height, :width])
            if len(frames) == count:
                break
    return np.stack(frames), rate


def main() -> None:
    """Print one markdown row per way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--crop", default="256x192")
    parser.add_argument("--mse", type=float, default=0.007)
    parser.add_argument("--ways", default=",".join(WAYS), help=f"of {', '.join(WAYS)}")
    parser.add_argument(
        "--exhaustive-tokens",
        type=int,
        help="the exhaustive search's tokens from an earlier run (it is deterministic)",
    )
    args = parser.parse_args()
    width, height = (int(v) for v in args.crop.split("x"))
    api.use_cpu_defaults()
    model = api.load_model()
    frames, fps = frames_of(args.clip, args.frames, width, height)
    rows = {}
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "x.etok")
        fixed = api.encode_to_file(
            frames, out, model, fps=fps, tokens=model.config.max_tokens, force=True
        )
        for name in args.ways.split(","):
            rows[name] = api.encode_to_file(
                frames, out, model, fps=fps, mse=args.mse, skip=False, force=True, **WAYS[name]
            )
            print(name, rows[name]["tokens"], rows[name]["seconds"], flush=True)
    exhaustive = args.exhaustive_tokens or rows["exhaustive"]["tokens"]
    print(f"\n{os.path.basename(args.clip)}, {args.frames} frames at {args.crop}, MSE {args.mse}")
    print("| encode | tokens | vs exhaustive | missed tile-blocks | seconds | vs fixed k |")
    print("|---|---|---|---|---|---|")
    print(
        f"| fixed k={model.config.max_tokens} | {fixed['tokens']:,} | | | "
        f"{fixed['seconds']:.1f} | 1.00 |"
    )
    for name, s in rows.items():
        print(
            f"| {name} | {s['tokens']:,} | {s['tokens'] / exhaustive - 1:+.1%} | "
            f"{s['tile_blocks_missing_target']} | {s['seconds']:.1f} | "
            f"{s['seconds'] / fixed['seconds']:.2f} |"
        )


if __name__ == "__main__":
    main()
