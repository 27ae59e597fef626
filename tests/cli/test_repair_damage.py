"""Bit flips and bursts in copies of a real encoding: repair keeps exactly the intact blocks,
and decoding with concealment always gives the full frame count.

The default run damages 200 copies (8 of them decoded); `-m heavy` runs 1,000 of each.
"""

import time
from dataclasses import replace

import numpy as np
import pytest
from support.clips import moving_clip
from support.damage import damage

from elastictok_cli import api
from elastictok_cli.container import ContainerError, ContainerReader
from elastictok_cli.container.salvage import Salvage

FRAMES = 26  # 7 blocks of 4 frames, the last one short
SLOW = 5.0  # seconds: a repair taking longer than this on a 2 kB file has hung


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A tiny model, a real 7-block encoding of 3x2 tiles, its records and frames."""
    from support.models import make_model_folder

    root = tmp_path_factory.mktemp("damage")
    model = api.load_model(make_model_folder(root / "tiny"))
    clip = np.stack(moving_clip(FRAMES, 24, 40))
    etok = root / "clip.etok"
    api.encode_to_file(clip, etok, model, tokens=20, fps=25)
    data = etok.read_bytes()
    with Salvage(data) as salvage:
        found = list(salvage.scan())
        start = salvage.head.body_start
    frames = np.stack(list(api.decode(str(etok), model)))
    return {
        "root": root,
        "model": model,
        "data": data,
        "start": start,
        "spans": [(f.offset, f.offset + f.size) for f in found],
        "records": [f.record for f in found],
        "frames": frames,
    }


def damaged_copy(data: bytes, start: int, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """Bit flips or a burst, mostly after the header; the copy and the bytes that changed."""
    buf = damage(data, rng, start, longest_burst=200)
    changed = np.flatnonzero(np.frombuffer(data, np.uint8) != np.frombuffer(buf, np.uint8))
    return buf, changed


def check_repairs(work, copies: int, seed: int) -> dict:
    """Repair `copies` damaged copies; count the outcomes."""
    rng = np.random.default_rng(seed)
    spans, out = work["spans"], work["root"] / "fixed.etok"
    outcomes = {"header": 0, "repaired": 0, "nothing": 0, "slowest": 0.0}
    for copy in range(copies):
        damaged, changed = damaged_copy(work["data"], work["start"], rng)
        intact = [i for i, (a, b) in enumerate(spans) if not ((changed >= a) & (changed < b)).any()]
        began = time.perf_counter()
        try:
            report = api.repair(damaged, out, force=True)
        except ContainerError:
            header_hit = changed.size and changed[0] < work["start"]
            assert header_hit or not intact, copy
            outcomes["header" if header_hit else "nothing"] += 1
            continue
        finally:
            outcomes["slowest"] = max(outcomes["slowest"], time.perf_counter() - began)
        assert report["kept"] == intact, copy
        with ContainerReader(out) as reader:
            got = list(reader)
        # The intact records, renumbered and otherwise identical.
        assert got == [replace(work["records"][i], index=n) for n, i in enumerate(intact)]
        outcomes["repaired"] += 1
    assert outcomes["slowest"] < SLOW
    return outcomes


def test_repair_of_200_damaged_copies(work):
    outcomes = check_repairs(work, 200, seed=1)
    assert outcomes["repaired"] > 100


@pytest.mark.heavy
def test_repair_of_1000_damaged_copies(work):
    outcomes = check_repairs(work, 1000, seed=2)
    print(outcomes)


def check_concealment(work, copies: int, seed: int) -> int:
    """Decode `copies` damaged copies with concealment; the frame count never changes."""
    rng = np.random.default_rng(seed)
    path = work["root"] / "damaged.etok"
    decoded = 0
    for _ in range(copies):
        damaged, changed = damaged_copy(work["data"], work["start"], rng)
        if changed.size and changed[0] < work["start"]:
            continue  # no header: nothing to decode (repair and decode both exit 3)
        path.write_bytes(damaged)
        frames = list(api.decode(str(path), work["model"], conceal=True))
        assert len(frames) == FRAMES and frames[0].shape == (24, 40, 3)
        decoded += 1
    return decoded


def test_conceal_keeps_the_frame_count_of_damaged_copies(work):
    assert check_concealment(work, 8, seed=3) >= 5


@pytest.mark.heavy
def test_conceal_keeps_the_frame_count_of_1000_damaged_copies(work):
    print(check_concealment(work, 1000, seed=4), "decoded")


def test_a_concealed_block_repeats_the_last_good_frame(work):
    data, spans, path = bytearray(work["data"]), work["spans"], work["root"] / "b2.etok"
    data[spans[2][0] + 7] ^= 0x40
    path.write_bytes(bytes(data))
    frames = np.stack(list(api.decode(str(path), work["model"], conceal=True)))
    good = work["frames"]
    assert np.array_equal(frames[:8], good[:8])  # blocks 0 and 1 untouched
    assert all(np.array_equal(frames[i], good[7]) for i in range(8, 12))  # block 2 holds


def test_a_concealed_first_block_is_flat_grey(work):
    data, spans, path = bytearray(work["data"]), work["spans"], work["root"] / "b0.etok"
    data[spans[0][0] + 7] ^= 0x40
    path.write_bytes(bytes(data))
    frames = np.stack(list(api.decode(str(path), work["model"], conceal=True)))
    first = frames[:4].astype(int)
    assert first.max() - first.min() <= 1 and abs(int(first.mean()) - 128) <= 1
