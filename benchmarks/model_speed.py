"""Model speed on this machine: block encode+decode, training step, FLOP rate vs a big matmul.

Run: python benchmarks/model_speed.py [--presets cpu-small,cpu-base] [--repeats 5]
Prints a Markdown table; medians over repeats, all presets and the matmul in one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import jax
import jax.numpy as jnp
from flax import nnx

from elastictok_cli.model import streaming
from elastictok_cli.model.config import get_preset
from elastictok_cli.model.elastictok import ElasticTok, count_params
from elastictok_cli.train.step import OptimConfig, make_optimizer, make_train_step


def median_seconds(fn, repeats: int) -> float:
    """Median wall time of `fn()` after one warm-up call (which also compiles)."""
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compiled_flops(fn, *args) -> float:
    """FLOPs XLA counts for one call of the jitted `fn`."""
    analysis = jax.jit(fn).lower(*args).compile().cost_analysis()
    if isinstance(analysis, list):
        analysis = analysis[0]
    return float(analysis.get("flops", 0.0))


def matmul_rate(size: int, repeats: int) -> float:
    """GFLOP/s of a large float32 matmul: the machine's practical peak."""
    a = jax.random.normal(jax.random.PRNGKey(0), (size, size))
    dot = jax.jit(jnp.dot)
    seconds = median_seconds(lambda: dot(a, a), repeats)
    return 2 * size**3 / seconds / 1e9


def block_round_trip(config, model, repeats: int) -> float:
    """Seconds for one encode+decode of one block at k = max with a committed context."""
    graphdef, state = nnx.split(model)

    @jax.jit
    def round_trip(state, enc, dec, patches, keep):
        m = nnx.merge(graphdef, state)
        codes, _ = streaming.encode_step(m, enc, patches, keep)
        recon, _ = streaming.decode_step(m, dec, codes, keep)
        return recon

    enc = streaming.empty_cache(config, 1, decoder=False)
    dec = streaming.empty_cache(config, 1, decoder=True)
    enc = enc.__class__(enc.keys, enc.values, jnp.full_like(enc.valid, config.context_blocks - 1))
    dec = dec.__class__(dec.keys, dec.values, jnp.full_like(dec.valid, config.context_blocks - 1))
    patches = jnp.zeros((1, config.max_tokens, config.patch_dim))
    keep = jnp.full((1, 1), config.max_tokens, jnp.int32)
    return median_seconds(lambda: round_trip(state, enc, dec, patches, keep), repeats)


def train_step_stats(config, model, batch: int, seq_blocks: int, repeats: int):
    """(seconds per step, FLOPs per step) for one AdamW step of the elastic loss."""
    graphdef, params = nnx.split(model)
    tx = make_optimizer(OptimConfig())
    opt_state = tx.init(params)
    step = make_train_step(graphdef, tx)
    shape = (batch, seq_blocks, config.frames_per_block, config.tile_height, config.tile_width, 3)
    blocks = jax.random.uniform(jax.random.PRNGKey(0), shape, minval=-1, maxval=1)
    key = jax.random.PRNGKey(1)
    flops = compiled_flops(step, params, opt_state, blocks, key)
    jitted = jax.jit(step)
    seconds = median_seconds(lambda: jitted(params, opt_state, blocks, key), repeats)
    return seconds, flops


def main() -> None:
    """Measure every requested preset and the matmul reference in one run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", default="cpu-small,cpu-base,cpu-wide-decoder")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq-blocks", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--matmul-size", type=int, default=2048)
    args = parser.parse_args()

    peak = matmul_rate(args.matmul_size, args.repeats)
    print(f"devices: {jax.devices()}; matmul {args.matmul_size}^2 float32: {peak:.1f} GFLOP/s\n")
    print(
        "| preset | params | block enc+dec (k=max) | train step "
        f"(batch {args.batch} x {args.seq_blocks} blocks) | GFLOP/step | GFLOP/s | of matmul |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.presets.split(","):
        config = get_preset(name)
        model = ElasticTok(config, rngs=nnx.Rngs(0))
        block = block_round_trip(config, model, args.repeats)
        seconds, flops = train_step_stats(config, model, args.batch, args.seq_blocks, args.repeats)
        rate = flops / seconds / 1e9
        print(
            f"| {name} | {count_params(model) / 1e6:.2f} M | {block * 1e3:.1f} ms | "
            f"{seconds:.2f} s | {flops / 1e9:.1f} | {rate:.1f} | {rate / peak:.0%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
