"""`elastictok train`: parse flags, run the training library, show progress with rich."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from elastictok_cli.cli.interrupts import raise_if_interrupted
from elastictok_cli.errors import UsageError

# Flag name -> key of TrainConfig or OptimConfig; only flags the user gives are passed on.
OVERRIDES = {
    "preset": "preset",
    "steps": "steps",
    "batch_size": "batch_size",
    "seq_blocks": "seq_blocks",
    "lr": "learning_rate",
    "warmup_steps": "warmup_steps",
    "schedule": "schedule",
    "weight_decay": "weight_decay",
    "grad_clip": "grad_clip",
    "image_ratio": "image_ratio",
    "image_motion": "image_motion",
    "full_share": "full_share",
    "max_scale": "max_scale",
    "log_every": "log_every",
    "eval_every": "eval_every",
    "checkpoint_every": "checkpoint_every",
    "keep_checkpoints": "keep_checkpoints",
    "eval_sequences": "eval_sequences",
    "seed": "seed",
    "init_from": "init_from",
    "grow_layers": "grow_layers",
    "grow_stems": "grow_stems",
    "widen_decoder": "widen_decoder",
}


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


def command(
    data: Annotated[
        list[str] | None,
        typer.Argument(help="Folders or globs of videos and images (omit to resume a run)."),
    ] = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", "-w", help="Run folder: settings, checkpoints, metrics.")
    ] = ...,
    preset: Annotated[
        str | None, typer.Option("--config", "-c", help="Model preset (default cpu-small).")
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Total training steps.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Global batch of sequences.")] = None,
    seq_blocks: Annotated[int | None, typer.Option(help="Blocks per training sequence.")] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate.")] = None,
    warmup_steps: Annotated[int | None, typer.Option(help="Linear warmup steps.")] = None,
    schedule: Annotated[str | None, typer.Option(help="cosine or constant after warmup.")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="AdamW weight decay.")] = None,
    grad_clip: Annotated[float | None, typer.Option(help="Global gradient norm clip.")] = None,
    image_ratio: Annotated[float | None, typer.Option(help="Share of image sequences.")] = None,
    image_motion: Annotated[
        float | None,
        typer.Option(help="Share of image sequences that pan and zoom across one still."),
    ] = None,
    full_share: Annotated[
        float | None,
        typer.Option(
            help="Share of sequences whose blocks all keep every token (default 0.2; 0: k "
            "uniform per block, as in the paper)."
        ),
    ] = None,
    max_scale: Annotated[float | None, typer.Option(help="Largest crop, in tile sides.")] = None,
    log_every: Annotated[int | None, typer.Option(help="Steps between metric lines.")] = None,
    eval_every: Annotated[int | None, typer.Option(help="Steps between evaluations.")] = None,
    checkpoint_every: Annotated[int | None, typer.Option(help="Steps between saves.")] = None,
    keep_checkpoints: Annotated[int | None, typer.Option(help="Checkpoints kept.")] = None,
    eval_sequences: Annotated[int | None, typer.Option(help="Held-out eval sequences.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of weights, masks and data.")] = None,
    init_from: Annotated[
        str | None, typer.Option(help="Start from an exported model folder (models/NAME).")
    ] = None,
    grow_layers: Annotated[
        str | None,
        typer.Option(
            help="ENC,DEC: deepen the --init-from model to these layer counts; the new "
            "layers start as identities, so training starts from the same outputs."
        ),
    ] = None,
    grow_stems: Annotated[
        bool | None,
        typer.Option(
            "--grow-stems",
            help="Give the --init-from model's linear patch embedding and output head a "
            "small MLP branch each, starting at zero, so training starts from the same outputs.",
        ),
    ] = None,
    widen_decoder: Annotated[
        int | None,
        typer.Option(
            metavar="WIDTH",
            help="Widen the --init-from model's decoder to WIDTH channels, adding heads of "
            "the same size; the new channels start at zero, so training starts from the "
            "same outputs.",
        ),
    ] = None,
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

    from elastictok_cli.model.config import PRESETS
    from elastictok_cli.train.export import export_run, refuse_existing_model
    from elastictok_cli.train.loop import train
    from elastictok_cli.train.run_config import load_data_specs, resolve_config

    given = locals()
    overrides = {key: given[flag] for flag, key in OVERRIDES.items() if given[flag] is not None}
    if preset is not None and preset not in PRESETS:
        raise UsageError(f"unknown --config {preset!r}; choose from {', '.join(PRESETS)}")
    if schedule is not None and schedule not in ("cosine", "constant"):
        raise UsageError("--schedule must be cosine or constant")
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
