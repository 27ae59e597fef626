"""k kept means exactly k tokens, in training and at inference."""

import jax
import jax.numpy as jnp
import numpy as np

from elastictok_cli.model.elastictok import kept_mask
from elastictok_cli.model.patching import patchify
from elastictok_cli.train.masking import sample_keep_counts
from elastictok_cli.train.step import elastic_loss


def test_kept_mask_keeps_exactly_k():
    counts = jnp.arange(0, 9)
    mask = kept_mask(counts, 8)
    np.testing.assert_array_equal(mask.sum(-1), counts)
    assert bool(mask[3, 2]) and not bool(mask[3, 3])


def test_training_samples_cover_both_ends_and_stay_in_range():
    k = np.asarray(sample_keep_counts(jax.random.PRNGKey(0), (20000,), 3, 9))
    assert k.min() == 3 and k.max() == 9
    assert set(np.unique(k).tolist()) == set(range(3, 10))


def test_a_full_share_keeps_every_token_in_whole_sequences():
    k = np.asarray(sample_keep_counts(jax.random.PRNGKey(0), (4000, 2), 3, 9, full_share=0.25))
    full = (k == 9).all(axis=1)
    # A quarter by the share, plus the uniform draws that land on 9 twice (3/4 x 1/49).
    assert 0.22 < full.mean() < 0.30
    assert set(np.unique(k).tolist()) == set(range(3, 10))
    assert not (k == 9).all()


def test_without_a_full_share_the_masks_are_the_uniform_ones_of_earlier_runs():
    # Runs saved before the share existed resume with the masks they had.
    key = jax.random.PRNGKey(3)
    uniform = jax.random.randint(key, (64, 2), 3, 10, dtype=jnp.int32)
    np.testing.assert_array_equal(sample_keep_counts(key, (64, 2), 3, 9), uniform)


def test_a_loss_with_every_sequence_full_is_the_loss_at_all_tokens(config, model):
    blocks = jax.random.uniform(jax.random.PRNGKey(2), (2, 2, 4, 16, 16, 3), minval=-1, maxval=1)
    loss, _ = elastic_loss(model, blocks, jax.random.PRNGKey(4), full_share=1.0)
    patches = patchify(blocks, config)
    full = jnp.full(patches.shape[:2], config.max_tokens, jnp.int32)
    expected = jnp.mean((model(patches, full)["recon"] - patches) ** 2)
    np.testing.assert_allclose(float(loss), float(expected), rtol=1e-5)
    uniform, _ = elastic_loss(model, blocks, jax.random.PRNGKey(4))
    assert abs(float(uniform) - float(expected)) > 1e-6
