"""Search strategies on real footage: model passes, time, tokens and misses vs exhaustive.

    python benchmarks/search_speed.py CLIP [CLIP...] --model models/NAME
    python benchmarks/search_speed.py CLIP --quick-train 400   # no trained model yet

For every block, each strategy runs on the engine state its own choices produced, and
exhaustive search runs on that same state, so "tokens vs exhaustive" and "misses" are
exact per block. A fixed-k encode of the same frames gives the time baseline; times are
medians of --rounds runs of every strategy and the baseline in turn, apart from the
checked run, so load that drifts during the benchmark hits them alike. Peak memory
of a full `elastictok encode` is measured for the clip and the clip repeated 10 times.
Frames are centre-cropped to --size so a run takes minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from elastictok_cli.codec import search
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.media import center_crop, iter_blocks, open_media
from elastictok_cli.model import registry as model_registry


def load_frames(path: str, count: int, width: int, height: int) -> list[np.ndarray]:
    """The first `count` frames of a clip, centre-cropped (or all, if it is shorter)."""
    frames = []
    with open_media(path) as source:
        for frame in source.frames():
            w, h = min(width, source.width), min(height, source.height)
            frames.append(np.ascontiguousarray(center_crop(frame, w, h)))
            if len(frames) == count:
                break
    return frames


def quick_train(frames: list[np.ndarray], steps: int, folder: Path, seed: int = 0) -> Path:
    """Train a small 16x16-tile model on random crops of `frames`, save it, return its folder."""
    import jax
    from flax import nnx

    from elastictok_cli.model.config import ModelConfig
    from elastictok_cli.model.elastictok import ElasticTok
    from elastictok_cli.model.weights import save_model
    from elastictok_cli.train.step import OptimConfig, make_optimizer, make_train_step

    config = ModelConfig(
        name="bench-16",
        tile_height=16,
        tile_width=16,
        patch=(1, 4, 4),
        width=64,
        encoder_layers=2,
        decoder_layers=2,
        heads=2,
        fsq_levels=(8, 5, 5, 5),
        min_tokens=4,
        context_blocks=2,
    )
    model = ElasticTok(config, rngs=nnx.Rngs(seed))
    graphdef, params = nnx.split(model)
    tx = make_optimizer(OptimConfig(learning_rate=2e-3, warmup_steps=50, total_steps=steps))
    opt_state = tx.init(params)
    step = jax.jit(make_train_step(graphdef, tx))
    video = np.stack(frames).astype(np.float32) / 127.5 - 1
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    span = 2 * config.frames_per_block
    for i in range(steps):
        batch = []
        for _ in range(16):
            t = rng.integers(0, len(video) - span + 1)
            y = rng.integers(0, video.shape[1] - 16 + 1)
            x = rng.integers(0, video.shape[2] - 16 + 1)
            clip = video[t : t + span, y : y + 16, x : x + 16]
            batch.append(clip.reshape(2, config.frames_per_block, 16, 16, 3))
        key, sub = jax.random.split(key)
        params, opt_state, metrics = step(params, opt_state, np.stack(batch), sub)
        if i % 100 == 0 or i == steps - 1:
            print(f"  train step {i}: psnr {float(metrics['psnr']):.2f} dB", file=sys.stderr)
    card = f"# bench-16\nTrained {steps} steps on crops of the benchmark clip (benchmark only).\n"
    save_model(nnx.merge(graphdef, params), config, folder, card)
    return folder


def run_strategy(
    loaded, frames, name, threshold, fixed_k=None, rescue=True, reference=True
) -> dict:
    """Encode the frames with one strategy, checking every block against exhaustive search.

    `reference=False` skips the check: a warm-up that compiles every batch shape the
    measured run will meet, so no strategy's time includes compilation.
    """
    config = loaded.config
    height, width = frames[0].shape[:2]
    grid = grid_for(config, width, height)
    engine = TileEngine(loaded.model, grid.tile_count)
    space = search.SearchSpace(config.min_tokens, config.max_tokens, threshold, rescue)
    totals = {"blocks": 0, "passes": 0, "seconds": 0.0, "tokens": 0, "exhaustive_tokens": 0}
    totals.update(misses=0, tiles_failing_everywhere=0, probes=0)
    hint = None
    for block, real in iter_blocks(iter(frames), config.frames_per_block):
        patches = block_patches(block, grid, config)
        weight = real_weights(grid, config, real)
        if fixed_k is None and reference:
            # The reference, on the same cache state the strategy is about to see.
            engine.begin_block(patches, weight, threshold)
            seen = []
            probe = _recording(engine.probe, seen)
            best = search.exhaustive(probe, engine.tiles, space)
            curves = seen[0][1]
        start = time.perf_counter()
        engine.begin_block(patches, weight, np.inf if fixed_k else threshold)
        counted = []
        if fixed_k is None:
            chosen = search.run_search(
                name, _recording(engine.probe, counted), engine.tiles, space, hint
            )
        else:
            engine.probe([np.array([fixed_k])] * engine.tiles)
            chosen = np.full(engine.tiles, fixed_k)
        code = engine.finish_block(chosen)
        totals["seconds"] += time.perf_counter() - start
        totals["passes"] += code.passes
        totals["probes"] += sum(len(r) for requests, _ in counted for r in requests)
        totals["blocks"] += 1
        totals["tokens"] += int(chosen.sum())
        hint = chosen
        if fixed_k is None and reference:
            totals["exhaustive_tokens"] += int(best.sum())
            for t in range(engine.tiles):
                reachable = (curves[t] <= threshold).any()
                totals["tiles_failing_everywhere"] += int(not reachable)
                totals["misses"] += int(reachable and code.distortion[t] > threshold)
    totals["tiles"] = grid.tile_count
    totals["frames"] = len(frames)
    return totals


def _recording(probe, log):
    """Wrap a probe to keep (requests, answers) of each call."""

    def wrapped(requests):
        answers = probe(requests)
        log.append((requests, answers))
        return answers

    return wrapped


def peak_memory(clip_frames, repeat: int, model: Path, workdir: Path) -> float:
    """Peak RSS in MB of `elastictok encode` on the frames repeated `repeat` times."""
    path = workdir / f"mem{repeat}.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=Fraction(25))
        h, w = clip_frames[0].shape[:2]
        stream.width, stream.height, stream.pix_fmt = w, h, "bgr0"
        for i in range(repeat):
            for j, frame in enumerate(clip_frames):
                picture = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="bgr0")
                picture.pts = i * len(clip_frames) + j
                container.mux(stream.encode(picture))
        container.mux(stream.encode(None))
    wrapper = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    command = [
        sys.executable,
        "-m",
        "elastictok_cli",
        "encode",
        str(path),
        "-o",
        str(workdir / f"mem{repeat}.etok"),
        "--model",
        str(model),
        "--force",
        "-q",
    ]
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def main() -> None:
    """Parse arguments, run every strategy, print a Markdown table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--model", help="model name or folder (default: quick-train one)")
    parser.add_argument("--quick-train", type=int, default=400, help="steps if no --model")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="96x64", help="centre crop WxH")
    parser.add_argument("--mse", type=float, default=0.003)
    parser.add_argument("--strategies", default="predict,gallop,binary,linear")
    parser.add_argument("--memory-frames", type=int, default=16)
    parser.add_argument("--no-rescue", action="store_true", help="also run without rescue")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    workdir = Path(tempfile.mkdtemp(prefix="search-speed-"))
    clips = {c: load_frames(c, args.frames, width, height) for c in args.clips}
    model_path = args.model
    if model_path is None:
        train_frames = [f for frames in clips.values() for f in frames]
        model_path = quick_train(train_frames, args.quick_train, workdir / "bench-16")
    loaded = model_registry.load(str(model_path))
    results = []
    for clip, frames in clips.items():
        runs = {}  # label -> keyword arguments of run_strategy
        for name in args.strategies.split(","):
            for rescue in (True, False) if args.no_rescue else (True,):
                label = name if rescue else f"{name} --no-rescue"
                runs[label] = {"name": name, "rescue": rescue}
        runs["fixed-k"] = {"name": "fixed", "fixed_k": loaded.config.max_tokens}
        rows = {}
        for label, how in runs.items():
            run_strategy(loaded, frames, threshold=args.mse, reference=False, **how)
            rows[label] = run_strategy(loaded, frames, threshold=args.mse, **how)
        # Timed apart from the checked runs, in interleaved rounds: this machine's load
        # drifts, and a ratio of medians measured side by side is what holds.
        seconds = {label: [] for label in runs}
        for _ in range(args.rounds):
            for label, how in runs.items():
                timed = run_strategy(loaded, frames, threshold=args.mse, reference=False, **how)
                seconds[label].append(timed["seconds"])
        for label, row in rows.items():
            row["seconds"] = float(np.median(seconds[label]))
            row["seconds_rounds"] = seconds[label]
            results.append({"clip": Path(clip).name, "strategy": label, **row})
            print(json.dumps(results[-1]), file=sys.stderr)
    first = next(iter(clips.values()))[: args.memory_frames]
    memory = {
        "frames": len(first),
        "peak_mb_1x": peak_memory(first, 1, Path(model_path), workdir),
        "peak_mb_10x": peak_memory(first, 10, Path(model_path), workdir),
    }
    report = {
        "model": {
            "name": loaded.name,
            "sha256": loaded.sha256,
            "config": dataclasses.asdict(loaded.config),
        },
        "mse": args.mse,
        "size": args.size,
        "results": results,
        "memory": memory,
    }
    print(markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


def markdown(report: dict) -> str:
    """The RESULTS.md table."""
    lines = [
        "| clip | strategy | passes/block | probes/tile/block | ms/frame | time vs fixed-k "
        "| tokens vs exhaustive | misses | tiles no k meets |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    fixed = {r["clip"]: r for r in report["results"] if r["strategy"] == "fixed-k"}
    for r in report["results"]:
        base = fixed[r["clip"]]
        ratio = r["seconds"] / base["seconds"] if base["seconds"] else 0
        probes = r["probes"] / (r["blocks"] * r["tiles"]) if r["probes"] else 1.0
        vs = (
            f"{100 * (r['tokens'] / r['exhaustive_tokens'] - 1):+.2f}%"
            if r["exhaustive_tokens"]
            else "-"
        )
        lines.append(
            f"| {r['clip']} | {r['strategy']} | {r['passes'] / r['blocks']:.2f} | {probes:.2f} "
            f"| {1000 * r['seconds'] / r['frames']:.1f} | {ratio:.2f}x | {vs} | {r['misses']} "
            f"| {r['tiles_failing_everywhere']} |"
        )
    m = report["memory"]
    lines.append("")
    lines.append(
        f"Peak RSS of `elastictok encode`: {m['peak_mb_1x']:.0f} MB for {m['frames']} frames, "
        f"{m['peak_mb_10x']:.0f} MB for 10x as many "
        f"({m['peak_mb_10x'] / m['peak_mb_1x']:.2f}x)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
