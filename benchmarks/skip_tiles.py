"""Skipped tiles and coded ids at the file level: bytes, PSNR and encode time side by side.

Run: python benchmarks/skip_tiles.py CLIP... [--frames 24] [--crop 256] [--mse 0.003]

Each clip's first --frames frames (cropped to the top-left --crop square, 0: whole
frames) are encoded three ways through the real encoder and container with the
shipped model: v1 (bit-packed ids, no skipped tiles), v2 without skip (context-coded
ids) and v2 with skip (the default), all at the same --mse target and search. PSNR is
over the decoded frames against the source (0..255 RGB); time is the encode's own.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import av
import numpy as np

from elastictok_cli import api
from elastictok_cli.metrics import BYTE_PEAK, psnr

WAYS = {
    "v1": {"coding": "bitpack", "skip": False},
    "v2 no skip": {"coding": "context", "skip": False},
    "v2 skip": {"coding": "context", "skip": True},
}


def first_frames(path: str, count: int, crop: int) -> np.ndarray:
    """The clip's first `count` RGB frames, cropped to the top-left `crop` square."""
    with av.open(path) as container:
        frames = []
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            frames.append(image[:crop, :crop] if crop else image)
            if len(frames) == count:
                break
    return np.stack(frames)


def measure(frames: np.ndarray, fps, model, mse: float, way: dict, out: str) -> dict:
    """Encode one way into `out`, decode it back; bytes, tokens, skips, PSNR, seconds."""
    summary = api.encode_to_file(frames, out, model, mse=mse, fps=fps, force=True, **way)
    decoded = np.stack(list(api.decode(out, model))).astype(np.float64)
    error = float(np.mean((decoded - frames) ** 2))
    return {
        "bytes": summary["bytes"],
        "tokens": summary["tokens"],
        "skipped": summary["tile_blocks_skipped"],
        "tile_blocks": summary["blocks"] * summary["tiles"],
        "psnr": psnr(error, BYTE_PEAK),
        "seconds": summary["seconds"],
    }


def main() -> None:
    """Print one markdown table row per clip and way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--mse", type=float, default=0.003)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    api.use_cpu_defaults()
    model = api.load_model(args.model)
    print("| clip | way | bytes | tokens | skipped tile-blocks | PSNR (dB) | encode (s) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for clip in args.clips:
            frames = first_frames(clip, args.frames, args.crop)
            with av.open(clip) as container:
                fps = container.streams.video[0].average_rate or 25
            rows = {}
            for name, way in WAYS.items():
                rows[name] = measure(
                    frames, fps, model, args.mse, way, os.path.join(work, "x.etok")
                )
                r = rows[name]
                print(
                    f"| {os.path.basename(clip)} | {name} | {r['bytes']:,} | {r['tokens']:,} "
                    f"| {r['skipped']} of {r['tile_blocks']} | {r['psnr']:.2f} "
                    f"| {r['seconds']:.1f} |",
                    flush=True,
                )
            base, coded, skipping = rows["v1"], rows["v2 no skip"], rows["v2 skip"]
            name = os.path.basename(clip)
            print(
                f"| {name} | ratios | v2/v1 {coded['bytes'] / base['bytes']:.3f}, "
                f"skip/no-skip {skipping['bytes'] / coded['bytes']:.3f} | | | "
                f"skip - no-skip {skipping['psnr'] - coded['psnr']:+.2f} dB "
                f"| time {skipping['seconds'] / coded['seconds']:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
