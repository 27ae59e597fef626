"""Bytes per token of the stored token ids: v1 (bit-packed + zstd) against the context coder.

Run: python benchmarks/bits.py CLIP... [--frames 48] [--settings k256,mse0.007]
     [--workdir DIR] [--model models/elastictok-64] [--tables PATH] [--compare-coders]

Each clip's first --frames frames are encoded with the shipped model through the real
encoder and container, at each setting: kN keeps N tokens per tile-block, mseX searches
each tile's k for MSE X ([-1, 1] scale) without the rescue sweep (--no-rescue, so a run
takes minutes). The .etok files are kept in --workdir and reused. Per clip and setting the
table gives: v1, the file's block records (zstd frames and CRCs, as stored); new, the
context-coded payloads of the same ids (elastictok_cli.entropy, every block decoded back
and compared); floor, the empirical conditional entropy of the digits in the coder's
contexts on that clip alone (what a static table fitted to the clip itself would spend);
and the coder's speed. --compare-coders adds range coding against ANS (both from
constriction, same model) and the pure-Python reference decoder of tests/entropy.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

import numpy as np
from evaluate_model import FirstFrames  # a sibling script: run from this folder's parent

from elastictok_cli.container import ContainerReader
from elastictok_cli.entropy import (
    TABLES_FILE,
    CoderState,
    decode_block,
    encode_block,
    load_tables,
)
from elastictok_cli.entropy.coder import walk_block
from elastictok_cli.entropy.statistics import conditional_entropy, count_contexts

SETTINGS = ("k256", "mse0.007")


def encoded(clip: str, setting: str, frames: int, workdir: str, model: str) -> str:
    """Path of the clip's .etok at `setting`, encoding it first unless the workdir has it."""
    stem = os.path.splitext(os.path.basename(clip))[0]
    out = os.path.join(workdir, f"{stem}.{setting}.f{frames}.etok")
    if os.path.exists(out):
        return out
    # Imported here so measuring existing files needs no JAX.
    from elastictok_cli import xla_defaults
    from elastictok_cli.codec.encoder import EncodeSettings, encode
    from elastictok_cli.media import open_media
    from elastictok_cli.model import registry

    xla_defaults.apply()
    if setting.startswith("k"):
        k = int(setting[1:])
        settings = EncodeSettings(tokens=k, metric="tokens", target=k)
    else:
        mse = float(setting.removeprefix("mse"))
        settings = EncodeSettings(threshold=mse, target=mse, rescue=False)
    with open_media(clip) as source:
        encode(FirstFrames(source, frames), out, registry.load(model), settings, force=True)
    return out


def read_clip(path: str) -> tuple[list[list[np.ndarray]], int]:
    """Every block's per-tile ids, and the bytes of the file's block records."""
    with ContainerReader(path) as reader:
        blocks = [[np.asarray(t, np.int64) for t in record.tokens] for record in reader]
        return blocks, sum(reader.block_sizes)


def measure(blocks, tables) -> dict:
    """Code every block in order, decode it back, and time both."""
    tiles = len(blocks[0])
    state = dstate = CoderState.start(tables, tiles)
    size = encode_s = decode_s = 0.0
    for tokens in blocks:
        start = time.perf_counter()
        payload, state = encode_block(tokens, state, tables)
        encode_s += time.perf_counter() - start
        start = time.perf_counter()
        ids, dstate = decode_block(payload, [len(t) for t in tokens], dstate, tables)
        decode_s += time.perf_counter() - start
        if not all(np.array_equal(a, b) for a, b in zip(ids, tokens, strict=True)):
            raise AssertionError("decoded ids differ from the encoded ones")
        size += len(payload)
    return {"bytes": size, "encode_s": encode_s, "decode_s": decode_s}


def ans_measure(blocks, tables) -> dict:
    """The same model through constriction's ANS coder: encode reversed, decode in order."""
    import constriction

    model = constriction.stream.model.Categorical(perfect=False)
    state = dstate = CoderState.start(tables, len(blocks[0]))
    size = encode_s = decode_s = 0.0
    for tokens in blocks:
        kept = np.asarray([len(t) for t in tokens])
        ids = np.full((len(tokens), tables.layout.slots), -1, np.int64)
        for tile, values in enumerate(tokens):
            ids[tile, : len(values)] = values
        digits = tables.layout.to_digits(ids)
        steps = []

        def record(digit, tiles, slot, freqs, digits=digits, steps=steps):
            steps.append((digits[tiles, slot, digit].astype(np.int32), freqs - 1.0))
            return digits[tiles, slot, digit]

        start = time.perf_counter()
        state = walk_block(tables, state, kept, digits, record)
        coder = constriction.stream.stack.AnsCoder()
        for symbols, probabilities in reversed(steps):
            coder.encode_reverse(symbols, model, probabilities)
        words = coder.get_compressed()
        encode_s += time.perf_counter() - start
        start = time.perf_counter()
        decoder = constriction.stream.stack.AnsCoder(words)
        out = np.full_like(digits, -1)

        def read(digit, tiles, slot, freqs, decoder=decoder):
            return np.asarray(decoder.decode(model, freqs - 1.0), np.int64)

        dstate = walk_block(tables, dstate, kept, out, read)
        decode_s += time.perf_counter() - start
        if not np.array_equal(out, digits):
            raise AssertionError("ANS round trip differs")
        size += 4 * len(words)
    return {"bytes": size, "encode_s": encode_s, "decode_s": decode_s}


def reference_decode_seconds(blocks, tables, tables_path: str) -> float:
    """Seconds the pure-Python reference decoder takes for the blocks' payloads."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "entropy"))
    import reference_decoder as ref

    path = tables_path if tables_path.endswith(".safetensors") else f"{tables_path}/{TABLES_FILE}"
    with open(path, "rb") as f:
        plain = ref.read_tables(f.read())
    state = CoderState.start(tables, len(blocks[0]))
    rstate = ref.start_state(plain, len(blocks[0]))
    seconds = 0.0
    for tokens in blocks:
        payload, state = encode_block(tokens, state, tables)
        start = time.perf_counter()
        ids, rstate = ref.decode_block(payload, [len(t) for t in tokens], rstate, plain)
        seconds += time.perf_counter() - start
        if not all(list(map(int, t)) == i for t, i in zip(tokens, ids, strict=True)):
            raise AssertionError("the reference decoder disagrees")
    return seconds


def compare_coders(blocks, tables, tables_path: str, reference_blocks: int = 2) -> list[str]:
    """Range coding (chosen) against ANS and the pure-Python reference decoder, same model."""
    tokens = sum(len(t) for b in blocks for t in b)
    lines = ["| coder | B/token | encode tok/s | decode tok/s |", "|---|---|---|---|"]
    for name, run in (("constriction range", measure), ("constriction ANS", ans_measure)):
        m = run(blocks, tables)
        lines.append(
            f"| {name} | {m['bytes'] / tokens:.4f} | {tokens / m['encode_s']:,.0f} "
            f"| {tokens / m['decode_s']:,.0f} |"
        )
    few = blocks[:reference_blocks]
    seconds = reference_decode_seconds(few, tables, tables_path)
    lines.append(
        f"| pure-Python reference (first {len(few)} blocks) | same bytes as range | - "
        f"| {sum(len(t) for b in few for t in b) / seconds:,.0f} |"
    )
    return lines


def report(clips, settings, frames, workdir, model, tables) -> list[str]:
    """One Markdown row per clip and setting."""
    rows = [
        "| clip | setting | tokens | v1 B/token | new B/token | new/v1 | new+side/v1 "
        "| floor B/token | encode tok/s | decode tok/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for clip, setting in itertools.product(clips, settings):
        blocks, v1 = read_clip(encoded(clip, setting, frames, workdir, model))
        tokens = sum(len(t) for b in blocks for t in b)
        new = measure(blocks, tables)
        floor = conditional_entropy(count_contexts([blocks], tables.layout)) / 8
        # v1's other payload fields, uncompressed: distortion (4 B) and count (9 bits) per tile
        tiles = len(blocks[0])
        side = len(blocks) * (4 * tiles + (tiles * tables.layout.slots.bit_length() + 7) // 8)
        name = os.path.basename(clip)
        rows.append(
            f"| {name} | {setting} | {tokens} | {v1 / tokens:.3f} | {new['bytes'] / tokens:.3f} "
            f"| {new['bytes'] / v1:.1%} | {(new['bytes'] + side) / v1:.1%} | {floor / tokens:.3f} "
            f"| {tokens / new['encode_s']:,.0f} | {tokens / new['decode_s']:,.0f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    """Parse arguments, encode what is missing, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--workdir", default="bits-work")
    parser.add_argument("--model", default="models/elastictok-64")
    parser.add_argument("--tables", default=None, help="tables file (default: the model's)")
    parser.add_argument("--compare-coders", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    tables = load_tables(args.tables or args.model)
    print(f"tables sha256 {tables.sha256}")
    settings = args.settings.split(",")
    report(args.clips, settings, args.frames, args.workdir, args.model, tables)
    if args.compare_coders:
        clip = encoded(args.clips[0], settings[0], args.frames, args.workdir, args.model)
        for line in compare_coders(read_clip(clip)[0], tables, args.tables or args.model):
            print(line, flush=True)


if __name__ == "__main__":
    main()
