"""Patchify and unpatchify are exact inverses and follow raster order over (t, h, w)."""

import numpy as np

from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.patching import patchify, unpatchify


def test_round_trip_is_identity():
    config = PRESETS["cpu-small"]
    block = np.random.default_rng(0).random((2, 4, 64, 64, 3)).astype(np.float32)
    tokens = patchify(block, config)
    assert tokens.shape == (2, config.max_tokens, config.patch_dim)
    np.testing.assert_array_equal(unpatchify(tokens, config), block)


def test_first_token_is_the_top_left_patch_of_the_first_frame():
    config = PRESETS["test"]  # patch (2, 8, 8) over 4 x 16 x 16
    block = np.arange(4 * 16 * 16 * 3, dtype=np.float32).reshape(4, 16, 16, 3)
    tokens = np.asarray(patchify(block, config))
    np.testing.assert_array_equal(tokens[0].reshape(2, 8, 8, 3), block[:2, :8, :8])
    # Raster order: the next token moves along w, then h, then t.
    np.testing.assert_array_equal(tokens[1].reshape(2, 8, 8, 3), block[:2, :8, 8:])
    np.testing.assert_array_equal(tokens[2].reshape(2, 8, 8, 3), block[:2, 8:, :8])
    np.testing.assert_array_equal(tokens[4].reshape(2, 8, 8, 3), block[2:, :8, :8])
