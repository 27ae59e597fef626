"""Quality per CPU time: train candidate designs for equal CPU seconds, compare on held-out clips.

Run: python benchmarks/design_sweep.py --train CLIPS... --val CLIPS... --cpu-seconds 480
Each candidate trains from scratch for the same process CPU time (robust to other load on
the machine), then reports PSNR on fixed validation blocks at token fractions 1/16..1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import av
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from elastictok_cli.metrics import psnr_array
from elastictok_cli.model.config import get_preset
from elastictok_cli.model.elastictok import ElasticTok, count_params
from elastictok_cli.model.patching import patchify
from elastictok_cli.train.step import OptimConfig, make_optimizer, make_train_step

CANDIDATES = {
    "small-lr1e-3": ("cpu-small", {}, {"learning_rate": 1e-3}, 16),
    "small-lr2e-3": ("cpu-small", {}, {"learning_rate": 2e-3}, 16),
    "small-lr3e-3": ("cpu-small", {}, {"learning_rate": 3e-3}, 16),
    "small-lr2e-3-b8": ("cpu-small", {}, {"learning_rate": 2e-3}, 8),
    "base-lr2e-3": ("cpu-base", {}, {"learning_rate": 2e-3}, 16),
    "wide-decoder-lr2e-3": ("cpu-wide-decoder", {}, {"learning_rate": 2e-3}, 16),
    "small-mlp-stems-lr2e-3": (
        "cpu-small",
        {"head": "mlp", "patch_embed": "mlp"},
        {"learning_rate": 2e-3},
        16,
    ),
}


def load_clip(path: str, max_frames: int, scale: float) -> np.ndarray:
    """Decode up to max_frames RGB frames, downscaled by `scale` so more content fits a tile."""
    with av.open(path) as container:
        frames = []
        for frame in container.decode(video=0):
            w, h = int(frame.width * scale) // 2 * 2, int(frame.height * scale) // 2 * 2
            frames.append(frame.reformat(width=w, height=h, format="rgb24").to_ndarray())
            if len(frames) >= max_frames:
                break
    return np.stack(frames)


def sample_batch(rng, clips, batch, seq_blocks, config) -> np.ndarray:
    """Random (batch, seq, F, H, W, 3) crops of consecutive frames in [-1, 1]."""
    f, th, tw = config.frames_per_block, config.tile_height, config.tile_width
    need = seq_blocks * f
    out = np.empty((batch, need, th, tw, 3), np.uint8)
    for i in range(batch):
        clip = clips[rng.integers(len(clips))]
        t = rng.integers(clip.shape[0] - need + 1)
        y = rng.integers(clip.shape[1] - th + 1)
        x = rng.integers(clip.shape[2] - tw + 1)
        out[i] = clip[t : t + need, y : y + th, x : x + tw]
    pixels = out.astype(np.float32) / 127.5 - 1.0
    return pixels.reshape(batch, seq_blocks, f, th, tw, 3)


def evaluate(model, blocks: np.ndarray) -> dict[str, float]:
    """PSNR of fixed validation sequences at token fractions 1/16, 1/4, 1/2, 1."""
    c = model.config
    patches = patchify(jnp.asarray(blocks), c)
    scores = {}
    for label, frac in (("1/16", 1 / 16), ("1/4", 1 / 4), ("1/2", 1 / 2), ("1", 1.0)):
        k = max(c.min_tokens, int(round(frac * c.max_tokens)))
        keep = jnp.full(patches.shape[:2], k, jnp.int32)
        recon = jax.jit(lambda p, kk: model(p, kk)["recon"])(patches, keep)
        scores[label] = float(psnr_array(jnp.mean((recon - patches) ** 2), xp=jnp))
    return scores


def run_candidate(name, spec, train_clips, val_blocks, cpu_seconds, seed=0):
    """Train one candidate for a CPU-time budget and evaluate it."""
    preset, model_changes, optim_changes, batch = spec
    config = dataclasses.replace(get_preset(preset), **model_changes)
    model = ElasticTok(config, rngs=nnx.Rngs(seed))
    graphdef, params = nnx.split(model)
    optim = dataclasses.replace(OptimConfig(warmup_steps=100, total_steps=2000), **optim_changes)
    tx = make_optimizer(optim)
    opt_state = tx.init(params)
    step = jax.jit(make_train_step(graphdef, tx))
    rng = np.random.default_rng(seed)
    start_cpu, start_wall, steps, losses = time.process_time(), time.time(), 0, []
    while time.process_time() - start_cpu < cpu_seconds:
        blocks = sample_batch(rng, train_clips, batch, 2, config)
        key = jax.random.PRNGKey(steps)
        params, opt_state, metrics = step(params, opt_state, blocks, key)
        losses.append(float(metrics["psnr"]))
        steps += 1
    scores = evaluate(nnx.merge(graphdef, params), val_blocks)
    return {
        "candidate": name,
        "params": count_params(model),
        "steps": steps,
        "wall_s": round(time.time() - start_wall),
        "train_psnr": float(np.mean(losses[-20:])),
        "val_psnr": scores,
    }


def main() -> None:
    """Run every candidate for equal CPU time and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--val", nargs="+", required=True)
    parser.add_argument("--cpu-seconds", type=float, default=480)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--only", default=",".join(CANDIDATES))
    args = parser.parse_args()
    train_clips = [load_clip(p, 300, args.scale) for p in args.train]
    val_clips = [load_clip(p, 300, args.scale) for p in args.val]
    config = get_preset("cpu-small")
    val_blocks = sample_batch(np.random.default_rng(1234), val_clips, 48, 2, config)
    for name in args.only.split(","):
        result = run_candidate(name, CANDIDATES[name], train_clips, val_blocks, args.cpu_seconds)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
