"""A writer killed with SIGKILL: its .part keeps every finished block and repair recovers them.

The writer is a real ContainerWriter in a child process, writing blocks a few
milliseconds apart; the parent kills it at random moments. The CLI encode killed the same
way, with a model, is in tests/cli/test_repair_kill.py.
"""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from etok_samples import make_header, random_records, write_file

from elastictok_cli.container import ContainerReader
from elastictok_cli.container.atomic import clean_stale_parts, is_stale, stale_parts
from elastictok_cli.container.salvage import repair_file

BLOCKS = 24
PAUSE = 0.004  # seconds between blocks in the child
CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    sys.path.insert(0, {tests!r})
    from etok_samples import make_header, random_records
    from elastictok_cli.container import ContainerWriter
    header = make_header(frames={frames})
    records = random_records(header, np.random.default_rng(5))
    with ContainerWriter({target!r}, header) as writer:
        print("started", flush=True)
        for record in records:
            writer.write_block(record)
            time.sleep({pause})
    """
)


def reference(tmp_path: Path) -> tuple[bytes, list]:
    """The finished file the child would write, and its records."""
    header = make_header(frames=BLOCKS * 4)
    records = random_records(header, np.random.default_rng(5))
    return write_file(tmp_path / "reference.etok", header, records), records


def kill_writer(folder: Path, delay: float) -> Path | None:
    """Start the child, SIGKILL it `delay` seconds after it began writing; its .part."""
    target = folder / "clip.etok"
    script = CHILD.format(
        tests=str(Path(__file__).parent), frames=BLOCKS * 4, target=str(target), pause=PAUSE
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"started\n"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    parts = list(folder.glob(".clip.etok.*.part"))
    assert not target.exists() or not parts
    return parts[0] if parts else None


def test_killed_writers_lose_no_finished_block(tmp_path):
    data, records = reference(tmp_path)
    with ContainerReader(tmp_path / "reference.etok") as reader:
        start = 21 + reader.header_size + 4
        ends = start + np.cumsum(reader.block_sizes)
    rng = np.random.default_rng(31)
    recovered = []
    for trial in range(20):
        folder = tmp_path / f"kill{trial}"
        folder.mkdir()
        part = kill_writer(folder, float(rng.uniform(0, BLOCKS * PAUSE * 1.5)))
        if part is None:  # the child finished before the kill
            recovered.append(BLOCKS)
            continue
        written = part.read_bytes()
        assert data.startswith(written)  # everything written reached the disk, in order
        assert stale_parts(folder / "clip.etok") == [str(part)]
        whole = int((ends <= len(written)).sum())
        if whole == 0:
            recovered.append(0)
            continue
        report = repair_file(part, folder / "clip.etok")
        assert report["kept"] == list(range(whole))
        with ContainerReader(folder / "clip.etok") as reader:
            assert list(reader) == records[:whole]
            assert reader.header.video.frames == whole * 4
        recovered.append(whole)
    # The kills landed at different points, not all before or after the writing.
    assert len(set(recovered)) >= 5, recovered


def test_a_living_writer_is_not_stale_and_clean_keeps_it(tmp_path):
    header = make_header()
    from elastictok_cli.container import ContainerWriter

    writer = ContainerWriter(tmp_path / "live.etok", header)
    try:
        (temp,) = tmp_path.glob(".live.etok.*.part")
        assert not is_stale(str(temp))
        assert stale_parts(tmp_path / "live.etok") == []
        assert clean_stale_parts(tmp_path) == []
        assert temp.exists()
    finally:
        writer.abort()


@pytest.mark.skipif(sys.platform == "win32", reason="no POSIX locks")
def test_clean_removes_only_stale_parts_of_etok_targets(tmp_path):
    stale = tmp_path / ".old.etok.0123abcd.part"
    stale.write_bytes(b"left by a killed encode")
    other = tmp_path / ".movie.mkv.0123abcd.part"  # not ours to judge: another writer's
    other.write_bytes(b"")
    lookalike = tmp_path / ".old.etok.part"
    lookalike.write_bytes(b"")
    assert stale_parts(tmp_path / "old.etok") == [str(stale)]
    assert clean_stale_parts(tmp_path) == [str(stale)]
    assert not stale.exists() and other.exists() and lookalike.exists()
