"""`elastictok train`: parse flags, run the training library, show progress with rich."""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from elastictok_cli.cli.interrupts import raise_if_interrupted
from elastictok_cli.errors import UsageError
from elastictok_cli.train import settings
from elastictok_cli.train.run_config import TrainConfig, load_data_specs, resolve_config


def option_help(config_cls: type, field: dataclasses.Field) -> str:
    """A setting's help, then its choices and its default (when it has one to show)."""
    text = settings.help_text(config_cls, field)
    if field.metadata["choices"]:
        text += f" Choices: {', '.join(field.metadata['choices'])}."
    if field.default is not None and not isinstance(field.default, bool):
        text += f" Default: {field.default}."
    return text


def setting_options(config_cls: type) -> list[inspect.Parameter]:
    """One keyword parameter with a Typer option per command-line setting of `config_cls`."""
    options = []
    for field, owner, panel in settings.leaves(config_cls):
        meta = field.metadata
        if not meta["cli"]:
            continue
        kind = typing.get_type_hints(owner)[field.name]
        if isinstance(kind, types.UnionType):
            (kind,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        names = [settings.flag(field)] + ([f"-{meta['short']}"] if meta["short"] else [])
        option = typer.Option(
            *names,
            help=option_help(config_cls, field),
            metavar=meta["metavar"],
            rich_help_panel=panel,
        )
        # None, not the declared default, reaches the command when a flag is not given, so
        # that only the flags given override a resumed run's settings.
        options.append(
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[kind | None, option],
            )
        )
    return options


def with_settings(config_cls: type, after: str):
    """Give a command one option per setting of `config_cls`, placed after parameter `after`.

    The command takes the settings as `**given`, None for each flag not given.
    """

    def decorate(function):
        own = list(inspect.signature(function, eval_str=True).parameters.values())
        names = [param.name for param in own]
        if own[-1].kind is not inspect.Parameter.VAR_KEYWORD or after not in names:
            raise TypeError(f"{function.__name__} needs **given and a parameter {after!r}")
        params = []
        for param in own[:-1]:
            params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            if param.name == after:
                params.extend(setting_options(config_cls))
        # Typer reads the signature, so the options come from the declarations alone.
        function.__signature__ = inspect.Signature(params)
        return function

    return decorate


class RichReporter:
    """Renders the library's progress hooks as a rich progress bar and lines."""

    def __init__(self, console: Console, enabled: bool):
        """Draw on `console`; `enabled` is False on processes other than the first."""
        self.console = console
        self.enabled = enabled
        self.progress: Progress | None = None
        self.task = None

    def message(self, text: str) -> None:
        """Print a line above the bar."""
        if self.enabled:
            self.console.print(text)

    def loading(self, done: int, total: int, name: str) -> None:
        """A bar over the files being decoded, removed when all are done."""
        if not self.enabled:
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("decode"),
                BarColumn(),
                MofNCompleteColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("decode", total=total)
        self.progress.update(self.task, completed=done)
        if done >= total:
            self.progress.stop()
            self.progress = None

    def start(self, step: int, total: int) -> None:
        """Open the bar at the resumed step."""
        if not self.enabled:
            return
        self.progress = Progress(
            TextColumn("train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task("train", total=total, completed=step, stats="")

    def step(self, step: int, record: dict | None) -> None:
        """Advance the bar and show the latest logged metrics."""
        # Each step is a point where a Ctrl-C swallowed inside JAX resurfaces, bar or not.
        raise_if_interrupted()
        if self.progress is None:
            return
        stats = ""
        if record:
            stats = (
                f"loss {record['loss']:.4f}  {record['psnr']:.2f} dB  "
                f"{record['steps_per_s']:.2f} steps/s"
            )
        self.progress.update(self.task, completed=step, stats=stats)

    def evaluated(self, step: int, result: dict) -> None:
        """Print the eval line."""
        if not self.enabled:
            return
        pooled = result["pooled_psnr_at"]
        psnr = "  ".join(f"{k}: {v:.2f} ({pooled[k]:.2f})" for k, v in result["psnr_at"].items())
        share = "  ".join(f"{k}: {v:.0%}" for k, v in result["share_meeting"].items())
        self.console.print(
            f"eval @ {step}  PSNR per block (of the mean MSE) {psnr}  |  blocks meeting MSE {share}"
        )

    def close(self) -> None:
        """Remove the live bar."""
        if self.progress is not None:
            self.progress.stop()


@with_settings(TrainConfig, after="workdir")
def command(
    data: Annotated[
        list[str] | None,
        typer.Argument(help="Folders or globs of videos and images (omit to resume a run)."),
    ] = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", "-w", help="Run folder: settings, checkpoints, metrics.")
    ] = ...,
    export: Annotated[
        Path | None, typer.Option(help="Export the final model to this folder.")
    ] = None,
    coordinator: Annotated[
        str | None, typer.Option(help="host:port of process 0, for multi-host runs.")
    ] = None,
    num_processes: Annotated[int | None, typer.Option(help="Processes in the run.")] = None,
    process_id: Annotated[int | None, typer.Option(help="This process's index.")] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Let --export replace a model in its folder.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    **given,
) -> None:
    """Train a model on folders or globs of videos and images; rerun the command to resume.

    elastictok train clips/ photos/*.jpg --workdir runs/small --config cpu-small --steps 20000

    elastictok train --workdir runs/small   (resumes: settings and data come from the workdir)

    elastictok train clips/ --workdir runs/tuned --init-from models/small --lr 3e-4

    elastictok train clips/ -w runs/deeper --init-from models/small --grow-layers 6,6

    elastictok train clips/ -w runs/stems --init-from models/small --grow-stems

    elastictok train clips/ -w runs/big --coordinator host0:1234 --num-processes 2 --process-id 0

    (the last: one command per host, --process-id 0, 1, ...)
    """
    from elastictok_cli.train import sharding

    # Joining a multi-host run must come before anything touches a device.
    sharding.initialize(
        sharding.DistributedConfig.from_env(
            coordinator=coordinator, num_processes=num_processes, process_id=process_id
        )
    )
    import jax

    from elastictok_cli.train.export import export_run, refuse_existing_model
    from elastictok_cli.train.loop import train

    # Only the settings given on the command line: the rest come from a resumed run or defaults.
    overrides = {name: value for name, value in given.items() if value is not None}
    config, resuming = resolve_config(workdir, overrides)
    specs = list(data or []) or load_data_specs(workdir)
    if not specs:
        raise UsageError("give DATA (folders or globs of videos and images) to start a run")
    main_process = jax.process_index() == 0
    if export is not None and not force and main_process:
        # Refuse now, not after hours of training (only process 0 exports).
        refuse_existing_model(export)
    console = Console(stderr=True)
    reporter = RichReporter(console, enabled=main_process and not quiet)
    try:
        result = train(workdir, config, specs, reporter)
    finally:
        reporter.close()
    if main_process:
        line = result.last_train or {}
        console.print(
            f"step {result.step}/{config.steps}"
            + (f"  loss {line['loss']:.4f}  {line['psnr']:.2f} dB" if line else "")
            + f"  checkpoints in {workdir}"
        )
    if export is not None and main_process:
        exported = export_run(workdir, export, force=force)
        console.print(f"exported step {exported.step} to {exported.folder} ({exported.sha256})")
