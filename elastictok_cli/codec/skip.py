"""Skipped tiles: a tile-block that repeats the tile's last decoded frame costs no tokens.

The encoder decides before any model pass, from pixels alone: a tile whose block the
held frame (its last decoded frame, as the decoder shows it in 8 bits) reproduces
within the target is skipped; so is one the target is out of reach for (its last coded
block missed it) whose held frame is no worse than that block was: coding it again
would spend tokens on the model's own error, which no k removes. The decoder shows the
held frame again, exactly, and a skipped block enters neither model context: the tile's
next coded block sees the blocks coded before it. A tile with nothing decoded yet holds a
flat grey frame (0 on the [-1, 1] scale), which is what concealment shows where nothing
was ever decoded.
"""

from __future__ import annotations

import numpy as np

from elastictok_cli.codec.pixels import from_model_range, to_model_range
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.patching import patchify, unpatchify


def held_block(recon: np.ndarray | None, config: ModelConfig, tiles: int) -> np.ndarray:
    """(S, T, P) each tile's last decoded frame repeated over a block (grey before any)."""
    if recon is None:
        return np.zeros((tiles, config.max_tokens, _patch_size(config)), np.float32)
    frames = np.asarray(unpatchify(np.asarray(recon, np.float32), config))  # (S, F, H, W, C)
    held = np.repeat(frames[:, -1:], config.frames_per_block, axis=1)
    return np.asarray(patchify(held, config), np.float32)


def hold(recon: np.ndarray, patches: np.ndarray, weight: np.ndarray, config: ModelConfig):
    """The held frames of a block after `recon`, and each tile's distortion showing them."""
    held = held_block(recon, config, len(patches))
    return held, skip_distortion(patches, held, weight)


def shown(values: np.ndarray) -> np.ndarray:
    """Values as the decoder shows them: through 8-bit pixels and back."""
    return to_model_range(from_model_range(values))


def skip_distortion(patches: np.ndarray, held: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(S,) weighted MSE on [-1, 1] of showing the held frames instead of the block."""
    error = np.asarray(weight, np.float64) * (shown(held) - np.asarray(patches)) ** 2
    return error.sum(axis=(1, 2)) / np.asarray(weight, np.float64).sum(axis=(1, 2))


def with_held(recon: np.ndarray | None, held: np.ndarray, skipped: np.ndarray) -> np.ndarray:
    """A block's patches with the skipped tiles' replaced by their held frames."""
    if recon is None:
        return held.copy()
    out = np.array(recon, np.float32)
    out[skipped] = held[skipped]
    return out


def _patch_size(config: ModelConfig) -> int:
    """Values in one patch (Tp * Hp * Wp * 3)."""
    tp, hp, wp = config.patch
    return tp * hp * wp * 3
