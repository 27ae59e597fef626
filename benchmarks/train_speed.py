"""Training speed per CPU preset, with the data loader's own throughput beside it.

For each preset: the median time of a jitted train step (steps/s, examples/s), the
median time the loader takes to cut one batch from the decoded cache (batches/s, on
its own), and a short run through the background prefetcher that reports the share of
time the step sat waiting for data. The loader keeps up when its batches/s exceeds the
step's steps/s and the waiting share stays near zero.

    python benchmarks/train_speed.py [DATA ...] [--presets cpu-small cpu-base] [--batch 16]

Without DATA it trains on clips it generates itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import av
import jax
import numpy as np
from flax import nnx

from elastictok_cli.model.config import get_preset
from elastictok_cli.model.elastictok import ElasticTok, count_params
from elastictok_cli.train import sharding
from elastictok_cli.train.data import load_cache
from elastictok_cli.train.loop import compile_step
from elastictok_cli.train.prefetch import Prefetcher
from elastictok_cli.train.sampling import BatchSampler
from elastictok_cli.train.step import OptimConfig, make_optimizer


def synthetic_clips(folder: Path, count: int = 3, frames: int = 48) -> list[str]:
    """Write a few 320x240 moving-pattern clips; return their paths."""
    paths = []
    yy, xx = np.mgrid[0:240, 0:320]
    for i in range(count):
        path = folder / f"clip{i}.mkv"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("ffv1", rate=25)
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv444p"
            for t in range(frames):
                rgb = np.stack([np.sin(xx / (9 + c + i) + yy / 13 + t / 4) for c in range(3)], -1)
                frame = av.VideoFrame.from_ndarray(((rgb + 1) * 127.5).astype(np.uint8), "rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        paths.append(str(path))
    return paths


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of `fn()` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def bench_preset(name: str, specs: list[str], batch: int, seq_blocks: int, steps: int) -> dict:
    """Step, loader and prefetched-loop numbers for one preset."""
    config = get_preset(name)
    tile = (config.tile_height, config.tile_width)
    began = time.perf_counter()
    cache = load_cache(
        specs,
        tile=tile,
        seq_frames=config.frames_per_block * seq_blocks,
        short_side=4 * max(tile),
        max_frames=3000,
        holdout_fraction=0.0,
    )
    decode_seconds = time.perf_counter() - began
    sampler = BatchSampler(
        cache,
        frames_per_block=config.frames_per_block,
        seq_blocks=seq_blocks,
        tile=tile,
        image_ratio=0.2,
        max_scale=4.0,
        seed=0,
    )
    counter = iter(range(10**9))
    loader = median_seconds(lambda: sampler.batch(next(counter), batch), steps)

    mesh = sharding.make_mesh()
    model = ElasticTok(config, rngs=nnx.Rngs(0))
    graphdef, params = nnx.split(model)
    params = jax.device_put(params, sharding.replicated(mesh))
    tx = make_optimizer(OptimConfig())
    opt_state = jax.jit(tx.init, out_shardings=sharding.replicated(mesh))(params)
    step = compile_step(graphdef, tx, mesh, 1e-8)
    state = {"params": params, "opt": opt_state, "i": 0}

    def one_step(blocks):
        key = jax.random.PRNGKey(state["i"])
        out = step(state["params"], state["opt"], sharding.global_batch(blocks, mesh), key)
        state["params"], state["opt"], metrics = jax.block_until_ready(out)
        state["i"] += 1

    fixed = sampler.batch(0, batch)
    one_step(fixed)  # compile
    step_seconds = median_seconds(lambda: one_step(fixed), steps)

    # The real arrangement: loader thread and step running side by side.
    with Prefetcher(lambda s: sampler.batch(s, batch), 0, steps) as prefetch:
        began = time.perf_counter()
        for _ in range(steps):
            one_step(prefetch.get()[1])
        loop_seconds = time.perf_counter() - began
        waited = prefetch.wait_seconds
    return {
        "preset": name,
        "params": count_params(model),
        "batch": f"{batch} x {seq_blocks} blocks",
        "steps_per_s": 1 / step_seconds,
        "examples_per_s": batch / step_seconds,
        "loader_batches_per_s": 1 / loader,
        "loop_steps_per_s": steps / loop_seconds,
        "data_wait_fraction": waited / loop_seconds,
        "decode_seconds": decode_seconds,
        "cache_mib": cache.nbytes / 2**20,
        "devices": jax.device_count(),
    }


def main() -> None:
    """Parse arguments, run every preset, print a Markdown table and JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", help="folders or globs of videos and images")
    parser.add_argument("--presets", nargs="+", default=["cpu-small", "cpu-base"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq-blocks", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5, help="timed repeats (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        specs = args.data or synthetic_clips(Path(tmp))
        rows = [
            bench_preset(p, specs, args.batch, args.seq_blocks, args.steps) for p in args.presets
        ]
    print(
        "| preset | params | batch | steps/s | examples/s | loader batches/s "
        "| steps/s with prefetch | data wait |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['preset']} | {r['params'] / 1e6:.2f} M | {r['batch']} | {r['steps_per_s']:.3f} "
            f"| {r['examples_per_s']:.1f} | {r['loader_batches_per_s']:.2f} "
            f"| {r['loop_steps_per_s']:.3f} | {r['data_wait_fraction']:.1%} |"
        )
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
