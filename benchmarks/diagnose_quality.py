"""Where a model's full-token error comes from: the measurements behind the model card.

Run:
  python benchmarks/diagnose_quality.py scale CLIP... --model models/NAME
      full-token PSNR (of the mean MSE) of the first 8 frames cut into whole tiles, at
      the clip's size and scaled down to 0.85, 0.6 and 0.43 of it, as training crops are;
  python benchmarks/diagnose_quality.py pca CLIP...
      PSNR kept by the top 64, 96, 128 and 160 principal components of the first 16
      frames' patches: the ceiling of a linear patch embedding of that width;
  python benchmarks/diagnose_quality.py crops DATA... --model models/NAME [--model ...]
      the in-run evaluation crops of `elastictok train` (held-out parts of DATA), 16 and
      128 blocks, at 1/16, 1/4, 1/2 and all tokens: mean per-block PSNR / PSNR of the
      mean MSE;
  python benchmarks/diagnose_quality.py full-length CLIP... --model models/NAME [--model ...]
      whole tiles of the first 8 frames as sequences of 2 blocks, each block keeping one
      token fewer than all, or all: the PSNR of the mean MSE of each block. A block at full
      length has no dropped token to attend to; with one in its window it does;
  python benchmarks/diagnose_quality.py bottleneck CLIP... --model models/NAME [--model ...]
      the same whole tiles at half and all tokens, the decoder fed the encoder's latents
      rounded to the FSQ grid, to grids 2x and 4x finer per dimension, or not rounded:
      how much of the error is the codebook's and how much the networks';
  python benchmarks/diagnose_quality.py patch-error CLIP... --model models/NAME [--model ...]
      the same whole tiles at all tokens: squared error by pixel position inside a patch,
      relative to its mean, and the ratio of the patch's border pixels to its interior.
      Patches decoded independently of their neighbours would show it at their seams.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import av
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from elastictok_cli.metrics import psnr_array
from elastictok_cli.model import registry
from elastictok_cli.model.bottleneck import fsq_bound
from elastictok_cli.model.elastictok import kept_mask
from elastictok_cli.model.patching import patchify
from elastictok_cli.model.transformer import block_causal_mask
from elastictok_cli.train.data import decode_frames
from elastictok_cli.train.evaluate import block_mse_at
from elastictok_cli.train.loop import load_data
from elastictok_cli.train.run_config import TrainConfig

SCALES = (1.0, 0.85, 0.6, 0.43)
GRID_STEPS = {"FSQ": 1.0, "2x finer": 0.5, "4x finer": 0.25, "unrounded": 0.0}
COMPONENTS = (64, 96, 128, 160)


def read_frames(path: str, count: int, scale: float = 1.0) -> np.ndarray:
    """The first `count` frames as float32 (n, h, w, 3) in [-1, 1], decoded as the cache does."""
    with av.open(path) as container:
        stream = container.streams.video[0].codec_context
        short = min(stream.height, stream.width)
    frames = decode_frames(Path(path), round(short * scale), (1, 1), count)
    return frames.astype(np.float32) / 127.5 - 1.0


def whole_tiles(frames: np.ndarray, tile: int, frames_per_block: int) -> np.ndarray:
    """Sequences (tiles, blocks, F, tile, tile, 3) of the whole tiles only (no padding)."""
    n, height, width, _ = frames.shape
    ty, tx = height // tile, width // tile
    cut = frames[:, : ty * tile, : tx * tile].reshape(n, ty, tile, tx, tile, 3)
    tiles = cut.transpose(1, 3, 0, 2, 4, 5).reshape(ty * tx, n, tile, tile, 3)
    return tiles.reshape(ty * tx, n // frames_per_block, frames_per_block, tile, tile, 3)


def load_model(name_or_path: str):
    """(model, config, sha256) of a model given by name or folder."""
    loaded = registry.load(name_or_path)
    return loaded.model, loaded.config, loaded.sha256


def whole_tile_pairs(path: str, clips: list[str]):
    """A model split for jit, its config and sha, and whole tiles of each clip's first 2 blocks."""
    model, config, sha = load_model(path)
    graphdef, params = nnx.split(model)
    f = config.frames_per_block
    tiles = [whole_tiles(read_frames(c, 2 * f), config.tile_height, f) for c in clips]
    return graphdef, params, config, sha, np.concatenate(tiles)


def psnr_pair(mse: np.ndarray) -> tuple[float, float]:
    """(mean per-block PSNR, PSNR of the mean MSE) of block MSEs on the [-1, 1] scale."""
    mse = np.asarray(mse, np.float64).ravel()
    return float(np.mean(psnr_array(mse))), float(psnr_array(mse.mean()))


def scale_command(args) -> None:
    """Full-token PSNR of each clip at its size and scaled down."""
    model, config, _ = load_model(args.model[0])
    graphdef, params = nnx.split(model)
    f = config.frames_per_block
    for clip in args.inputs:
        row = []
        for scale in SCALES:
            blocks = whole_tiles(read_frames(clip, 2 * f, scale), config.tile_height, f)
            mse = block_mse_at(graphdef, params, blocks, config.max_tokens)
            row.append(f"{scale:g}x: {psnr_pair(mse)[1]:.2f} dB")
        print(clip.rsplit("/", 1)[-1], "  ".join(row), flush=True)


def pca_command(args) -> None:
    """PSNR kept by the top principal components of 8x8x3 patches."""
    for clip in args.inputs:
        x = read_frames(clip, 16).astype(np.float64)
        n, h, w, _ = x.shape
        h, w = h // 8 * 8, w // 8 * 8
        patches = x[:, :h, :w].reshape(n, h // 8, 8, w // 8, 8, 3).transpose(0, 1, 3, 2, 4, 5)
        patches = patches.reshape(-1, 192)
        centred = patches - patches.mean(axis=0)
        _, _, basis = np.linalg.svd(centred, full_matrices=False)
        row = []
        for d in COMPONENTS:
            residual = centred - centred @ basis[:d].T @ basis[:d]
            row.append(f"{d}: {psnr_array(np.mean(residual**2)):.1f} dB")
        print(clip.rsplit("/", 1)[-1], "  ".join(row), flush=True)


def crops_command(args) -> None:
    """Both PSNR measures on the in-run evaluation crops, for each model."""
    # The run's own cache and sampler, so the crops are those `elastictok train` evaluates.
    settings = TrainConfig(image_ratio=args.image_ratio, max_scale=args.max_scale)
    _, sampler = load_data(args.inputs, settings, load_model(args.model[0])[1])
    sets = {n: sampler.eval_batch(n) for n in (8, 64)}
    for path in args.model:
        model, config, sha = load_model(path)
        graphdef, params = nnx.split(model)
        for n, blocks in sets.items():
            cells = []
            for share in (16, 4, 2, 1):
                keep = max(config.min_tokens, config.max_tokens // share)
                mean, pooled = psnr_pair(block_mse_at(graphdef, params, blocks, keep))
                cells.append(f"1/{share}: {mean:.2f} / {pooled:.2f}")
            print(f"{path} ({sha[:12]}) {2 * n} blocks  " + "  ".join(cells), flush=True)


def full_length_command(args) -> None:
    """Each of two blocks at all tokens or one fewer, every combination."""
    for path in args.model:
        graphdef, params, config, sha, blocks = whole_tile_pairs(path, args.inputs)
        top = config.max_tokens
        cells = []
        for first, second in ((top - 1, top - 1), (top, top), (top - 1, top), (top, top - 1)):
            mse = np.asarray(block_mse_at(graphdef, params, blocks, [first, second]))
            pooled = [f"{psnr_array(mse[:, s].mean()):.2f}" for s in (0, 1)]
            cells.append(f"k {first},{second}: {' / '.join(pooled)}")
        print(f"{path} ({sha[:12]}) {len(blocks)} sequences  " + "  ".join(cells), flush=True)


@functools.partial(jax.jit, static_argnums=(0, 4))
def _mse_on_grid(graphdef, params, blocks, keep, step: float):
    """Per-block MSE (B, S) with the latents rounded to `step` FSQ levels (0: not rounded)."""
    model = nnx.merge(graphdef, params)
    config = model.config
    patches = patchify(blocks, config)
    batch, seq, tokens, dim = patches.shape
    kept = kept_mask(jnp.full((batch, seq), keep), tokens).reshape(batch, seq * tokens)
    mask = block_causal_mask(seq, tokens, config.context_blocks)
    positions = jnp.arange(seq * tokens)
    flat = patches.reshape(batch, seq * tokens, dim)
    latents, _ = model.encoder_pass(flat, kept, mask, positions)
    bounded = fsq_bound(latents, config.fsq_levels)
    if step:
        bounded = jnp.round(bounded / step) * step
    half = jnp.floor(jnp.asarray(config.fsq_levels, jnp.float32) / 2)
    recon, _ = model.decoder_pass(bounded / half, kept, mask, positions)
    return jnp.mean((recon - flat) ** 2, axis=-1).reshape(batch, seq, tokens).mean(-1)


def bottleneck_command(args) -> None:
    """Full-pass PSNR with the latents on the FSQ grid, finer grids, or not rounded."""
    for path in args.model:
        graphdef, params, config, sha, blocks = whole_tile_pairs(path, args.inputs)
        blocks = jnp.asarray(blocks)
        for keep in (config.max_tokens // 2, config.max_tokens):
            cells = []
            for name, step in GRID_STEPS.items():
                mse = np.asarray(_mse_on_grid(graphdef, params, blocks, keep, step))
                cells.append(f"{name}: {psnr_array(mse.mean()):.2f}")
            print(f"{path} ({sha[:12]}) k {keep}  " + "  ".join(cells), flush=True)


@functools.partial(jax.jit, static_argnums=0)
def _error_in_patch(graphdef, params, blocks):
    """Mean squared error (Tp, Hp, Wp) by pixel position inside a patch, every token kept."""
    model = nnx.merge(graphdef, params)
    config = model.config
    patches = patchify(blocks, config)
    recon = model(patches, jnp.full(patches.shape[:2], config.max_tokens))["recon"]
    squared = ((recon - patches) ** 2).reshape(-1, *config.patch, blocks.shape[-1])
    return squared.mean(axis=(0, 4))


def patch_error_command(args) -> None:
    """Squared error by position inside a patch: is it at the seams between patches?"""
    for path in args.model:
        graphdef, params, _, sha, blocks = whole_tile_pairs(path, args.inputs)
        error = np.asarray(_error_in_patch(graphdef, params, jnp.asarray(blocks)))
        by_pixel = error.mean(axis=0)  # over the patch's frames
        border = np.ones_like(by_pixel, bool)
        border[1:-1, 1:-1] = False
        ratio = by_pixel[border].mean() / by_pixel[~border].mean()
        print(
            f"{path} ({sha[:12]}) PSNR {psnr_array(error.mean()):.2f} dB, border / interior "
            f"squared error {ratio:.2f}; by pixel, relative to the mean:",
            flush=True,
        )
        for row in by_pixel / by_pixel.mean():
            print("  " + " ".join(f"{v:.2f}" for v in row))


def main() -> None:
    """Parse and run one measurement."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "measure", choices=("scale", "pca", "crops", "full-length", "bottleneck", "patch-error")
    )
    parser.add_argument("inputs", nargs="+", help="clips (scale, pca) or training DATA (crops)")
    parser.add_argument("--model", action="append", default=None)
    parser.add_argument("--image-ratio", type=float, default=0.5)
    parser.add_argument("--max-scale", type=float, default=2.0)
    args = parser.parse_args()
    if args.measure != "pca" and not args.model:
        parser.error(f"{args.measure} needs --model")
    commands = {
        "scale": scale_command,
        "pca": pca_command,
        "crops": crops_command,
        "full-length": full_length_command,
        "bottleneck": bottleneck_command,
        "patch-error": patch_error_command,
    }
    commands[args.measure](args)


if __name__ == "__main__":
    main()
