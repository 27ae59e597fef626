"""The train and export commands as a user runs them: exit codes, resume, kill -9."""

import dataclasses
import inspect
import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import pytest
import typer
from support.cli import cli_command, run_text
from typer.testing import CliRunner

from elastictok_cli.cli import train as train_command
from elastictok_cli.errors import UsageError
from elastictok_cli.train import settings
from elastictok_cli.train.run_config import TrainConfig
from elastictok_cli.train.settings import setting


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


# The command's own parameters; every other one comes from a setting's declaration.
FIXED = {"data", "workdir", "export", "coordinator", "num_processes", "process_id"}
FIXED |= {"force", "quiet"}


def test_every_command_line_setting_is_one_option_and_every_option_one_setting():
    options = {
        name: param.annotation.__metadata__[0]
        for name, param in inspect.signature(train_command.command).parameters.items()
        if name not in FIXED
    }
    declared = {n: f for n, f in settings.by_name(TrainConfig).items() if f.metadata["cli"]}
    assert set(options) == set(declared)
    for name, option in options.items():
        assert settings.flag(declared[name]) in (option.default, *option.param_decls)
        assert option.help


def test_a_new_setting_is_one_declaration(tmp_path):
    """A field added to a config class is an option with help, checked, and read from old runs."""

    @dataclasses.dataclass(frozen=True)
    class WithDropout(TrainConfig):
        dropout: float = setting(
            0.0, low=0, high=1, help="Share of tokens dropped, drawn from {seed}."
        )

    given = {}

    @train_command.with_settings(WithDropout, after="workdir")
    def run(workdir: Annotated[Path, typer.Option()], **settings_given) -> None:
        """Collect the settings given."""
        given.update({k: v for k, v in settings_given.items() if v is not None})

    app = typer.Typer()
    app.command()(run)
    app.command("other")(lambda: None)  # two commands, so Typer keeps `run` as a subcommand
    runner = CliRunner()
    shown = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert (
        "--dropout" in shown.output
        and "Share of tokens dropped, drawn from --seed. Default: 0.0." in shown.output
    )
    done = runner.invoke(app, ["run", "--workdir", str(tmp_path), "--dropout", "0.25", "--lr", "2"])
    assert done.exit_code == 0, done.output
    assert given == {"dropout": 0.25, "learning_rate": 2.0}
    with pytest.raises(UsageError, match=r"--dropout must lie in \[0, 1\]"):
        WithDropout(dropout=1.5)
    assert WithDropout.from_dict(TrainConfig().to_dict()).dropout == 0.0
