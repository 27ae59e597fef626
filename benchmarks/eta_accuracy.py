"""How right the encode progress bar's time-left estimate is, on a real clip.

Run: python benchmarks/eta_accuracy.py CLIP [--frames 96] [--crop 320x240] [ENCODE OPTIONS]

The bar (cli/output.py) estimates time left as rich does with a window longer than any
encode: the work still to do over the mean rate between the first update and the
latest. This replays that rule on the times at which each block of a real encode
finished, and compares each estimate with the time the encode then really took.
"""

from __future__ import annotations

import argparse
import time

import av
import numpy as np

from elastictok_cli import api


def estimates(marks, total: int, window: float) -> list[tuple[float, float, float]]:
    """(share done, estimated s left, real s left) after each block but the first.

    The rate is taken over the updates of the last `window` seconds (rich's
    speed_estimate_period), always including the one before them.
    """
    end = marks[-1][0]
    out = []
    for i in range(1, len(marks) - 1):
        t, done = marks[i]
        first = i - 1
        while first > 0 and t - marks[first - 1][0] <= window:
            first -= 1
        t0, done0 = marks[first]
        speed = (done - done0) / (t - t0)
        out.append((done / total, (total - done) / speed, end - t))
    return out


def main() -> None:
    """Encode once, then print the estimate's error from 10% of the work on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip")
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--crop", default="320x240")
    parser.add_argument("--mse", type=float, default=None)
    parser.add_argument("--preset", default=None)
    args = parser.parse_args()
    width, height = (int(v) for v in args.crop.split("x"))
    api.use_cpu_defaults()
    model = api.load_model()
    with av.open(args.clip) as container:
        fps = container.streams.video[0].average_rate or 25
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24")[:height, :width])
            if len(frames) == args.frames:
                break
    frames = np.stack(frames)
    marks: list[tuple[float, int]] = []
    options = {k: v for k, v in (("mse", args.mse), ("preset", args.preset)) if v is not None}
    tokens = api.encode(
        frames,
        model,
        fps=fps,
        on_block=lambda s: marks.append((time.perf_counter(), s.frames)),
        **options,
    )
    print(f"{len(tokens)} blocks, {marks[-1][0] - marks[0][0]:.1f} s after the first block")
    print("| rate window (s) | largest error from 10% done | median | at 10-20% done |")
    print("|---|---|---|---|")
    for window in (3600.0, 30.0, 10.0, 5.0):
        rows = [r for r in estimates(marks, len(frames), window) if r[0] >= 0.1 and r[2] > 0]
        errors = [abs(est - real) / real for _, est, real in rows]
        early = [e for (share, _, _), e in zip(rows, errors, strict=True) if share < 0.2]
        print(
            f"| {window:g} | {max(errors):.0%} | {np.median(errors):.0%} "
            f"| {', '.join(f'{e:.0%}' for e in early)} |"
        )


if __name__ == "__main__":
    main()
