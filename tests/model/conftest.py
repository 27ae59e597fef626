"""A tiny model and random blocks shared by the model tests."""

import dataclasses

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.elastictok import ElasticTok


@pytest.fixture(scope="module")
def config():
    """The test preset with a two-block window, so caching and windows both matter."""
    return dataclasses.replace(PRESETS["test"], context_blocks=2)


@pytest.fixture(scope="module")
def model(config):
    return ElasticTok(config, rngs=nnx.Rngs(0))


@pytest.fixture
def patches(config):
    """(batch 2, 4 blocks, T, P) random patches in [-1, 1]."""
    key = jax.random.PRNGKey(1)
    return jax.random.uniform(key, (2, 4, config.max_tokens, config.patch_dim), minval=-1, maxval=1)


@pytest.fixture
def keep(config):
    """Distinct kept counts per block, including the extremes."""
    t = config.max_tokens
    return jnp.array([[1, t, 3, 5], [t, 2, 7, 4]], dtype=jnp.int32)
