"""Fit the fast preset's k predictor from searches recorded on the model's training clips.

    python benchmarks/k_predictor.py CLIP [CLIP...] [--out models/elastictok-64/k_predictor.json]

Every clip's first --frames frames, centre-cropped to --size, are searched block by block
with the gallop search at each --targets MSE; each tile-block's features and the smallest
k the search verified (the largest k where none passes) become one sample. A least-squares
fit of log(k / max_k) is written with a margin: the --quantile of the residuals, so that
most first probes pass. Pass the training clips only (the model card lists them), never
the validation clips.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from search_speed import load_frames  # a sibling script: run from this folder's parent

from elastictok_cli import api
from elastictok_cli.codec import kpredict, search
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.media import iter_blocks


def samples(loaded, frames, threshold: float):
    """(features, log k / max_k) of every tile-block of the frames under one target."""
    config = loaded.config
    height, width = frames[0].shape[:2]
    grid = grid_for(config, width, height)
    engine = TileEngine(loaded.model, grid.tile_count)
    space = search.SearchSpace(config.min_tokens, config.max_tokens, threshold, rescue=False)
    xs, ys = [], []
    hint, previous = None, None
    for block, real in iter_blocks(iter(frames), config.frames_per_block):
        patches = block_patches(block, grid, config)
        weight = real_weights(grid, config, real)
        xs.append(kpredict.features(patches, previous, hint, threshold, space))
        engine.begin_block(patches, weight, threshold)
        chosen = search.gallop(engine.probe, engine.tiles, space, hint)
        engine.finish_block(chosen)
        ys.append(np.log(chosen / config.max_tokens))
        hint, previous = chosen, patches
    return np.concatenate(xs), np.concatenate(ys)


def main() -> None:
    """Record, fit and write the predictor; print its fit on the samples."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", default="256x192")
    parser.add_argument("--targets", default="0.003,0.007,0.015")
    parser.add_argument("--quantile", type=float, default=0.75)
    parser.add_argument("--out", default="models/elastictok-64/" + kpredict.PREDICTOR_FILE)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    loaded = api.load_model(None)
    xs, ys = [], []
    for clip in args.clips:
        frames = load_frames(clip, args.frames, width, height)
        for target in (float(t) for t in args.targets.split(",")):
            x, y = samples(loaded, frames, target)
            xs.append(x)
            ys.append(y)
            print(f"{Path(clip).name} mse {target}: {len(y)} tile-blocks", flush=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    weights, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ weights
    margin = float(np.quantile(residual, args.quantile))
    predictor = kpredict.KPredictor(tuple(float(w) for w in weights), margin)
    Path(args.out).write_text(predictor.to_json())
    ratio = np.exp(np.abs(residual))
    print(
        f"{len(y)} samples; |log k error| median {np.median(np.abs(residual)):.3f} "
        f"(k off by {np.median(ratio) - 1:.0%} at the median); margin {margin:.3f}; "
        f"first probe passes for {np.mean(residual <= margin):.0%} of samples; wrote {args.out}"
    )


if __name__ == "__main__":
    main()
