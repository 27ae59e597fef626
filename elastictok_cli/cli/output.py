"""What the codec commands share: the --json/--quiet options, progress bars, JSON on stdout."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from elastictok_cli.cli.interrupts import raise_if_interrupted

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print a JSON object on stdout for scripts, nothing else.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")]
ForceOption = Annotated[bool, typer.Option("--force", "-f", help="Replace an existing output.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model name (see `elastictok models`) or model folder."),
]

err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


class TimeLeftColumn(TimeRemainingColumn):
    """Time left: the task's `left` field where the work estimates it, else rich's rate."""

    def render(self, task):
        """The estimate in h:mm:ss, as rich shows it."""
        left = task.fields.get("left")
        if left is None or task.finished:
            return super().render(task)
        hours, rest = divmod(int(left + 0.5), 3600)
        return Text(f"{hours}:{rest // 60:02d}:{rest % 60:02d}", style="progress.remaining")


class InterruptibleProgress(Progress):
    """A progress bar whose every update is a point where a swallowed Ctrl-C resurfaces."""

    def update(self, *args, **kwargs) -> None:
        """Raise a pending Ctrl-C first, so no output is committed after one."""
        raise_if_interrupted()
        super().update(*args, **kwargs)


def progress_bar(quiet: bool, unit: str = "frames") -> Progress:
    """A progress bar on stderr, shown only on a terminal and without --quiet."""
    return InterruptibleProgress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit + "  {task.fields[rate]}"),
        TimeElapsedColumn(),
        # Encode passes its own estimate (`codec.eta`); elsewhere every block costs about
        # the same, so the mean rate since the start predicts the rest.
        TimeLeftColumn(),
        console=err_console,
        speed_estimate_period=3600,
        disable=quiet or not sys.stderr.isatty(),
        transient=True,
    )


def _finite(value):
    """Replace inf and nan (not valid JSON) by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def print_json(data: dict) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(_finite(data), indent=2) + "\n")


def fmt_db(value: float) -> str:
    """A PSNR for people."""
    return "inf" if math.isinf(value) else f"{value:.2f} dB"
