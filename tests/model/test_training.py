"""A few training steps of the tiny preset lower the loss."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.train.step import OptimConfig, make_optimizer, make_train_step


def test_a_few_steps_lower_the_loss():
    config = PRESETS["test"]
    graphdef, params = nnx.split(ElasticTok(config, rngs=nnx.Rngs(0)))
    tx = make_optimizer(OptimConfig(learning_rate=3e-3, warmup_steps=5, total_steps=60))
    opt_state = tx.init(params)
    step = jax.jit(make_train_step(graphdef, tx))
    # Smooth structured content the model can learn quickly: gradients over the block.
    ramp = jnp.linspace(-0.8, 0.8, 16)
    frame = ramp[:, None, None] * jnp.array([1.0, -0.5, 0.3]) + 0 * ramp[None, :, None]
    blocks = jnp.broadcast_to(frame, (4, 2, 4, 16, 16, 3))
    losses = []
    for i in range(60):
        params, opt_state, metrics = step(params, opt_state, blocks, jax.random.PRNGKey(i))
        losses.append(float(metrics["loss"]))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
