"""FSQ: ids and codes convert losslessly, codes sit on the grid, gradients pass through."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np

from elastictok_cli.model import bottleneck

LEVELS = (4, 3, 5)


def test_index_code_index_is_identity_over_every_code():
    ids = jnp.arange(int(np.prod(LEVELS)))
    codes = bottleneck.fsq_indices_to_codes(ids, LEVELS)
    np.testing.assert_array_equal(bottleneck.fsq_codes_to_indices(codes, LEVELS), ids)
    assert len({tuple(c) for c in np.asarray(codes).tolist()}) == len(ids)


def test_quantized_codes_lie_on_the_grid_and_use_every_level():
    z = jnp.linspace(-6, 6, 4001)[:, None] * jnp.ones((1, len(LEVELS)))
    codes = np.asarray(bottleneck.fsq_quantize(z, LEVELS))
    grid = np.asarray(bottleneck.fsq_indices_to_codes(jnp.arange(int(np.prod(LEVELS))), LEVELS))
    for dim, levels in enumerate(LEVELS):
        values = np.unique(codes[:, dim])
        assert len(values) == levels
        assert set(values.tolist()) <= set(grid[:, dim].tolist())
    assert np.all(np.abs(codes) <= 1.0)


def test_every_digit_combination_round_trips_through_quantize():
    grid = np.array(list(itertools.product(*[range(n) for n in LEVELS])))
    half = np.floor(np.array(LEVELS) / 2)
    codes = (grid - half) / half
    # Codes are fixed points of quantization, up to float rounding inside tanh.
    ids = bottleneck.fsq_codes_to_indices(jnp.asarray(codes, jnp.float32), LEVELS)
    assert len(set(np.asarray(ids).tolist())) == len(grid)


def test_straight_through_gradient_is_nonzero():
    grad = jax.grad(lambda z: jnp.sum(bottleneck.fsq_quantize(z, LEVELS) * 3.0))(
        jnp.full((5, 3), 0.3)
    )
    assert np.all(np.asarray(grad) != 0)


def test_vae_mean_without_key_and_kl_zero_at_prior():
    moments = jnp.zeros((2, 8))
    np.testing.assert_array_equal(bottleneck.vae_sample(moments, None), jnp.zeros((2, 4)))
    np.testing.assert_allclose(bottleneck.vae_kl(moments), 0.0, atol=1e-6)
