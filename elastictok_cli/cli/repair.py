"""`elastictok repair`: recover the intact blocks of a damaged or unfinished file; no JAX."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from elastictok_cli.cli.output import (
    ForceOption,
    JsonOption,
    err_console,
    out_console,
    print_json,
)
from elastictok_cli.errors import UsageError


def command(
    input: Annotated[
        str,
        typer.Argument(
            help="A damaged or truncated .etok file, or the .part a killed encode left "
            "(with --clean: a folder)."
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="The repaired .etok file (default for a .part: the file it was becoming).",
        ),
    ] = None,
    clean: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="Delete the .part files in the folder INPUT whose encode is gone instead.",
        ),
    ] = False,
    force: ForceOption = False,
    json_output: JsonOption = False,
) -> None:
    """Write every intact block of a damaged or unfinished .etok file to a valid one.

    Blocks after a damaged one are kept (renumbered); the frame and block counts are
    corrected and the repair is recorded in the header. Exit 3 if nothing is left.

    Examples:

      elastictok repair .clip.etok.1f2e3d4c.part -o clip.etok

      elastictok repair damaged.etok -o fixed.etok --json

      elastictok repair --clean videos/
    """
    if clean:
        _clean(input, json_output)
        return
    from elastictok_cli import api
    from elastictok_cli.atomic import temp_target

    output = output or temp_target(input)
    if output is None:
        raise UsageError("give the repaired file's name with -o OUT.etok")
    report = api.repair(input, output, force=force)
    if json_output:
        print_json(report)
        return
    kept, lost = report["kept"], report["lost"]
    out_console.print(
        f"wrote {report['output']}: {len(kept)} blocks, {report['frames']} frames "
        f"(of {report['source_blocks']} blocks in the header)"
    )
    if lost:
        err_console.print(f"[yellow]note:[/yellow] lost blocks {_listed(lost)}")


def _clean(folder: str, json_output: bool) -> None:
    """Delete the stale .part files of .etok targets in `folder`."""
    from elastictok_cli.container.atomic import clean_stale_parts

    if not os.path.isdir(folder):
        raise UsageError(f"--clean needs a folder, not {folder}")
    removed = clean_stale_parts(folder)
    if json_output:
        print_json({"folder": folder, "removed": removed})
    else:
        out_console.print(f"removed {len(removed)} stale .part files in {folder}")


def _listed(indices: list[int], most: int = 20) -> str:
    """Block numbers for people, the first `most` of them."""
    shown = ", ".join(map(str, indices[:most]))
    return shown + (f" and {len(indices) - most} more" if len(indices) > most else "")
