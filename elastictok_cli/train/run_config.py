"""A training run's settings: one frozen dataclass, saved in the workdir so a rerun resumes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from elastictok_cli.atomic import write_bytes
from elastictok_cli.errors import BadInputError, UsageError
from elastictok_cli.model.growth import parse_layers
from elastictok_cli.train.step import OptimConfig

RUN_FILE = "run.json"
# Settings a rerun may change without invalidating the checkpoints it resumes from.
RESUMABLE_CHANGES = frozenset({"steps", "eval_every", "checkpoint_every", "log_every"})


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes a run: model preset, batch, data sampling, schedule, seed."""

    preset: str = "cpu-small"
    batch_size: int = 16  # global: split over all devices of all processes
    seq_blocks: int = 2  # consecutive blocks per sequence, so the model learns to use context
    steps: int = 100_000
    log_every: int = 10
    eval_every: int = 500
    checkpoint_every: int = 200
    keep_checkpoints: int = 3
    image_ratio: float = 0.2  # share of sequences drawn from still images
    image_motion: float = 0.0  # share of those that pan and zoom over one still
    full_share: float = 0.2  # share of sequences whose blocks all keep every token
    max_scale: float = 4.0  # crops cover 1x to this many times the tile side, then are shrunk
    cache_side: int = 0  # short side of decoded frames in the cache; 0: 4x the tile side
    max_frames_per_video: int = 3000  # bounds the cache for long clips
    holdout_fraction: float = 0.1  # tail of each video (and share of images) kept for eval
    eval_sequences: int = 8
    eval_candidates: int = 32  # k values probed per block by the eval search
    seed: int = 0
    eval_seed: int = 0  # picks the eval crops; the same for every training seed
    init_from: str | None = None  # an exported model folder to start from
    grow_layers: str | None = None  # "ENC,DEC": deepen the init_from model to these counts
    grow_stems: bool = False  # give the init_from model's linear embedding and head MLP branches
    widen_decoder: int | None = None  # widen the init_from model's decoder to this width
    optim: OptimConfig = dataclasses.field(default_factory=OptimConfig)

    def __post_init__(self):
        """Refuse settings that cannot run."""
        positive = ("batch_size", "seq_blocks", "steps", "log_every", "eval_every")
        for name in (*positive, "checkpoint_every", "keep_checkpoints", "eval_sequences"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name.replace('_', '-')} must be at least 1")
        for name in ("image_ratio", "image_motion", "full_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise UsageError(f"{name.replace('_', '-')} must lie in [0, 1]")
        if self.max_scale < 1.0:
            raise UsageError("max-scale must be at least 1")
        if not 0.0 <= self.holdout_fraction < 0.5:
            raise UsageError("holdout-fraction must lie in [0, 0.5)")
        if self.grow_stems and self.init_from is None:
            raise UsageError("grow-stems needs --init-from (a trained model to grow)")
        if self.widen_decoder is not None:
            if self.init_from is None:
                raise UsageError("widen-decoder needs --init-from (a trained model to widen)")
            if self.widen_decoder < 1:
                raise UsageError("widen-decoder must be at least 1")
        if self.grow_layers is not None:
            if self.init_from is None:
                raise UsageError("grow-layers needs --init-from (a trained model to deepen)")
            try:
                counts = parse_layers(self.grow_layers)
            except ValueError as err:
                raise UsageError(f"grow-layers: {err}") from None
            # One spelling, so " 6, 6" and "6,6" resume the same run.
            object.__setattr__(self, "grow_layers", "{},{}".format(*counts))

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Rebuild from `to_dict`, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in values.items() if k in known}
        # Runs saved before eval_seed existed drew their eval crops from their seed.
        kwargs.setdefault("eval_seed", kwargs.get("seed", 0))
        # Runs saved before full_share existed sampled every k uniformly.
        kwargs.setdefault("full_share", 0.0)
        if "optim" in kwargs:
            optim_known = {f.name for f in dataclasses.fields(OptimConfig)}
            kwargs["optim"] = OptimConfig(
                **{k: v for k, v in kwargs["optim"].items() if k in optim_known}
            )
        return cls(**kwargs)


def build_config(overrides: dict) -> TrainConfig:
    """A new run's config: defaults, then the given flags; the schedule spans the run's steps."""
    optim_names = {f.name for f in dataclasses.fields(OptimConfig)}
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
    conflicts = [
        f"--{k.replace('_', '-')} {v} (run has {flat[k]})"
        for k, v in overrides.items()
        if k in flat and flat[k] != v and k not in RESUMABLE_CHANGES
    ]
    if conflicts:
        raise UsageError(
            f"{workdir} holds a run with other settings: {'; '.join(conflicts)}; "
            "drop these flags to resume it, or use a new --workdir"
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
