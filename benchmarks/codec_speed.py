"""Where an encode and a decode spend their time, against the model's own pass rate.

    python benchmarks/codec_speed.py CLIP [--frames 48] [--size 640x480] [--tokens 256]

The first --frames frames of CLIP, centre-cropped to --size, are written to a lossless
.mkv; a fixed-k encode of it and a decode of the result then run end to end through the
library, once cold (compiles included) and --repeats times warm, with their parts timed:
media read and write, tiling, the engine (model passes, host/device copies, Python per
tile), the container, and the rest. The model-only rate is the jitted pass alone over the
same tile-blocks, with XLA's FLOP count, against a 2048x2048 float32 matmul timed in the
same run (the machine's practical peak). With --batches, the pass rate at other batch
sizes too (what a wider device would see). Medians over repeats throughout.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from elastictok_cli import api
from elastictok_cli.codec import decoder, encoder
from elastictok_cli.codec import engine as engine_mod
from elastictok_cli.container import ContainerWriter
from elastictok_cli.media import center_crop, open_media, open_writer
from elastictok_cli.model import streaming

TIMERS: dict[str, float] = {}


def timed(name: str, fn):
    """`fn` wrapped to add its wall time to TIMERS[name] (results forced first)."""

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = jax.block_until_ready(fn(*args, **kwargs))
        TIMERS[name] = TIMERS.get(name, 0.0) + time.perf_counter() - start
        return out

    return wrapper


def timed_iter(name: str, items):
    """The items of `items`, each next() timed into TIMERS[name]."""
    it = iter(items)
    while True:
        start = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            return
        finally:
            TIMERS[name] = TIMERS.get(name, 0.0) + time.perf_counter() - start
        yield item


@contextmanager
def instrumented():
    """Time the codec's parts by wrapping them where the encoder and decoder call them."""
    saved = [
        (encoder, "iter_blocks", encoder.iter_blocks),
        (encoder, "block_patches", encoder.block_patches),
        (decoder, "patches_to_frames", decoder.patches_to_frames),
        (decoder, "open_writer", decoder.open_writer),
        (engine_mod.TileEngine, "probe", engine_mod.TileEngine.probe),
        (engine_mod.TileEngine, "finish_block", engine_mod.TileEngine.finish_block),
        (engine_mod.TileEngine, "decode_block", engine_mod.TileEngine.decode_block),
        (ContainerWriter, "write_block", ContainerWriter.write_block),
    ]
    encoder.iter_blocks = lambda *a: timed_iter("media read", saved[0][2](*a))
    encoder.block_patches = timed("tiling", saved[1][2])
    decoder.patches_to_frames = timed("tiling", saved[2][2])

    def writer(*args, **kwargs):
        out = saved[3][2](*args, **kwargs)
        out.write = timed("media write", out.write)
        return out

    decoder.open_writer = writer
    engine_mod.TileEngine.probe = timed("engine", saved[4][2])
    engine_mod.TileEngine.finish_block = timed("engine", saved[5][2])
    engine_mod.TileEngine.decode_block = timed("engine", saved[6][2])
    ContainerWriter.write_block = timed("container", saved[7][2])
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def write_clip(path: str, out: Path, frames: int, width: int, height: int) -> Path:
    """The first `frames` frames of a clip, centre-cropped, as a lossless .mkv."""
    target = out / "clip.mkv"
    with open_media(path) as source:
        w, h = min(width, source.width), min(height, source.height)
        with open_writer(target, w, h, source.fps) as writer:
            for i, frame in enumerate(source.frames()):
                if i == frames:
                    break
                writer.write(np.ascontiguousarray(center_crop(frame, w, h)))
    return target


def run_parts(fn) -> tuple[float, dict[str, float]]:
    """Wall seconds of `fn()` and its timed parts ("other" is the rest)."""
    TIMERS.clear()
    start = time.perf_counter()
    with instrumented():
        fn()
    total = time.perf_counter() - start
    parts = dict(TIMERS)
    parts["other"] = total - sum(parts.values())
    return total, parts


def median_parts(runs: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
    """Median total and median of each part over runs."""
    names = sorted({n for _, parts in runs for n in parts})
    total = statistics.median(t for t, _ in runs)
    return total, {n: statistics.median(p.get(n, 0.0) for _, p in runs) for n in names}


def model_pass(loaded, batch: int, decode: bool):
    """A no-argument jitted pass over `batch` tile-blocks with a committed context."""
    config = loaded.config
    eng = engine_mod.TileEngine(loaded.model, batch)
    full = jnp.ones(batch, jnp.int32)
    enc = streaming.KVCache(eng.enc_cache.keys + 0.01, eng.enc_cache.values, full)
    dec = streaming.KVCache(eng.dec_cache.keys + 0.01, eng.dec_cache.values, full)
    rng = np.random.default_rng(0)
    ks = jnp.full(batch, config.max_tokens // 4, jnp.int32)
    if decode:
        ids = jnp.asarray(rng.integers(0, 1000, (batch, config.max_tokens)), jnp.int32)
        args = (eng._graphdef, eng._state, dec, ids, ks, jnp.ones(batch, bool))
        return engine_mod._decode, args
    shape = (batch, config.max_tokens, config.patch_dim)
    patches = jnp.asarray(rng.uniform(-1, 1, shape), jnp.float32)
    streams = jnp.arange(batch, dtype=jnp.int32)
    args = (eng._graphdef, eng._state, enc, dec, patches, jnp.ones_like(patches), streams, ks)
    return engine_mod._probe, args


def _flops(fn, args) -> float:
    """FLOPs XLA counts for one call of the jitted `fn` (here: one tile-block)."""
    analysis = fn.lower(*args).compile().cost_analysis()
    if isinstance(analysis, list):
        analysis = analysis[0]
    return float(analysis.get("flops", 0.0))


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each no-argument function, run in turn `repeats` times after a warm-up."""
    for fn in fns.values():
        jax.block_until_ready(fn())
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(fn())
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' -> (640, 480)."""
    width, height = text.lower().split("x")
    return int(width), int(height)


def print_parts(title: str, total: float, parts: dict[str, float], frames: int) -> None:
    """One Markdown table row per part."""
    print(f"\n{title}: {total:.2f} s, {frames / total:.2f} frames/s\n")
    print("| part | seconds | share |\n|---|---|---|")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")


def main() -> None:
    """Encode and decode a real clip with their parts timed, then the model-only rates."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clip")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", default="", help="e.g. 1,4,16,64,256: pass rates by batch")
    args = parser.parse_args()
    width, height = parse_size(args.size)
    loaded = api.load_model(None)
    config = loaded.config

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = write_clip(args.clip, folder, args.frames, width, height)
        etok, out = folder / "clip.etok", folder / "decoded.mkv"

        def enc():
            api.encode_to_file(clip, etok, loaded, tokens=args.tokens, force=True)

        def dec():
            api.decode_to_file(etok, out, loaded, force=True)

        cold_enc, cold_dec = run_parts(enc)[0], run_parts(dec)[0]
        encodes, decodes = [], []
        for _ in range(args.repeats):
            encodes.append(run_parts(enc))
            decodes.append(run_parts(dec))
        header = api.read_header(etok)
    frames, tiles = header.video.frames, header.video.tiles_x * header.video.tiles_y
    tile_blocks = tiles * header.video.blocks
    enc_total, enc_parts = median_parts(encodes)
    dec_total, dec_parts = median_parts(decodes)
    print(f"{args.clip}: {frames} frames {header.video.width}x{header.video.height}, {tiles} tiles")
    print_parts(f"fixed-k encode (--tokens {args.tokens})", enc_total, enc_parts, frames)
    print(f"compiles and first-use costs (cold - warm): {cold_enc - enc_total:.1f} s")
    print_parts("decode", dec_total, dec_parts, frames)
    print(f"compiles and first-use costs (cold - warm): {cold_dec - dec_total:.1f} s")

    # The model alone on the same tile-blocks: the batch the codec runs, and one tile.
    a = jax.random.normal(jax.random.PRNGKey(0), (2048, 2048))
    dot = jax.jit(jnp.dot)
    probe, probe_args = model_pass(loaded, tiles, decode=False)
    decode, decode_args = model_pass(loaded, tiles, decode=True)
    probe_one, probe_one_args = model_pass(loaded, 1, decode=False)
    decode_one, decode_one_args = model_pass(loaded, 1, decode=True)
    probe_flops = _flops(probe_one, probe_one_args)
    decode_flops = _flops(decode_one, decode_one_args)
    fns = {
        "matmul": lambda: dot(a, a),
        "encode pass": lambda: probe(*probe_args),
        "decode pass": lambda: decode(*decode_args),
    }
    batches = [int(b) for b in args.batches.split(",") if b]
    for b in batches:
        fn, fn_args = model_pass(loaded, b, decode=False)
        fns[f"encode pass x{b}"] = lambda fn=fn, fn_args=fn_args: fn(*fn_args)
    times = interleaved(fns, max(args.repeats, 5))
    peak = 2 * 2048**3 / times["matmul"] / 1e9
    print(f"\nmatmul 2048^2 float32: {peak:.1f} GFLOP/s (same run)\n")
    print("| model pass | batch | ms per tile-block | GFLOP per tile-block | GFLOP/s | of matmul |")
    print("|---|---|---|---|---|---|")
    rows = [("encode+decode (probe)", tiles, times["encode pass"], probe_flops)]
    rows.append(("decode", tiles, times["decode pass"], decode_flops))
    rows += [("encode+decode (probe)", b, times[f"encode pass x{b}"], probe_flops) for b in batches]
    for name, batch, seconds, flops in rows:
        per = seconds / batch
        rate = flops / per / 1e9
        print(
            f"| {name} | {batch} | {per * 1e3:.1f} | {flops / 1e9:.2f} | {rate:.1f} | "
            f"{rate / peak:.0%} |"
        )
    blocks = header.video.blocks
    enc_model = times["encode pass"] * blocks
    dec_model = times["decode pass"] * blocks
    print(
        f"\nmodel-only time of the clip: encode {enc_model:.2f} s, decode {dec_model:.2f} s; "
        f"the codec runs at {enc_model / enc_total:.0%} (encode) and "
        f"{dec_model / dec_total:.0%} (decode) of the model-only rate"
    )
    del tile_blocks, config


if __name__ == "__main__":
    main()
