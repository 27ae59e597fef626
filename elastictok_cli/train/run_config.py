"""A training run's settings, each declared once; saved in the workdir so a rerun resumes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from elastictok_cli.atomic import write_bytes
from elastictok_cli.errors import BadInputError, UsageError
from elastictok_cli.model.config import PRESETS
from elastictok_cli.train import settings
from elastictok_cli.train.settings import Settings, group, setting

RUN_FILE = "run.json"


def _layer_counts(text: str) -> str:
    """One spelling of "ENC,DEC", so " 6, 6" and "6,6" resume the same run."""
    # Imported here: growth pulls in JAX, and the CLI imports this module to build its options.
    from elastictok_cli.model.growth import parse_layers

    return "{},{}".format(*parse_layers(text))


@dataclasses.dataclass(frozen=True)
class OptimConfig(Settings):
    """Optimiser and schedule (paper: AdamW 0.9/0.95, clip 1.0, weight decay 1e-4)."""

    learning_rate: float = setting(1e-3, flag="lr", help="Peak learning rate.")
    warmup_steps: int = setting(
        200, help="Linear warmup steps; when not given, a tenth of {steps} if that is fewer."
    )
    total_steps: int = setting(
        100_000, cli=False, help="Steps the schedule spans: {steps} when the run started."
    )
    schedule: str = setting(
        "cosine", choices=("cosine", "constant"), help="Learning rate after warmup."
    )
    end_lr_fraction: float = setting(
        0.1, cli=False, help="Learning rate at the end of the cosine, as a share of the peak."
    )
    b1: float = setting(0.9, cli=False, help="AdamW decay of the gradient mean.")
    b2: float = setting(0.95, cli=False, help="AdamW decay of the squared gradient mean.")
    weight_decay: float = setting(1e-4, help="AdamW weight decay.")
    grad_clip: float = setting(1.0, help="Global gradient norm clip.")
    kl_weight: float = setting(1e-8, cli=False, help="Weight of the KL term (VAE bottleneck).")


@dataclasses.dataclass(frozen=True)
class TrainConfig(Settings):
    """Everything that fixes a run: model preset, batch, data sampling, schedule, seed."""

    preset: str = setting(
        "cpu-small", flag="config", short="c", choices=PRESETS, help="Model preset."
    )
    batch_size: int = setting(
        16, low=1, help="Global batch of sequences, split over all devices of all processes."
    )
    seq_blocks: int = setting(
        2, low=1, help="Consecutive blocks per sequence, so the model learns to use context."
    )
    steps: int = setting(100_000, low=1, resumable=True, help="Total training steps.")
    log_every: int = setting(10, low=1, resumable=True, help="Steps between metric lines.")
    eval_every: int = setting(500, low=1, resumable=True, help="Steps between evaluations.")
    checkpoint_every: int = setting(200, low=1, resumable=True, help="Steps between saves.")
    keep_checkpoints: int = setting(3, low=1, help="Checkpoints kept.")
    image_ratio: float = setting(0.2, low=0, high=1, help="Share of image sequences.")
    image_motion: float = setting(
        0.0, low=0, high=1, help="Share of image sequences that pan and zoom across one still."
    )
    full_share: float = setting(
        0.2,
        low=0,
        high=1,
        missing=0.0,  # runs saved before it existed sampled every k uniformly
        help="Share of sequences whose blocks all keep every token (0: k uniform per block, "
        "as in the paper).",
    )
    max_scale: float = setting(
        4.0, low=1, help="Largest crop, in tile sides; crops cover 1x to this, then are shrunk."
    )
    cache_side: int = setting(
        0, cli=False, help="Short side of decoded frames in the cache (0: 4x the tile side)."
    )
    max_frames_per_video: int = setting(
        3000, cli=False, help="Frames decoded per clip at most, which bounds the cache."
    )
    holdout_fraction: float = setting(
        0.1,
        cli=False,
        low=0,
        below=0.5,
        help="Tail of each video (and share of images) kept for evaluation.",
    )
    eval_sequences: int = setting(8, low=1, help="Held-out eval sequences.")
    eval_candidates: int = setting(32, cli=False, help="k values the eval search probes per block.")
    seed: int = setting(0, help="Seed of weights, masks and data.")
    eval_seed: int = setting(
        0,
        cli=False,
        # Runs saved before it existed drew their eval crops from their seed.
        missing=lambda saved: saved.get("seed", 0),
        help="Picks the eval crops; the same for every training {seed}.",
    )
    init_from: str | None = setting(None, help="Start from an exported model folder (models/NAME).")
    grow_layers: str | None = setting(
        None,
        needs="init_from",
        parse=_layer_counts,
        metavar="ENC,DEC",
        help="Deepen the {init_from} model to these layer counts; the new layers start as "
        "identities, so training starts from the same outputs.",
    )
    grow_stems: bool = setting(
        False,
        needs="init_from",
        help="Give the {init_from} model's linear patch embedding and output head a small MLP "
        "branch each, starting at zero, so training starts from the same outputs.",
    )
    widen_decoder: int | None = setting(
        None,
        needs="init_from",
        low=1,
        metavar="WIDTH",
        help="Widen the {init_from} model's decoder to WIDTH channels, adding heads of the same "
        "size; the new channels start at zero, so training starts from the same outputs.",
    )
    optim: OptimConfig = group(OptimConfig, help="Optimiser and schedule")


# Settings a rerun may change without invalidating the checkpoints it resumes from.
RESUMABLE_CHANGES = settings.resumable(TrainConfig)


def build_config(overrides: dict) -> TrainConfig:
    """A new run's config: defaults, then the given flags; the schedule spans the run's steps."""
    optim_names = set(settings.by_name(OptimConfig))
    optim_values = {k: v for k, v in overrides.items() if k in optim_names}
    run_values = {k: v for k, v in overrides.items() if k not in optim_names}
    steps = run_values.get("steps", TrainConfig.steps)
    optim_values.setdefault("total_steps", steps)
    optim_values.setdefault("warmup_steps", min(OptimConfig.warmup_steps, max(1, steps // 10)))
    return TrainConfig(**run_values, optim=OptimConfig(**optim_values))


def resolve_config(workdir: Path, overrides: dict) -> tuple[TrainConfig, bool]:
    """The saved config of an existing run (checked against explicit flags) or a new one.

    Returns (config, resuming). A rerun may raise `steps` to train longer; the learning
    rate schedule keeps the length it was started with, so the run stays reproducible.
    """
    saved = load_config(workdir)
    if saved is None:
        return build_config(overrides), False
    flat = saved.to_dict()
    flat.update(flat.pop("optim"))
    names = settings.by_name(TrainConfig)
    conflicts = [
        f"{settings.label(names[k])} {v} (run has {flat[k]})"
        for k, v in overrides.items()
        if k in flat and flat[k] != v and k not in RESUMABLE_CHANGES
    ]
    if conflicts:
        raise UsageError(
            f"{workdir} holds a run with other settings: {'; '.join(conflicts)}; "
            "drop these flags to resume it, or train in a new workdir"
        )
    changes = {k: v for k, v in overrides.items() if k in RESUMABLE_CHANGES}
    return dataclasses.replace(saved, **changes), True


def load_config(workdir: Path) -> TrainConfig | None:
    """The config saved in a workdir, None when there is none."""
    path = Path(workdir) / RUN_FILE
    if not path.exists():
        return None
    try:
        values = json.loads(path.read_text())
        return TrainConfig.from_dict(values["config"])
    except (ValueError, KeyError, TypeError) as err:
        raise BadInputError(f"{path}: unreadable run settings ({err})") from err


def load_data_specs(workdir: Path) -> list[str]:
    """The DATA arguments a run was started with ([] when there is no run)."""
    path = Path(workdir) / RUN_FILE
    if not path.exists():
        return []
    return list(json.loads(path.read_text()).get("data", []))


def save_config(workdir: Path, config: TrainConfig, data_specs: list[str]) -> None:
    """Write the run's settings atomically (temp file, then rename)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"config": config.to_dict(), "data": list(data_specs)}, indent=2)
    write_bytes(str(workdir / RUN_FILE), (text + "\n").encode())
