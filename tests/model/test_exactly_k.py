"""k kept means exactly k tokens, in training and at inference."""

import jax
import jax.numpy as jnp
import numpy as np

from elastictok_cli.model.elastictok import kept_mask
from elastictok_cli.train.masking import sample_keep_counts


def test_kept_mask_keeps_exactly_k():
    counts = jnp.arange(0, 9)
    mask = kept_mask(counts, 8)
    np.testing.assert_array_equal(mask.sum(-1), counts)
    assert bool(mask[3, 2]) and not bool(mask[3, 3])


def test_training_samples_cover_both_ends_and_stay_in_range():
    k = np.asarray(sample_keep_counts(jax.random.PRNGKey(0), (20000,), 3, 9))
    assert k.min() == 3 and k.max() == 9
    assert set(np.unique(k).tolist()) == set(range(3, 10))
