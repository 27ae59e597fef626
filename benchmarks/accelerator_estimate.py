"""Size of a preset's training step without running it: parameters, FLOPs, memory per example.

The model is built abstractly (no weights allocated), the full training step (forward,
backward, AdamW) is lowered and compiled for batch 1 and 2 on this machine's backend,
and XLA's own cost and memory analyses are read. The per-example figures are the
difference between the two batches, so the parameters and optimizer state drop out.
An analytic count of the matmul FLOPs is printed beside XLA's as a cross-check, and the
attention scores' share of the memory as a floor that does not depend on the compiler.

    python benchmarks/accelerator_estimate.py [--preset paper-256] [--seq-blocks 2] [--plain-xla]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import jax
import jax.numpy as jnp
from flax import nnx

from elastictok_cli import xla_defaults
from elastictok_cli.model.config import ModelConfig, get_preset
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.train.run_config import OptimConfig, TrainConfig
from elastictok_cli.train.step import make_optimizer, make_train_step

GIB = 1024**3


def abstract_model(config: ModelConfig):
    """Graph definition and parameter shapes of the preset, with nothing allocated."""
    model = nnx.eval_shape(lambda: ElasticTok(config, rngs=nnx.Rngs(0)))
    return nnx.split(model)


def analytic_flops(config: ModelConfig, batch: int, seq_blocks: int) -> float:
    """Matmul FLOPs of one training step: 3x the forward pass (backward costs two)."""
    tokens = config.max_tokens * seq_blocks

    def stack(width: int, layers: int) -> float:
        hidden = int(config.mlp_ratio * width)
        weights = 3 * width * width + width * width + 3 * width * hidden
        # The mask does not skip work: every query meets every key of the sequence.
        attention = 2 * tokens * width
        return layers * tokens * 2 * (weights + attention)

    c = config
    stems = tokens * 2 * (c.patch_dim * c.width + c.dec_width * c.patch_dim)
    latent = tokens * 2 * (c.width * c.latent_dim + c.latent_dim * c.dec_width)
    forward = (
        stack(c.width, c.encoder_layers) + stack(c.dec_width, c.decoder_layers) + stems + latent
    )
    return 3 * batch * forward


def compiled_step(config: ModelConfig, batch: int, seq_blocks: int) -> dict:
    """XLA's FLOPs and memory for one compiled training step at this batch."""
    graphdef, params = abstract_model(config)
    tx = make_optimizer(OptimConfig())
    opt_state = jax.eval_shape(tx.init, params)
    blocks = jax.ShapeDtypeStruct(
        (batch, seq_blocks, config.frames_per_block, config.tile_height, config.tile_width, 3),
        jnp.float32,
    )
    key = jax.ShapeDtypeStruct((2,), jnp.uint32)
    step = make_train_step(graphdef, tx, full_share=TrainConfig().full_share)
    began = time.perf_counter()
    compiled = jax.jit(step).lower(params, opt_state, blocks, key).compile()
    seconds = time.perf_counter() - began
    cost = compiled.cost_analysis()
    if isinstance(cost, list):
        cost = cost[0]
    memory = compiled.memory_analysis()
    return {
        "batch": batch,
        "flops": float(cost.get("flops", 0.0)),
        "arguments": memory.argument_size_in_bytes,
        "outputs": memory.output_size_in_bytes,
        "temp": memory.temp_size_in_bytes,
        "compile_s": seconds,
    }


def main() -> None:
    """Print the preset's facts and a table of the compiled step at batch 1 and 2."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper-256")
    parser.add_argument(
        "--seq-blocks", type=int, default=TrainConfig().seq_blocks, help="blocks per sequence"
    )
    parser.add_argument(
        "--plain-xla", action="store_true", help="XLA's own CPU flags, not the command line's"
    )
    args = parser.parse_args()
    # The buffer assignment depends on the CPU flags: the command line's unless --plain-xla.
    if args.plain_xla:
        flags = os.environ.get("XLA_FLAGS", "").split()
        kept = [f for f in flags if f.split("=", 1)[0] not in xla_defaults.CPU_FLAGS]
        os.environ["XLA_FLAGS"] = " ".join(kept)
    else:
        xla_defaults.apply()
    config = get_preset(args.preset)
    _, params = abstract_model(config)
    count = sum(math.prod(x.shape) for x in jax.tree.leaves(params))
    tokens = config.max_tokens * args.seq_blocks
    print(
        f"{config.name}: {count:,} parameters; {config.tile_width}x{config.tile_height}x"
        f"{config.frames_per_block} blocks of {config.max_tokens} tokens; "
        f"sequences of {args.seq_blocks} block(s), {tokens:,} tokens; backend "
        f"{jax.default_backend()}, jax {jax.__version__}"
    )
    rows = [compiled_step(config, batch, args.seq_blocks) for batch in (1, 2)]
    print()
    print(
        "| batch | XLA FLOPs | analytic matmul FLOPs "
        "| arguments | outputs | temporaries | compile |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        analytic = analytic_flops(config, row["batch"], args.seq_blocks)
        print(
            f"| {row['batch']} | {row['flops']:.3e} | {analytic:.3e} "
            f"| {row['arguments'] / GIB:.2f} GiB | {row['outputs'] / GIB:.2f} GiB "
            f"| {row['temp'] / GIB:.2f} GiB | {row['compile_s']:.0f} s |"
        )
    one, two = rows
    per_flops = two["flops"] - one["flops"]
    per_bytes = (two["temp"] + two["arguments"]) - (one["temp"] + one["arguments"])
    # One heads x N x N float32 score matrix per layer is the least attention keeps for the
    # backward pass unless it recomputes the scores, which this model's attention does not.
    scores = config.heads * tokens * tokens * 4
    layers = config.encoder_layers + config.decoder_layers
    print()
    print(f"per example: {per_flops:.3e} FLOPs, {per_bytes / GIB:.2f} GiB (batch 2 minus batch 1)")
    print(
        f"batch 1 in all: {(one['arguments'] + one['temp']) / GIB:.2f} GiB "
        "(arguments and temporaries; the outputs reuse the arguments when donated)"
    )
    print(
        f"attention scores: {scores / GIB:.2f} GiB per layer and example, at least "
        f"{layers * scores / GIB:.2f} GiB per example over {layers} layers (analytic)"
    )


if __name__ == "__main__":
    main()
