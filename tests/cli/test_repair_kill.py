"""`elastictok encode` killed with SIGKILL mid-way: repair recovers every block it finished.

The default run kills two encodes; `-m heavy` kills 20 at random points of the clip.
"""

import signal
import subprocess
import time
from fractions import Fraction

import numpy as np
import pytest
from support.cli import cli_command
from support.cli import run_cli as run
from support.clips import moving_clip, read_frames, write_with_pyav
from support.models import make_model_folder

from elastictok_cli.container import ContainerReader

BLOCKS = 12


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A model, a 12-block clip and its reference encoding's records and record ends."""
    root = tmp_path_factory.mktemp("kill")
    model = make_model_folder(root / "tiny")
    clip = write_with_pyav(root / "clip.mp4", moving_clip(4 * BLOCKS, 24, 40), fps=Fraction(25))
    reference = root / "reference.etok"
    result = run("encode", clip, "-o", reference, "--model", model, "--tokens", 20, "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    with ContainerReader(reference) as reader:
        records = list(reader)
        start = 21 + reader.header_size + 4
        ends = start + np.cumsum(reader.block_sizes)
    return {"root": root, "model": model, "clip": clip, "records": records, "ends": ends}


def part_size(folder) -> int:
    """Bytes in the encode's .part so far (0 before it exists or once it is renamed)."""
    for part in folder.glob(".clip.etok.*.part"):
        try:
            return part.stat().st_size
        except FileNotFoundError:
            return 0
    return 0


def kill_encode(work, folder, blocks_done: int, extra: float) -> None:
    """SIGKILL an encode `extra` seconds after its .part holds `blocks_done` records."""
    folder.mkdir()
    args = ("encode", work["clip"], "-o", folder / "clip.etok", "--model", work["model"])
    child = subprocess.Popen(
        cli_command(*args, "--tokens", 20, "--quiet"), stderr=subprocess.DEVNULL
    )
    need = int(work["ends"][blocks_done - 1]) if blocks_done else 1
    deadline = time.monotonic() + 120
    while child.poll() is None and time.monotonic() < deadline:
        if part_size(folder) >= need:
            break
        time.sleep(0.002)
    time.sleep(extra)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def check_kill(work, trial: int, blocks_done: int, extra: float) -> int:
    """Kill one encode, repair its .part, compare with the reference; blocks recovered."""
    folder = work["root"] / f"trial{trial}"
    kill_encode(work, folder, blocks_done, extra)
    parts = list(folder.glob(".clip.etok.*.part"))
    if not parts:  # it finished before the kill
        assert (folder / "clip.etok").exists()
        return BLOCKS
    (part,) = parts
    whole = int((work["ends"] <= part.stat().st_size).sum())
    assert whole >= blocks_done
    result = run("repair", part, "-o", folder / "fixed.etok", "--json")
    if whole == 0:
        assert result.returncode == 3
        return 0
    assert result.returncode == 0, result.stderr.decode()
    with ContainerReader(folder / "fixed.etok") as reader:
        assert list(reader) == work["records"][:whole]  # identical records
        assert reader.header.video.frames == 4 * whole
    return whole


def decodes(work, path, frames: int) -> None:
    """The repaired file decodes to its frame count."""
    out = path.with_suffix(".y4m")
    result = run("decode", path, "-o", out, "--model", work["model"], "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    assert len(read_frames(out)) == frames


def test_a_killed_encode_is_recovered(work):
    recovered = [check_kill(work, 0, 3, 0.0), check_kill(work, 1, 8, 0.01)]
    assert recovered[0] >= 3 and recovered[1] >= 8
    # A fast machine may finish the second encode before the kill lands: then its own
    # file is the one to decode.
    trial = work["root"] / "trial1"
    repaired = trial / "fixed.etok"
    decodes(work, repaired if repaired.exists() else trial / "clip.etok", 4 * recovered[1])


@pytest.mark.heavy
def test_20_killed_encodes_are_recovered(work):
    rng = np.random.default_rng(20)
    recovered = [
        check_kill(work, 100 + t, int(rng.integers(0, BLOCKS)), float(rng.uniform(0, 0.05)))
        for t in range(20)
    ]
    print("blocks recovered:", recovered)
    assert len(set(recovered)) >= 5
