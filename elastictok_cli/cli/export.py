"""`elastictok export`: write a training run's checkpoint as a shipped model folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from elastictok_cli.cli.output import ForceOption


def command(
    workdir: Annotated[Path, typer.Argument(help="The run folder given to train --workdir.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model folder to write (models/NAME).")
    ],
    step: Annotated[
        int | None, typer.Option(help="Checkpoint step to export (default: newest).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Model name recorded in its config (default: folder).")
    ] = None,
    notes: Annotated[
        Path | None,
        typer.Option(help="Markdown file whose text goes into the card, before its Files list."),
    ] = None,
    average: Annotated[
        int,
        typer.Option(
            min=1, help="Export the mean of this many newest checkpoints up to --step (1: none)."
        ),
    ] = 1,
    force: ForceOption = False,
) -> None:
    """Export a training run into the shipped-model format (weights, config, card, SHA-256).

    elastictok export runs/small -o models/small

    elastictok export runs/small -o models/small-20k --step 20000

    elastictok export runs/next -o models/small --notes card-notes.md --force

    elastictok export runs/next -o models/small-avg --average 4
    """
    from elastictok_cli.errors import BadInputError
    from elastictok_cli.train.export import export_run

    try:
        text = notes.read_text(encoding="utf-8") if notes else ""
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or "not UTF-8 text"
        raise BadInputError(f"{notes}: cannot read the notes ({reason})") from err
    result = export_run(
        workdir, output, step=step, name=name, notes=text, force=force, average=average
    )
    console = Console()
    console.print(f"exported step {result.step} of {workdir} to {result.folder}")
    if result.averaged_steps:
        listed = ", ".join(str(s) for s in result.averaged_steps)
        console.print(f"weights: the mean of the checkpoints at steps {listed}")
    console.print(f"weights sha256 {result.sha256}")
    if result.eval_step is None:
        console.print("no evaluation recorded for this run: the model card has no eval table")
