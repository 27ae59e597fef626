"""Export a training run's checkpoint into the shipped-model format the codec reads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
from flax import nnx

from elastictok_cli.errors import BadInputError, OutputError
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.elastictok import ElasticTok, count_params
from elastictok_cli.model.registry import CONFIG_FILE, WEIGHTS_FILE
from elastictok_cli.model.weights import save_model
from elastictok_cli.train.averaging import average_trees, steps_to_average
from elastictok_cli.train.checkpoints import CHECKPOINT_DIR, Checkpoints
from elastictok_cli.train.evaluate import format_table
from elastictok_cli.train.loop import MODEL_FILE
from elastictok_cli.train.metrics import METRICS_FILE, read_records
from elastictok_cli.train.run_config import load_config
from elastictok_cli.train.step import make_optimizer


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """What was written."""

    folder: Path
    step: int
    sha256: str
    eval_step: int | None
    averaged_steps: tuple[int, ...] = ()


def restore_params(workdir: Path, step: int | None = None, average: int = 1):
    """(graphdef, params on one device, model config, step, steps averaged) of a checkpoint.

    With `average` above 1 the params are the mean of that many newest checkpoints up
    to `step`; the steps averaged come back oldest first (empty when not averaging).
    """
    workdir = Path(workdir)
    run = load_config(workdir)
    if run is None or not (workdir / MODEL_FILE).exists():
        raise BadInputError(f"{workdir}: not a training workdir (no run settings)")
    model_config = ModelConfig.from_dict(json.loads((workdir / MODEL_FILE).read_text()))
    if not (workdir / CHECKPOINT_DIR).exists():
        raise BadInputError(f"{workdir}: has no checkpoint yet")
    checkpoints = Checkpoints(workdir, keep=run.keep_checkpoints)
    try:
        available = checkpoints.manager.all_steps()
        if not available:
            raise BadInputError(f"{workdir}: has no checkpoint yet")
        if step is not None and step not in available:
            raise BadInputError(f"{workdir}: no checkpoint at step {step} (have {available})")
        step = step if step is not None else max(available)
        graphdef, abstract = nnx.split(
            nnx.eval_shape(lambda: ElasticTok(model_config, rngs=nnx.Rngs(0)))
        )
        device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
        abstract = jax.tree.map(
            lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device), abstract
        )
        opt_abstract = jax.eval_shape(make_optimizer(run.optim).init, abstract)
        opt_abstract = jax.tree.map(
            lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device), opt_abstract
        )
        if average == 1:
            params, _, _ = checkpoints.restore(abstract, opt_abstract, step)
            return graphdef, params, model_config, step, ()
        steps = steps_to_average(available, step, average)
        trees = [checkpoints.restore(abstract, opt_abstract, s)[0] for s in steps]
    finally:
        checkpoints.close()
    return graphdef, average_trees(trees), model_config, step, tuple(steps)


def model_card(
    name: str,
    config: ModelConfig,
    workdir: Path,
    step: int,
    params: int,
    notes: str = "",
    averaged_steps: tuple[int, ...] = (),
) -> tuple:
    """(Markdown card, step of the eval it reports) for an exported run; `notes` go before Files."""
    run = load_config(workdir)
    records = read_records(Path(workdir) / METRICS_FILE)
    evals = [r for r in records if r["kind"] == "eval" and r["step"] <= step]
    trains = [r for r in records if r["kind"] == "train" and r["step"] <= step]
    starts = [r for r in records if r["kind"] == "start"]
    lines = [
        f"# {name}",
        "",
        "An ElasticTok adaptive-length video tokenizer "
        f"({config.bottleneck.upper()} bottleneck, {params:,} parameters).",
        "",
        "| fact | value |",
        "|---|---|",
        f"| native tile | {config.tile_width}x{config.tile_height}, "
        f"{config.frames_per_block} frames per block |",
        f"| patch (t, h, w) | {tuple(config.patch)} |",
        f"| tokens per block | {config.min_tokens} to {config.max_tokens} |",
        f"| codebook | {config.codebook_size:,} codes, {config.bits_per_token} bits per token |",
        f"| widths / layers | {config.width} / {config.encoder_layers} encoder, "
        f"{config.dec_width} / {config.decoder_layers} decoder |",
        f"| context | {config.context_blocks} blocks |",
        f"| training | {step} steps {_origin(run, starts)}, batch {run.batch_size} x "
        f"{run.seq_blocks} blocks, AdamW lr {run.optim.learning_rate} ({run.optim.schedule}) |",
    ]
    if starts:
        lines.append(f"| data | {starts[0].get('data', '')} |")
    lines.append(
        f"| sampling | crops of 1 to {run.max_scale:g} tile sides; {run.image_ratio:.0%} image "
        f"sequences, {run.image_motion:.0%} of them panning and zooming |"
    )
    lines.append(
        f"| kept tokens | k uniform in [{config.min_tokens}, {config.max_tokens}] per block; "
        f"{run.full_share:.0%} of sequences keep every token |"
    )
    if averaged_steps:
        listed = ", ".join(f"{s:,}" for s in averaged_steps)
        lines.append(f"| weights | the mean of the checkpoints at steps {listed} |")
    if trains:
        last = trains[-1]
        lines.append(f"| final training loss | MSE {last['mse']:.5f}, {last['psnr']:.2f} dB |")
    lines.append("")
    eval_step = None
    if evals:
        result = evals[-1]
        eval_step = result["step"]
        where = "held-out clips" if result.get("held_out") else "training clips (none held out)"
        lines += [
            f"## Evaluation at step {eval_step} on {result['blocks']} blocks of {where}",
            "",
            "PSNR on [-1, 1] pixels with every block at a fixed share of its tokens, then the",
            "per-block search (smallest k meeting a block MSE) and what it kept:",
            "",
            format_table(result),
            "",
        ]
        if averaged_steps:
            # The run evaluated its own checkpoints; the mean was never evaluated in-run.
            lines += [f"(Of the checkpoint at step {eval_step}, not of the averaged weights.)", ""]
    else:
        lines += ["No evaluation was recorded for this checkpoint.", ""]
    if notes.strip():
        lines += [notes.strip(), ""]
    lines += [
        "## Files",
        "",
        "`weights.safetensors` (float32, keys are '/'-joined parameter paths), `config.json`",
        "(the model config), `weights.sha256` (SHA-256 of the weights file).",
        "",
    ]
    return "\n".join(lines), eval_step


def _origin(run, starts: list[dict]) -> str:
    """Where the run's weights started: a preset, or an exported model (maybe grown)."""
    if not run.init_from:
        return f"from preset {run.preset}"
    # Runs logged before the start record named the model say only that there was one.
    named = [s["init_model"] for s in starts if "init_model" in s]
    model = f"the exported model {named[0]}" if named else "an exported model"
    grown = f", deepened to {run.grow_layers} layers" if run.grow_layers else ""
    if run.widen_decoder:
        grown += f", its decoder widened to {run.widen_decoder}"
    if run.grow_stems:
        grown += ", with MLP branches added beside its linear embedding and head"
    return f"in this run, starting from {model}{grown}"


def refuse_existing_model(out: Path) -> None:
    """OutputError when `out` already holds a model (it may be the shipped one)."""
    if any((Path(out) / name).exists() for name in (CONFIG_FILE, WEIGHTS_FILE)):
        raise OutputError(f"{out} already holds a model; use --force to replace it")


def export_run(
    workdir: Path,
    out: Path,
    step: int | None = None,
    name: str | None = None,
    notes: str = "",
    force: bool = False,
    average: int = 1,
) -> ExportResult:
    """Write the checkpoint at `step` (newest by default) of a run as `out/`.

    With `average` above 1, the weights are the mean of that many newest checkpoints up
    to `step`. An existing model in `out` is only replaced with `force`: it may be the
    shipped one.
    """
    out = Path(out)
    if not force:
        refuse_existing_model(out)
    graphdef, params, model_config, step, averaged = restore_params(workdir, step, average)
    model_config = dataclasses.replace(model_config, name=name or out.name)
    model = nnx.merge(graphdef, params)
    card, eval_step = model_card(
        model_config.name, model_config, workdir, step, count_params(model), notes, averaged
    )
    sha = save_model(params, model_config, out, card)
    return ExportResult(out, step, sha, eval_step, averaged)
