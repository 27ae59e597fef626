"""The training loop: data, sharded steps, metrics, evaluation and checkpoints.

Progress goes through a `Reporter`, so this library never prints; the CLI renders it.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import jax
import numpy as np
from flax import nnx

from elastictok_cli.errors import BadInputError, UsageError
from elastictok_cli.model import registry
from elastictok_cli.model.config import ModelConfig, get_preset
from elastictok_cli.model.elastictok import ElasticTok, count_params
from elastictok_cli.model.growth import add_mlp_stems, grow_depth, parse_layers, widen_decoder
from elastictok_cli.train import sharding
from elastictok_cli.train.checkpoints import Checkpoints, has_checkpoint
from elastictok_cli.train.data import load_cache
from elastictok_cli.train.evaluate import evaluate
from elastictok_cli.train.metrics import MetricsLog
from elastictok_cli.train.prefetch import Prefetcher
from elastictok_cli.train.run_config import TrainConfig, save_config
from elastictok_cli.train.sampling import BatchSampler
from elastictok_cli.train.step import make_optimizer, make_schedule, make_train_step

MODEL_FILE = "model.json"


class Reporter:
    """Progress hooks, all no-ops here; a front end overrides the ones it shows."""

    def message(self, text: str) -> None:
        """A line of information."""

    def loading(self, done: int, total: int, name: str) -> None:
        """Data decoding progress."""

    def start(self, step: int, total: int) -> None:
        """Training starts (or resumes) at `step` of `total`."""

    def step(self, step: int, record: dict | None) -> None:
        """A step finished; `record` is the latest logged metrics (None before the first)."""

    def evaluated(self, step: int, result: dict) -> None:
        """An evaluation finished."""


@dataclasses.dataclass
class RunResult:
    """Where a call to `train` stopped and the last metrics it saw."""

    step: int
    resumed_from: int
    last_train: dict | None
    last_eval: dict | None


def run_model_config(
    workdir: Path, config: TrainConfig, has_checkpoint: bool
) -> tuple[ModelConfig, ElasticTok | None, str | None]:
    """The run's model config (saved in the workdir on resume), any initial model and its name.

    The name ("NAME (sha256 PREFIX...)") says which exported model the run started from.

    Until the first checkpoint the starting weights live only in `init_from`, so a rerun
    interrupted before it rebuilds them (grown again) rather than trusting model.json
    alone, which would start the saved shape from random weights.
    """
    saved = Path(workdir) / MODEL_FILE
    if saved.exists() and (has_checkpoint or not config.init_from):
        return ModelConfig.from_dict(json.loads(saved.read_text())), None, None
    if config.init_from:
        # By name or folder, as encode's --model: the registry is the one way to a model.
        loaded = registry.load(config.init_from)
        model, sha = loaded.model, loaded.sha256
        origin = f"{model.config.name} (sha256 {sha[:12]}...)"
        if config.grow_layers:
            try:
                model = grow_depth(model, *parse_layers(config.grow_layers), seed=config.seed)
            except ValueError as err:
                raise UsageError(f"--grow-layers: {err}") from None
        if config.widen_decoder:
            try:
                model = widen_decoder(model, config.widen_decoder, seed=config.seed)
            except ValueError as err:
                raise UsageError(f"--widen-decoder: {err}") from None
        if config.grow_stems:
            try:
                model = add_mlp_stems(model, seed=config.seed)
            except ValueError as err:
                raise UsageError(f"--grow-stems: {err}") from None
        return model.config, model, origin
    return get_preset(config.preset), None, None


def load_data(data_specs, config: TrainConfig, model_config: ModelConfig, progress=None):
    """The run's decoded media cache and its batch sampler (training and evaluation)."""
    tile = (model_config.tile_height, model_config.tile_width)
    cache = load_cache(
        data_specs,
        tile=tile,
        seq_frames=model_config.frames_per_block * config.seq_blocks,
        short_side=config.cache_side or 4 * max(tile),
        max_frames=config.max_frames_per_video,
        holdout_fraction=config.holdout_fraction,
        progress=progress,
    )
    sampler = BatchSampler(
        cache,
        frames_per_block=model_config.frames_per_block,
        seq_blocks=config.seq_blocks,
        tile=tile,
        image_ratio=config.image_ratio,
        image_motion=config.image_motion,
        max_scale=config.max_scale,
        seed=config.seed,
        eval_seed=config.eval_seed,
    )
    return cache, sampler


def compile_step(graphdef, tx, mesh, kl_weight: float, full_share: float = 0.0):
    """The train step jitted for the mesh: state replicated, batch split on "data"."""
    replicated = sharding.replicated(mesh)
    # Donating buffers halves memory on accelerators; on CPU it only risks an interrupt
    # landing mid-step with the old parameters already given away.
    donate = (0, 1) if jax.default_backend() != "cpu" else ()
    return jax.jit(
        make_train_step(graphdef, tx, kl_weight, full_share),
        in_shardings=(replicated, replicated, sharding.batch_sharding(mesh), replicated),
        out_shardings=(replicated, replicated, replicated),
        donate_argnums=donate,
    )


def host_copy(tree):
    """A host numpy copy of replicated arrays, valid on any process of a multi-host run."""
    return jax.tree.map(lambda x: np.asarray(x.addressable_data(0)), tree)


def train(
    workdir: Path,
    config: TrainConfig,
    data_specs: list[str],
    reporter: Reporter | None = None,
    stop_at: int | None = None,
) -> RunResult:
    """Train (or resume) the run in `workdir` up to `config.steps` (or `stop_at`) steps."""
    reporter = reporter or Reporter()
    workdir = Path(workdir)
    main_process = jax.process_index() == 0
    model_config, initial, origin = run_model_config(workdir, config, has_checkpoint(workdir))
    mesh = sharding.make_mesh()
    local_batch = sharding.local_batch_size(config.batch_size, mesh)
    cache, sampler = load_data(data_specs, config, model_config, progress=reporter.loading)
    reporter.message(cache.summary())

    model = initial or ElasticTok(model_config, rngs=nnx.Rngs(config.seed))
    graphdef, params = nnx.split(model)
    replicated = sharding.replicated(mesh)
    params = jax.device_put(params, replicated)
    tx = make_optimizer(config.optim)
    opt_state = jax.jit(tx.init, out_shardings=replicated)(params)
    step_fn = compile_step(graphdef, tx, mesh, config.optim.kl_weight, config.full_share)
    schedule = make_schedule(config.optim)

    checkpoints = Checkpoints(workdir, keep=config.keep_checkpoints)
    start = checkpoints.latest_step() or 0
    if start:
        params, opt_state, meta = checkpoints.restore(params, opt_state)
        if meta.get("seed", config.seed) != config.seed:
            raise BadInputError(f"{workdir}: checkpoint seed differs from the run's settings")
        reporter.message(f"resuming from the checkpoint at step {start}")
    if main_process:
        workdir.mkdir(parents=True, exist_ok=True)
        if not (workdir / MODEL_FILE).exists():
            (workdir / MODEL_FILE).write_text(json.dumps(model_config.decoding_facts(), indent=2))
        # Rewritten on resume too: a raised --steps must hold for the next bare rerun.
        save_config(workdir, config, data_specs)
    log = MetricsLog(workdir, enabled=main_process)
    log.rewind(start)
    log.write(
        "start",
        start,
        devices=jax.device_count(),
        processes=jax.process_count(),
        backend=jax.default_backend(),
        params=count_params(model),
        data=cache.summary(),
        **({"init_model": origin} if origin else {}),
    )
    eval_blocks = sampler.eval_batch(config.eval_sequences)
    meta = {"seed": config.seed, "preset": model_config.name}
    base_key = jax.random.PRNGKey(config.seed)
    end = min(config.steps, stop_at) if stop_at is not None else config.steps
    done = start
    last_train = last_eval = None

    def run_eval(step: int) -> dict:
        """Evaluate on the held-out batch (first process only) and log it."""
        began = time.perf_counter()
        result = evaluate(
            graphdef, host_copy(params), model_config, eval_blocks, config.eval_candidates
        )
        record = log.write(
            "eval",
            step,
            **result,
            held_out=sampler.held_out,
            seconds=round(time.perf_counter() - began, 2),
        )
        reporter.evaluated(step, record)
        return record

    if start >= end:
        reporter.message(f"already at step {start} of {config.steps}; raise --steps to go on")
    reporter.start(start, end)
    window_start, window_step, window_wait = time.perf_counter(), start, 0.0
    prefetch = Prefetcher(
        lambda s: sampler.batch(s, local_batch, stream=jax.process_index()), start, end
    )
    try:
        for _ in range(start, end):
            step, batch = prefetch.get()
            key = jax.random.fold_in(base_key, step)
            params, opt_state, metrics = step_fn(
                params, opt_state, sharding.global_batch(batch, mesh), key
            )
            # Wait for the step, so time blocked in `prefetch.get` is time the devices sat
            # idle for want of data (an honest loader measure), not overlap with compute.
            metrics = jax.block_until_ready(metrics)
            done = step + 1
            if done % config.log_every == 0 or done == end:
                elapsed = time.perf_counter() - window_start
                steps = done - window_step
                values = {k: float(v) for k, v in jax.device_get(metrics).items()}
                waited = prefetch.wait_seconds - window_wait
                last_train = log.write(
                    "train",
                    done,
                    **values,
                    lr=float(schedule(step)),
                    steps_per_s=steps / elapsed,
                    examples_per_s=steps * config.batch_size / elapsed,
                    data_wait_fraction=waited / elapsed,
                )
                window_start, window_step = time.perf_counter(), done
                window_wait = prefetch.wait_seconds
            reporter.step(done, last_train)
            if done % config.checkpoint_every == 0 and done != end:
                checkpoints.save(done, params, opt_state, meta)
            if done % config.eval_every == 0 and main_process:
                last_eval = run_eval(done)
                # Evaluation time is not training speed: leave it out of steps/s.
                window_start += last_eval["seconds"]
        checkpoints.save(done, params, opt_state, meta)
        if main_process and done > start and done == config.steps and done % config.eval_every:
            last_eval = run_eval(done)
    except KeyboardInterrupt:
        # Keep the finished steps: the rerun resumes from here, not the last periodic save.
        if done > start:
            checkpoints.save(done, params, opt_state, meta)
        raise
    finally:
        prefetch.close()
        checkpoints.close()
    return RunResult(done, start, last_train, last_eval)
