"""The training step: elastic masking, the pixel loss, AdamW, all as pure jitted functions."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from elastictok_cli.metrics import psnr_array
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.model.patching import patchify
from elastictok_cli.train.masking import sample_keep_counts

# Declared with the run's other settings, where the CLI reads it without importing JAX.
from elastictok_cli.train.run_config import OptimConfig


def make_schedule(cfg: OptimConfig) -> optax.Schedule:
    """Learning rate per step: linear warmup, then cosine decay or constant."""
    if cfg.schedule == "cosine":
        return optax.warmup_cosine_decay_schedule(
            0.0,
            cfg.learning_rate,
            cfg.warmup_steps,
            max(cfg.total_steps, cfg.warmup_steps + 1),
            end_value=cfg.learning_rate * cfg.end_lr_fraction,
        )
    if cfg.schedule == "constant":
        return optax.join_schedules(
            [
                optax.linear_schedule(0.0, cfg.learning_rate, cfg.warmup_steps),
                optax.constant_schedule(cfg.learning_rate),
            ],
            [cfg.warmup_steps],
        )
    raise ValueError(f"unknown schedule {cfg.schedule!r}")


def make_optimizer(cfg: OptimConfig) -> optax.GradientTransformation:
    """AdamW with warmup, then cosine or constant learning rate, after gradient clipping."""
    lr = make_schedule(cfg)
    return optax.chain(
        optax.clip_by_global_norm(cfg.grad_clip),
        optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay),
    )


def elastic_loss(model: ElasticTok, blocks, key, kl_weight: float = 1e-8, full_share: float = 0.0):
    """Loss of (B, blocks, F, H, W, 3) pixels in [-1, 1] under random per-block kept counts."""
    c = model.config
    mask_key, sample_key = jax.random.split(key)
    patches = patchify(blocks, c)
    keep = sample_keep_counts(mask_key, patches.shape[:2], c.min_tokens, c.max_tokens, full_share)
    out = model(patches, keep, key=sample_key if c.bottleneck == "vae" else None)
    mse = jnp.mean((out["recon"] - patches) ** 2)
    loss = mse + kl_weight * jnp.mean(out["kl"])
    return loss, {"loss": loss, "mse": mse, "psnr": psnr_array(mse, xp=jnp)}


def make_train_step(
    graphdef: nnx.GraphDef,
    tx: optax.GradientTransformation,
    kl_weight: float = 1e-8,
    full_share: float = 0.0,
) -> Callable:
    """A pure step (params, opt_state, blocks, key) -> (params, opt_state, metrics)."""

    def loss_of(params, blocks, key):
        return elastic_loss(nnx.merge(graphdef, params), blocks, key, kl_weight, full_share)

    def step(params, opt_state, blocks, key):
        grads, metrics = jax.grad(loss_of, has_aux=True)(params, blocks, key)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        metrics["grad_norm"] = optax.tree.norm(grads)
        return params, opt_state, metrics

    return step
