"""Writes are atomic: no partial file on error or Ctrl-C, and an existing file is untouched."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from etok_samples import make_header, random_records, read_all, write_file
from support.signals import RESTORE_SIGINT

from elastictok_cli.container import BlockRecord, ContainerWriter
from elastictok_cli.container import atomic as atomic_module
from elastictok_cli.errors import OutputError

HEADER = make_header(frames=9)
RECORDS = random_records(HEADER, np.random.default_rng(30))


@pytest.fixture
def existing(tmp_path):
    """A target that already holds something precious."""
    target = tmp_path / "out.etok"
    target.write_bytes(b"precious")
    return target


def test_existing_target_without_force_is_refused(existing):
    with pytest.raises(OutputError, match="already exists") as info:
        ContainerWriter(existing, HEADER)
    assert info.value.exit_code == 5
    assert existing.read_bytes() == b"precious"
    assert os.listdir(existing.parent) == ["out.etok"]


def test_force_replaces_the_target(existing):
    data = write_file(existing, HEADER, RECORDS, force=True)
    assert read_all(data)[1] == RECORDS
    assert os.listdir(existing.parent) == ["out.etok"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_midway_leaves_nothing(existing, error):
    with pytest.raises(error):
        with ContainerWriter(existing, HEADER, force=True) as writer:
            writer.write_block(RECORDS[0])
            raise error()
    assert existing.read_bytes() == b"precious"
    assert os.listdir(existing.parent) == ["out.etok"]


def test_exception_before_any_file_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with ContainerWriter(tmp_path / "new.etok", HEADER) as writer:
            writer.write_block(RECORDS[0])
            raise RuntimeError()
    assert os.listdir(tmp_path) == []


def test_target_appearing_meanwhile_is_not_clobbered(tmp_path):
    target = tmp_path / "out.etok"
    with pytest.raises(OutputError):
        with ContainerWriter(target, HEADER) as writer:
            for record in RECORDS:
                writer.write_block(record)
            target.write_bytes(b"someone else's")
    assert target.read_bytes() == b"someone else's"
    assert os.listdir(tmp_path) == ["out.etok"]


def test_disk_full_is_an_output_error_and_leaves_nothing(existing, monkeypatch):
    writer = ContainerWriter(existing, HEADER, force=True)

    def full(_data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer._file.file, "write", full)
    with pytest.raises(OutputError, match="No space left"):
        with writer:
            writer.write_block(RECORDS[0])
    assert existing.read_bytes() == b"precious"
    assert os.listdir(existing.parent) == ["out.etok"]


def test_failed_fsync_is_an_output_error(tmp_path, monkeypatch):
    def failing(_fd):
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OutputError):
        with ContainerWriter(tmp_path / "a.etok", HEADER) as writer:
            for record in RECORDS:
                writer.write_block(record)
            monkeypatch.setattr(atomic_module.os, "fsync", failing)
    assert os.listdir(tmp_path) == []


def test_unwritable_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError):
        ContainerWriter(tmp_path / "missing" / "a.etok", HEADER)


def test_wrong_block_count_or_order_is_a_bug_not_a_file(tmp_path):
    with pytest.raises(ValueError, match="promises 3 blocks"):
        with ContainerWriter(tmp_path / "a.etok", HEADER) as writer:
            writer.write_block(RECORDS[0])
    with pytest.raises(ValueError, match="expected block 0"):
        with ContainerWriter(tmp_path / "a.etok", HEADER) as writer:
            writer.write_block(RECORDS[1])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "record",
    [
        BlockRecord(0, (1,) * 6, (np.array([1]),) * 6, (0.0,) * 5),
        BlockRecord(0, (1,) * 6, (np.array([1, 2]),) * 6, (0.0,) * 6),
        BlockRecord(0, (1,) * 6, (np.array([64_000]),) * 6, (0.0,) * 6),
        BlockRecord(0, (1,) * 6, (np.array([-1]),) * 6, (0.0,) * 6),
        BlockRecord(0, (1,) * 6, (np.array([1.0]),) * 6, (0.0,) * 6),
        BlockRecord(0, (65,) * 6, (np.ones(65, int),) * 6, (0.0,) * 6),
        BlockRecord(0, (1,) * 6, (np.array([1]),) * 6, (-1.0,) * 6),
        BlockRecord(0, (1,) * 6, (np.array([1]),) * 6, (float("nan"),) * 6),
    ],
    ids=["tiles", "length", "id-too-big", "negative-id", "float-ids", "count", "neg-mse", "nan"],
)
def test_records_that_do_not_fit_the_header(tmp_path, record):
    with pytest.raises(ValueError):
        with ContainerWriter(tmp_path / "a.etok", HEADER) as writer:
            writer.write_block(record)
    assert os.listdir(tmp_path) == []


def test_new_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_file(tmp_path / "a.etok", HEADER, RECORDS)
    finally:
        os.umask(old)
    assert (tmp_path / "a.etok").stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_another_process_leaves_nothing(existing):
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import numpy as np
        from etok_samples import make_header, random_records
        from elastictok_cli.container import ContainerWriter
        header = make_header(frames=4000)
        with ContainerWriter({str(existing)!r}, header, force=True) as writer:
            for record in random_records(header, np.random.default_rng(0)):
                writer.write_block(record)
                if record.index == 5:
                    print("writing", flush=True)
                time.sleep(0.01)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", RESTORE_SIGINT + script], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "writing"
    time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=30) != 0
    assert existing.read_bytes() == b"precious"
    assert os.listdir(existing.parent) == ["out.etok"]
