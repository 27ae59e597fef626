"""The train and export commands as a user runs them: exit codes, resume, kill -9."""

import json
import signal
import subprocess
import time

import pytest
from support.cli import cli_command, run_text


def test_help_shows_examples():
    for command in ("train", "export"):
        done = run_text(command, "--help")
        assert done.returncode == 0
        assert f"elastictok {command} " in done.stdout  # an example command line


def test_bad_invocations_map_to_exit_codes(tmp_path):
    no_data = run_text("train", "--workdir", tmp_path / "a", "-c", "test")
    assert no_data.returncode == 2 and no_data.stderr.startswith("elastictok: error:")
    bad_preset = run_text("train", tmp_path, "--workdir", tmp_path / "b", "-c", "nope")
    assert bad_preset.returncode == 2
    bad_motion = run_text(
        "train", tmp_path, "-w", tmp_path / "e", "-c", "test", "--image-motion", 2
    )
    assert bad_motion.returncode == 2 and "image-motion must lie in [0, 1]" in bad_motion.stderr
    (tmp_path / "empty").mkdir()
    nothing = run_text("train", tmp_path / "empty", "--workdir", tmp_path / "c", "-c", "test")
    assert nothing.returncode == 3 and "no videos or images" in nothing.stderr
    assert "Traceback" not in nothing.stderr
    not_a_run = run_text("export", tmp_path / "empty", "-o", tmp_path / "m")
    assert not_a_run.returncode == 3
    no_mean = run_text("export", tmp_path / "empty", "-o", tmp_path / "m", "--average", 0)
    assert no_mean.returncode == 2 and no_mean.stderr.startswith("elastictok: error:")
    (tmp_path / "latin1.md").write_bytes("r\xe9sum\xe9".encode("latin-1"))
    for notes in ("missing.md", "latin1.md"):
        bad_notes = run_text(
            "export", tmp_path / "empty", "-o", tmp_path / "m", "--notes", tmp_path / notes
        )
        assert bad_notes.returncode == 3 and "cannot read the notes" in bad_notes.stderr
        assert "Traceback" not in bad_notes.stderr
    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped" / "config.json").write_text("{}")
    taken = run_text(
        "train", tmp_path, "-w", tmp_path / "d", "-c", "test", "--export", tmp_path / "shipped"
    )
    # Refused before any training, so no run folder appears.
    assert taken.returncode == 5 and "already holds a model" in taken.stderr
    assert not (tmp_path / "d").exists()


def losses(workdir):
    lines = (workdir / "metrics.jsonl").read_text().splitlines()
    return {r["step"]: r["loss"] for r in map(json.loads, lines) if r["kind"] == "train"}


@pytest.mark.heavy
def test_kill_9_mid_run_then_rerun_continues_the_losses(media_dir, tmp_path):
    args = [
        "train",
        media_dir,
        "-c",
        "test",
        "--steps",
        "40",
        "--batch-size",
        "2",
        "--log-every",
        "1",
        "--checkpoint-every",
        "5",
        "--eval-every",
        "1000",
        "--quiet",
    ]
    straight = tmp_path / "straight"
    assert run_text(*args, "--workdir", straight).returncode == 0
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cli_command(*args, "--workdir", killed))
    # Kill once a checkpoint exists and training has gone past it.
    deadline = time.time() + 300
    while time.time() < deadline:
        steps = losses(killed) if (killed / "metrics.jsonl").exists() else {}
        if max(steps, default=0) >= 12:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert max(losses(killed)) < 40
    rerun = run_text(*args[:1], "--workdir", killed, "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    resumed, reference = losses(killed), losses(straight)
    assert sorted(resumed) == list(range(1, 41))
    for step in range(1, 41):
        assert abs(resumed[step] - reference[step]) < 1e-4 * max(1.0, reference[step])
