"""Fit the fast preset's k predictor from searches recorded on the model's training clips.

    python benchmarks/k_predictor.py CLIP [CLIP...] [--out models/elastictok-64/k_predictor.json]

Every clip's first --frames frames, centre-cropped to --size, are searched block by block
with the gallop search at each --targets MSE; each tile-block's features and the smallest
k the search verified (the largest k where none passes) become one sample, of the
first-block model for a clip's first block and of the later-block model after it (whose
"previous need" is `kpredict.needed` of the previous block, as in the encoder). Each
model is a least-squares fit of log(k / max_k), written with a margin: the --quantile of
its residuals (0.5: unbiased; a first probe that misses costs one pass up, one that
passes with room to spare costs tokens for the rest of the block). Pass the training
clips only (the model card lists them), never the validation clips.
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


def samples(loaded, frames, threshold: float) -> dict[str, tuple[list, list]]:
    """Per model ("first", "later"): features and log(k / max_k) of the frames' tile-blocks."""
    config = loaded.config
    height, width = frames[0].shape[:2]
    grid = grid_for(config, width, height)
    engine = TileEngine(loaded.model, grid.tile_count)
    space = search.SearchSpace(config.min_tokens, config.max_tokens, threshold, rescue=False)
    out = {"first": ([], []), "later": ([], [])}
    hint, previous, need = None, None, None
    for block, real in iter_blocks(iter(frames), config.frames_per_block):
        patches = block_patches(block, grid, config)
        weight = real_weights(grid, config, real)
        xs, ys = out["first" if need is None else "later"]
        xs.append(kpredict.features(patches, previous, need, threshold, space))
        engine.begin_block(patches, weight, threshold)
        chosen = search.gallop(engine.probe, engine.tiles, space, hint)
        code = engine.finish_block(chosen)
        ys.append(np.log(chosen / config.max_tokens))
        hint, previous = chosen, patches
        need = kpredict.needed(code.keep, code.distortion, space)
    return out


def fit(xs: list, ys: list, quantile: float) -> tuple[kpredict.LinearK, np.ndarray]:
    """One model's least-squares fit and margin, and its residuals."""
    x, y = np.concatenate(xs), np.concatenate(ys)
    weights, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ weights
    margin = float(np.quantile(residual, quantile))
    return kpredict.LinearK(tuple(float(w) for w in weights), margin), residual


def main() -> None:
    """Record, fit and write the predictor; print its fit on the samples."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", default="256x192")
    parser.add_argument("--targets", default="0.003,0.007,0.015")
    parser.add_argument("--quantile", type=float, default=0.5)
    parser.add_argument("--out", default="models/elastictok-64/" + kpredict.PREDICTOR_FILE)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    loaded = api.load_model(None)
    data = {"first": ([], []), "later": ([], [])}
    for clip in args.clips:
        frames = load_frames(clip, args.frames, width, height)
        for target in (float(t) for t in args.targets.split(",")):
            for name, (xs, ys) in samples(loaded, frames, target).items():
                data[name][0].extend(xs)
                data[name][1].extend(ys)
            print(f"{Path(clip).name} mse {target}: done", flush=True)
    models = {}
    for name, (xs, ys) in data.items():
        models[name], residual = fit(xs, ys, args.quantile)
        ratio = np.exp(np.abs(residual))
        print(
            f"{name}: {len(residual)} samples; |log k error| median "
            f"{np.median(np.abs(residual)):.3f} (k off by {np.median(ratio) - 1:.0%} at the "
            f"median); margin {models[name].margin:.3f}; first probe passes for "
            f"{np.mean(residual <= models[name].margin):.0%}"
        )
    Path(args.out).write_text(kpredict.KPredictor(**models).to_json())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
