"""Tiny model folders in the shipped format, with random weights, for codec-level tests."""

import dataclasses

from elastictok_cli.model.config import PRESETS

# 16x16 tiles, 4 frames, 4x4 patches: 64 token slots, enough for searches to matter.
TINY = dataclasses.replace(
    PRESETS["test"], name="tiny-codec", patch=(1, 4, 4), min_tokens=4, context_blocks=2
)


def make_model_folder(folder, seed=0, config=TINY):
    """Save a randomly initialised model in the shipped format; return its folder."""
    from flax import nnx

    from elastictok_cli.model.elastictok import ElasticTok
    from elastictok_cli.model.weights import save_model

    model = ElasticTok(config, rngs=nnx.Rngs(seed))
    save_model(model, config, folder, f"# {config.name}\nRandom weights for tests.\n")
    return folder
