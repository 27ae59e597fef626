"""Run a few train steps on a one-device and a two-device mesh; print both loss lists.

Started by test_sharding.py in a subprocess with XLA_FLAGS forcing two host devices.
"""

import json

import jax
import numpy as np
from flax import nnx

from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.train import sharding
from elastictok_cli.train.loop import compile_step
from elastictok_cli.train.step import OptimConfig, make_optimizer


def run(devices, steps=3):
    """Losses of `steps` steps on a mesh over `devices`, same data and keys every time."""
    mesh = sharding.make_mesh(devices)
    graphdef, params = nnx.split(ElasticTok(PRESETS["test"], rngs=nnx.Rngs(0)))
    params = jax.device_put(params, sharding.replicated(mesh))
    tx = make_optimizer(OptimConfig(learning_rate=3e-3, warmup_steps=1, total_steps=10))
    opt_state = jax.jit(tx.init, out_shardings=sharding.replicated(mesh))(params)
    step = compile_step(graphdef, tx, mesh, 1e-8)
    rng = np.random.default_rng(0)
    losses = []
    for i in range(steps):
        batch = rng.uniform(-1, 1, (4, 2, 4, 16, 16, 3)).astype(np.float32)
        batch = sharding.global_batch(batch, mesh)
        params, opt_state, metrics = step(params, opt_state, batch, jax.random.PRNGKey(i))
        losses.append(float(metrics["loss"]))
    shards = len(batch.sharding.device_set)
    return losses, shards


if __name__ == "__main__":
    one, one_shards = run(jax.devices()[:1])
    two, two_shards = run(jax.devices())
    print(json.dumps({"one": one, "two": two, "shards": [one_shards, two_shards]}))
