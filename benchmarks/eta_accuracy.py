"""How right the encode progress bar's time left is, on real clips.

Run: python benchmarks/eta_accuracy.py FOOTAGE_DIR [--clips a.avi,b.avi] [--frames 96]
     [--crop 320x240] [--preset medium] [--mse 0.003] [--marks marks.json]
     python benchmarks/eta_accuracy.py --replay marks.json

Encodes each clip once through the API, each in a fresh process as every CLI encode is
(`--warm`: all in one), noting after every block the time, the frames done and JAX's
compile seconds and coded tile-blocks so far (`--marks` saves them). Then replays the rules on
those marks and compares each estimate with the time the encode then really took:
- "mean rate": the frames left over the mean rate since the first block (the bar's rule
  before `codec.eta`, rich's TimeRemainingColumn with a window longer than any encode);
- "recent compute": `codec.eta.TimeLeft`, what the bar shows now;
- "coded tiles known ahead": the same window's compute per coded tile-block times the
  coded tile-blocks the encode then had left (marks also note them): how far predicting
  skipped tiles could take the estimate.
The issue's target: within 20% from the first 10% of the work on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
from rate_control import find  # sibling scripts: run from this folder's parent
from search_speed import load_frames

from elastictok_cli.codec.eta import TimeLeft

CLIPS = ("vtest.avi", "tree.avi", "Megamind.avi", "balle-jbart.mp4", "Principe_inertie.avi")


def record(path: str, args) -> dict:
    """Encode one clip; the marks (seconds since the start, frames, compile seconds)."""
    from elastictok_cli import api

    width, height = (int(v) for v in args.crop.split("x"))
    frames = np.stack(load_frames(path, args.frames, width, height))
    options = {k: v for k, v in (("mse", args.mse), ("preset", args.preset)) if v is not None}
    started = time.perf_counter()
    marks = []

    def note(stats) -> None:
        marks.append(
            (
                time.perf_counter() - started,
                stats.frames,
                stats.compile_seconds,
                stats.blocks * stats.tiles - stats.tile_blocks_skipped,
            )
        )

    api.encode(frames, args.model, on_block=note, **options)  # the frame rate changes no work
    return {"frames": len(frames), "shape": list(frames.shape[1:3]), "marks": marks}


def record_fresh(name: str, args) -> dict:
    """`record` in a new process: the compiles happen again, as in every CLI encode."""
    command = [sys.executable, __file__, args.footage, "--one", name, "--frames", str(args.frames)]
    command += ["--crop", args.crop]
    command += [f"--{k}={v}" for k, v in (("mse", args.mse), ("preset", args.preset)) if v]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def mean_rate(marks, total):
    """Estimates of the old rule: frames left over the mean rate since the first block."""
    t0, f0, *_ = marks[0]
    out = [None]
    for t, f, *_ in marks[1:]:
        out.append((total - f) * (t - t0) / (f - f0))
    return out


def recent_compute(marks, total):
    """Estimates of `codec.eta.TimeLeft`."""
    clock = TimeLeft(total, 0.0)
    return [clock.update(t, f, c) for t, f, c, *_ in marks]


def errors(marks, total, estimates) -> dict:
    """Relative errors of the time left from 10% to 90% done, and of the finish time it
    implies (elapsed plus left, against the real total) from 10% on."""
    end = marks[-1][0]
    left, finish, early = [], [], []
    for (t, f, *_), est in zip(marks, estimates, strict=True):
        share = f / total
        if share < 0.1 or est is None or end - t <= 0:
            continue
        finish.append(abs(t + est - end) / end)
        if share <= 0.9:
            left.append(abs(est - (end - t)) / (end - t))
            if share < 0.2:
                early.append(left[-1])
    return {"left": left, "finish": finish, "early": early}


def known_work(marks, total, overhead: float = 0.1):
    """A bound for any look-ahead: `codec.eta.TimeLeft` counting work instead of frames,
    the work being the coded tile-blocks (plus `overhead` of one per tile and block),
    its total read from the finished encode."""
    tiles = marks[0][3]  # the first block skips nothing
    done = [m[3] + overhead * tiles * (i + 1) for i, m in enumerate(marks)]
    clock = TimeLeft(done[-1], 0.0)
    return [clock.update(t, w, c) for (t, _, c, *_), w in zip(marks, done, strict=True)]


def table(runs: dict) -> None:
    """The markdown table of the rules on every clip."""
    print(
        "| clip | seconds | compile s | rule | time left, 10-90% done: largest error | median "
        "| at 10-20% | finish time from 10%: largest error |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        marks, total = run["marks"], run["frames"]
        rules = [("mean rate", mean_rate), ("recent compute", recent_compute)]
        if len(marks[0]) > 3:
            rules.append(("coded tiles known ahead", known_work))
        for rule, fn in rules:
            e = errors(marks, total, fn(marks, total))
            print(
                f"| {name} | {marks[-1][0]:.0f} | {marks[-1][2]:.1f} | {rule} "
                f"| {max(e['left'], default=0):.0%} | {np.median(e['left']):.0%} "
                f"| {', '.join(f'{x:.0%}' for x in e['early'])} | {max(e['finish']):.0%} |"
            )


def main() -> None:
    """Record (or load) the marks, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("footage", nargs="?")
    parser.add_argument("--clips", default=",".join(CLIPS))
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--crop", default="320x240")
    parser.add_argument("--mse", type=float, default=None)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--marks", help="save the marks here")
    parser.add_argument("--replay", help="replay saved marks instead of encoding")
    parser.add_argument(
        "--warm",
        dest="fresh",
        action="store_false",
        help="encode every clip in this process (compiled once) instead of a fresh one each, "
        "as every CLI encode is",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a fresh process's single clip
    args = parser.parse_args()
    if args.one:
        from elastictok_cli import api

        api.use_cpu_defaults()
        args.model = api.load_model()
        json.dump(record(find(args.footage, args.one), args), sys.stdout)
        return
    if args.replay:
        with open(args.replay) as handle:
            runs = json.load(handle)
    else:
        from elastictok_cli import api

        api.use_cpu_defaults()
        args.model = api.load_model()
        runs = {}
        for name in args.clips.split(","):
            runs[name] = (
                record_fresh(name, args) if args.fresh else record(find(args.footage, name), args)
            )
            print(name, f"{runs[name]['marks'][-1][0]:.1f} s", flush=True)
            if args.marks:
                with open(args.marks, "w") as handle:
                    json.dump(runs, handle)
    table(runs)


if __name__ == "__main__":
    main()
