"""XLA CPU flag sets side by side: a codec probe pass and a training step, time and page faults.

XLA_FLAGS is read once when JAX starts, so every flag set runs in its own child process;
rounds interleave the flag sets (A B C A B C ...) so that a noisy machine affects them
alike. Medians over rounds; ratios are against the first flag set (the default).

    python benchmarks/xla_flags.py [--model models/elastictok-64] [--rounds 3]
        [--flags="default;--xla_cpu_experimental_ynn_fusion_type=;..."]

(flag sets separated by ";", "default" for none; write `--flags=` so the dashes of the
XLA flags are not read as options)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

DEFAULT_FLAG_SETS = "default;--xla_cpu_experimental_ynn_fusion_type=;--xla_cpu_use_xnnpack=false"


def _usage():
    """CPU seconds (user, system) and minor page faults of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, r.ru_minflt


def _measured(fn, repeats: int) -> dict:
    """Median wall, user, system seconds and page faults of `fn()` after a warm-up call."""
    fn()
    rows = []
    for _ in range(repeats):
        u0, s0, f0 = _usage()
        began = time.perf_counter()
        fn()
        wall = time.perf_counter() - began
        u1, s1, f1 = _usage()
        rows.append((wall, u1 - u0, s1 - s0, f1 - f0))
    keys = ("wall_s", "user_s", "sys_s", "minor_faults")
    return {k: statistics.median(r[i] for r in rows) for i, k in enumerate(keys)}


def child(model_path: str, tiles: int, probes_per_tile: int, batch: int, repeats: int) -> dict:
    """Measure one probe pass and one training step under the inherited XLA_FLAGS."""
    import jax
    import numpy as np
    from flax import nnx

    from elastictok_cli.codec.engine import TileEngine
    from elastictok_cli.model.registry import load
    from elastictok_cli.train import sharding
    from elastictok_cli.train.loop import compile_step
    from elastictok_cli.train.step import OptimConfig, make_optimizer

    loaded = load(model_path)
    config = loaded.config
    rng = np.random.default_rng(0)
    values = config.patch[0] * config.patch[1] * config.patch[2] * 3
    patches = rng.uniform(-1, 1, (tiles, config.max_tokens, values)).astype(np.float32)
    engine = TileEngine(loaded.model, tiles)
    ks = np.linspace(config.min_tokens, config.max_tokens, probes_per_tile).astype(int)

    def probe_pass():
        engine.begin_block(patches, np.ones_like(patches), 0.01)
        engine.probe([ks] * tiles)

    mesh = sharding.make_mesh()
    graphdef, params = nnx.split(loaded.model)
    tx = make_optimizer(OptimConfig())
    opt_state = jax.jit(tx.init)(params)
    step = compile_step(graphdef, tx, mesh, 1e-8)
    shape = (batch, 2, config.frames_per_block, config.tile_height, config.tile_width, 3)
    blocks = rng.integers(0, 256, shape, dtype=np.uint8)
    key = jax.random.PRNGKey(0)

    def train_step():
        jax.block_until_ready(step(params, opt_state, sharding.global_batch(blocks, mesh), key))

    return {"probe": _measured(probe_pass, repeats), "train": _measured(train_step, repeats)}


def run_child(flags: str, args) -> dict:
    """One child process under `flags`; its JSON result."""
    env = dict(os.environ, XLA_FLAGS=flags)
    command = [sys.executable, __file__, "--child", "--model", args.model]
    command += ["--tiles", str(args.tiles), "--probes", str(args.probes)]
    command += ["--batch", str(args.batch), "--repeats", str(args.repeats)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Interleave the flag sets over rounds; print a Markdown table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/elastictok-64")
    parser.add_argument("--flags", default=DEFAULT_FLAG_SETS, help='";"-separated flag sets')
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tiles", type=int, default=6)
    parser.add_argument("--probes", type=int, default=4, help="k probed per tile in a pass")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.model, args.tiles, args.probes, args.batch, args.repeats)))
        return
    flag_sets = ["" if f.strip() == "default" else f.strip() for f in args.flags.split(";")]
    results = {flags: [] for flags in flag_sets}
    for _ in range(args.rounds):
        for flags in flag_sets:
            results[flags].append(run_child(flags, args))
    base = None
    print(f"probe pass: {args.tiles} tiles x {args.probes} k; train step: batch {args.batch}")
    print("| XLA_FLAGS | probe wall s | probe sys/user | probe faults | train wall s |")
    print("|---|---|---|---|---|")
    for flags, runs in results.items():
        med = {
            part: {k: statistics.median(r[part][k] for r in runs) for k in runs[0][part]}
            for part in ("probe", "train")
        }
        base = base or med
        p, t = med["probe"], med["train"]
        print(
            f"| `{flags or '(default)'}` | {p['wall_s']:.3f} "
            f"({p['wall_s'] / base['probe']['wall_s']:.2f}x) | "
            f"{p['sys_s']:.2f}/{p['user_s']:.2f} | {p['minor_faults']:.0f} | "
            f"{t['wall_s']:.3f} ({t['wall_s'] / base['train']['wall_s']:.2f}x) |"
        )


if __name__ == "__main__":
    main()
