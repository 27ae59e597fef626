"""Search strategies replayed on recorded distortion curves: seconds instead of minutes.

    python benchmarks/search_replay.py record CLIP [CLIP...] --model models/NAME --out C.npz
    python benchmarks/search_replay.py replay C.npz --mse 0.01,0.03,0.05
    python benchmarks/search_replay.py bound C.npz --mse 0.03 --error 0,0.03,0.09,0.2

`record` encodes each clip with exhaustive search and saves every tile's distortion at
every k, block by block (blocks x tiles x k). `replay` runs the strategies against those
curves with a fake probe and reports probes per tile, passes per block, tokens against
exhaustive search and misses, with and without the first block (which has no warm
start and weighs heavily on short clips). The curves were measured on the caches that
exhaustive search committed; another strategy commits nearly the same k, so its real
curves differ a little: confirm a finding with `search_speed.py`, which runs the model.

`bound` asks what a predictor of k would buy: every block, the first included, each
tile is hinted with its true smallest passing k times a log-normal error of the given
spread, and the strategies verify from there. Spread 0 is an oracle: the probes that
remain are the cost of verifying an answer known in advance.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from search_speed import _recording, load_frames

from elastictok_cli.codec import search
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.media import iter_blocks
from elastictok_cli.model import registry as model_registry


def record_curves(loaded, frames, threshold: float) -> np.ndarray:
    """(blocks, tiles, k) distortion of every k, committing exhaustive search's choices."""
    config = loaded.config
    grid = grid_for(config, frames[0].shape[1], frames[0].shape[0])
    engine = TileEngine(loaded.model, grid.tile_count)
    space = search.SearchSpace(config.min_tokens, config.max_tokens, threshold)
    curves = []
    for block, real in iter_blocks(iter(frames), config.frames_per_block):
        patches = block_patches(block, grid, config)
        engine.begin_block(patches, real_weights(grid, config, real), threshold)
        answers = []
        chosen = search.exhaustive(_recording(engine.probe, answers), engine.tiles, space)
        curves.append(np.stack(answers[0][1]))
        engine.finish_block(chosen)
    return np.stack(curves)


def replay(
    name: str,
    curves: np.ndarray,
    min_k: int,
    threshold: float,
    hint_error: float | None = None,
    rescue: bool = True,
) -> dict:
    """Run one strategy over recorded curves; counts per block, first block kept apart.

    Hints are the previous block's choices, or with `hint_error` the true answers times
    a log-normal error of that spread (a fixed seed, so reruns agree).
    """
    space = search.SearchSpace(min_k, min_k + curves.shape[2] - 1, threshold, rescue=rescue)
    rng = np.random.default_rng(0)
    rows, hint = [], None
    for block in curves:
        calls = []
        probe = _fake_probe(block, min_k, calls)
        meets = block <= threshold
        smallest = np.where(meets.any(1), meets.argmax(1) + min_k, space.max_k)
        if hint_error is not None:
            hint = smallest * np.exp(rng.normal(0.0, hint_error, len(block)))
        chosen = search.run_search(name, probe, len(block), space, hint)
        got = block[np.arange(len(block)), chosen - min_k]
        rows.append(
            {
                "probes": sum(calls),
                "passes": len(calls),
                "tokens": int(chosen.sum()),
                "exhaustive": int(smallest.sum()),
                "misses": int((meets.any(1) & (got > threshold)).sum()),
            }
        )
        hint = chosen
    return {"tiles": curves.shape[1], "blocks": rows}


def _fake_probe(block: np.ndarray, min_k: int, calls: list):
    """A probe answering from one block's curves, logging the probes of each pass."""

    def probe(requests):
        calls.append(sum(len(ks) for ks in requests))
        return [block[t][np.asarray(ks, dtype=int) - min_k] for t, ks in enumerate(requests)]

    return probe


def cells(results: list[dict], skip_first: bool = False, passes: bool = True) -> str:
    """Table cells for one clip or several pooled: probes, [passes,] tokens, misses."""
    rows = [(r["tiles"], block) for r in results for block in r["blocks"][int(skip_first) :]]
    probes = sum(b["probes"] for _, b in rows) / sum(tiles for tiles, _ in rows)
    tokens = sum(b["tokens"] for _, b in rows) / sum(b["exhaustive"] for _, b in rows)
    out = [f"{probes:.2f}"]
    if passes:
        out.append(f"{sum(b['passes'] for _, b in rows) / len(rows):.2f}")
    out += [f"{100 * (tokens - 1):+.2f}%", str(sum(b["misses"] for _, b in rows))]
    return " | ".join(out)


def main() -> None:
    """Record curves from clips, or replay strategies on recorded curves."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="measure every k of every tile-block")
    rec.add_argument("clips", nargs="+")
    rec.add_argument("--model", required=True)
    rec.add_argument("--frames", type=int, default=16)
    rec.add_argument("--size", default="192x128", help="centre crop WxH")
    rec.add_argument("--mse", type=float, default=0.03, help="the target exhaustive commits")
    rec.add_argument("--out", type=Path, required=True)
    rep = commands.add_parser("replay", help="run strategies on recorded curves")
    rep.add_argument("curves", type=Path)
    rep.add_argument("--mse", default="0.01,0.03,0.05")
    rep.add_argument("--strategies", default="gallop,predict,binary")
    bnd = commands.add_parser("bound", help="strategies hinted by a predictor of known error")
    bnd.add_argument("curves", type=Path)
    bnd.add_argument("--mse", default="0.01,0.03,0.05")
    bnd.add_argument("--error", default="0,0.03,0.09,0.2", help="log-normal spreads of k")
    bnd.add_argument("--strategies", default="gallop,predict")
    bnd.add_argument("--no-rescue", action="store_true", help="leave out the near-miss sweep")
    args = parser.parse_args()
    if args.command == "record":
        loaded = model_registry.load(args.model)
        width, height = (int(v) for v in args.size.split("x"))
        saved = {"min_k": np.array(loaded.config.min_tokens)}
        for clip in args.clips:
            start = time.perf_counter()
            frames = load_frames(clip, args.frames, width, height)
            saved[Path(clip).stem] = record_curves(loaded, frames, args.mse)
            print(f"{clip}: {saved[Path(clip).stem].shape} in {time.perf_counter() - start:.0f} s")
        np.savez_compressed(args.out, **saved)
        return
    data = np.load(args.curves)
    min_k = int(data["min_k"])
    clips = [name for name in data.files if name != "min_k"]
    if args.command == "bound":
        print("| MSE | hint error | strategy | probes/tile-block | tokens vs exhaustive | misses |")
        print("|---|---|---|---|---|---|")
        for threshold in (float(v) for v in args.mse.split(",")):
            for error in (float(v) for v in args.error.split(",")):
                for name in args.strategies.split(","):
                    results = [
                        replay(name, data[c], min_k, threshold, error, not args.no_rescue)
                        for c in clips
                    ]
                    print(
                        f"| {threshold:g} | {error:g} | {name} | {cells(results, passes=False)} |"
                    )
        return
    print(
        "| clip | MSE | strategy | probes/tile | passes/block | tokens vs exhaustive | misses "
        "| after block 0: probes/tile | passes/block | tokens | misses |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for clip in clips:
        for threshold in (float(v) for v in args.mse.split(",")):
            for name in args.strategies.split(","):
                result = replay(name, data[clip], min_k, threshold)
                print(
                    f"| {clip} | {threshold:g} | {name} | {cells([result])} "
                    f"| {cells([result], skip_first=True)} |"
                )


if __name__ == "__main__":
    main()
