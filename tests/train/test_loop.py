"""A short run logs metrics, checkpoints, resumes where it stopped, and exports a model."""

import dataclasses
import json
import shutil

import jax
import numpy as np
import pytest
from flax import nnx
from support.models import make_model_folder

from elastictok_cli.errors import BadInputError, OutputError, UsageError
from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.weights import load_model
from elastictok_cli.train.export import export_run
from elastictok_cli.train.loop import run_model_config, train
from elastictok_cli.train.metrics import read_records
from elastictok_cli.train.run_config import build_config

SETTINGS = dict(
    preset="test",
    steps=6,
    batch_size=2,
    log_every=1,
    eval_every=3,
    checkpoint_every=2,
    eval_sequences=2,
    learning_rate=3e-3,
)


def losses(workdir):
    return {r["step"]: r["loss"] for r in read_records(workdir / "metrics.jsonl", "train")}


@pytest.fixture(scope="module")
def straight_run(media_dir, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("straight")
    result = train(workdir, build_config(SETTINGS), [str(media_dir)])
    return workdir, result


def test_run_writes_metrics_checkpoints_and_settings(straight_run):
    workdir, result = straight_run
    assert result.step == 6 and result.resumed_from == 0
    assert sorted(losses(workdir)) == [1, 2, 3, 4, 5, 6]
    train_line = read_records(workdir / "metrics.jsonl", "train")[-1]
    for key in ("loss", "psnr", "steps_per_s", "examples_per_s", "lr", "data_wait_fraction"):
        assert np.isfinite(train_line[key])
    evals = read_records(workdir / "metrics.jsonl", "eval")
    assert [e["step"] for e in evals] == [3, 6]
    assert set(evals[0]["psnr_at"]) == {"1/16", "1/4", "1/2", "1"}
    assert set(evals[0]["share_meeting"]) == {"0.003", "0.007", "0.015"}
    assert json.loads((workdir / "run.json").read_text())["config"]["preset"] == "test"
    assert sorted(int(p.name) for p in (workdir / "checkpoints").iterdir()) == [2, 4, 6]


def test_resumed_run_continues_the_same_losses(straight_run, media_dir, tmp_path):
    workdir = tmp_path / "run"
    config = build_config(SETTINGS)
    first = train(workdir, config, [str(media_dir)], stop_at=4)
    assert first.step == 4
    # A crash after the last checkpoint leaves logged steps the rerun redoes: simulate it.
    with open(workdir / "metrics.jsonl", "a") as log:
        log.write(json.dumps({"kind": "train", "step": 5, "loss": 99.0}) + '\n{"torn')
    second = train(workdir, config, [str(media_dir)])
    assert second.resumed_from == 4 and second.step == 6
    resumed, straight = losses(workdir), losses(straight_run[0])
    assert sorted(resumed) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(
        [resumed[s] for s in range(1, 7)], [straight[s] for s in range(1, 7)], rtol=1e-5
    )


def test_export_writes_a_loadable_model_with_its_eval_table(straight_run, tmp_path):
    workdir, _ = straight_run
    result = export_run(workdir, tmp_path / "tiny")
    model, config, sha = load_model(tmp_path / "tiny")
    assert result.step == 6 and result.eval_step == 6 and sha == result.sha256
    assert config.name == "tiny" and config.max_tokens == 8
    card = (tmp_path / "tiny" / "MODEL_CARD.md").read_text()
    assert "| 1/16 |" in card and "| 0.003 |" in card
    assert "| sampling | crops of 1 to 4 tile sides; 20% image sequences, 0% of them" in card


@pytest.fixture(scope="module")
def tuned(straight_run, media_dir, tmp_path_factory):
    """The straight run exported as `base`, and a one-step run started from it."""
    root = tmp_path_factory.mktemp("tuned")
    base_sha = export_run(straight_run[0], root / "base").sha256
    settings = {**SETTINGS, "steps": 1, "init_from": str(root / "base")}
    result = train(root / "plain", build_config(settings), [str(media_dir)])
    return root, base_sha, settings, result


def test_init_from_an_exported_model(straight_run, tuned):
    root, _, _, result = tuned
    # Starting from trained weights, the first loss is near the end of the base run's.
    assert result.step == 1
    assert losses(root / "plain")[1] < losses(straight_run[0])[1] + 0.05


def test_init_from_with_grown_layers_starts_from_the_same_outputs(tuned, media_dir, tmp_path):
    root, base_sha, settings, _ = tuned
    # A copy of the base, since this test removes it.
    shutil.copytree(root / "base", tmp_path / "base")
    settings = {**settings, "steps": 2, "init_from": str(tmp_path / "base")}
    grown_config = build_config({**settings, "grow_layers": " 3, 4"})
    assert grown_config.grow_layers == "3,4"
    # Stopped before its first step (no checkpoint yet): the rerun must grow the base model
    # again, not start the saved shape from random weights.
    train(tmp_path / "grown", grown_config, [str(media_dir)], stop_at=0)
    grown = train(tmp_path / "grown", grown_config, [str(media_dir)], stop_at=1)
    assert grown.step == 1
    # Identity layers: the first step sees the base model's outputs, so the same loss.
    assert losses(tmp_path / "grown")[1] == pytest.approx(losses(root / "plain")[1], rel=1e-5)
    saved = json.loads((tmp_path / "grown" / "model.json").read_text())
    assert (saved["encoder_layers"], saved["decoder_layers"]) == (3, 4)
    # Once checkpointed, the run resumes as the grown model without its base.
    shutil.rmtree(tmp_path / "base")
    resumed = train(tmp_path / "grown", grown_config, [str(media_dir)])
    assert resumed.resumed_from == 1 and resumed.step == 2
    export_run(tmp_path / "grown", tmp_path / "deeper")
    card = (tmp_path / "deeper" / "MODEL_CARD.md").read_text()
    # The card names the model the run grew, though it is gone by now.
    base = f"the exported model base (sha256 {base_sha[:12]}...), deepened to 3,4 layers"
    assert f"starting from {base}" in card


def test_init_from_with_mlp_stems_starts_from_the_same_outputs(tuned, media_dir, tmp_path):
    root, _, settings, _ = tuned
    train(tmp_path / "stems", build_config({**settings, "grow_stems": True}), [str(media_dir)])
    # Zero branches: the first step sees the base model's outputs, so the same loss.
    assert losses(tmp_path / "stems")[1] == pytest.approx(losses(root / "plain")[1], rel=1e-5)
    export_run(tmp_path / "stems", tmp_path / "grown")
    _, config, _ = load_model(tmp_path / "grown")
    assert (config.patch_embed, config.head) == ("linear+mlp", "linear+mlp")
    card = (tmp_path / "grown" / "MODEL_CARD.md").read_text()
    assert "with MLP branches added beside its linear embedding and head" in card


def test_init_from_with_a_widened_decoder_starts_from_the_same_outputs(tuned, media_dir, tmp_path):
    root, _, settings, _ = tuned
    wide = PRESETS["test"].width * 2
    train(tmp_path / "wide", build_config({**settings, "widen_decoder": wide}), [str(media_dir)])
    # Zero new channels: the first step sees the base model's outputs, up to the norms'
    # epsilon, which the barely trained base's tiny dropped-token vector makes show.
    assert losses(tmp_path / "wide")[1] == pytest.approx(losses(root / "plain")[1], rel=1e-3)
    export_run(tmp_path / "wide", tmp_path / "wider")
    _, config, _ = load_model(tmp_path / "wider")
    assert (config.width, config.dec_width, config.dec_heads) == (wide // 2, wide, 4)
    card = (tmp_path / "wider" / "MODEL_CARD.md").read_text()
    assert f"its decoder widened to {wide}" in card


def test_widening_to_a_width_the_heads_do_not_divide_is_a_usage_error(tmp_path):
    make_model_folder(tmp_path / "base")
    config = build_config({**SETTINGS, "init_from": str(tmp_path / "base"), "widen_decoder": 33})
    with pytest.raises(UsageError, match="--widen-decoder: .*multiple of the head size"):
        run_model_config(tmp_path / "run", config, has_checkpoint=False)


def test_growing_below_the_base_depth_is_a_usage_error(tmp_path):
    deep = dataclasses.replace(PRESETS["test"], encoder_layers=2, decoder_layers=2)
    make_model_folder(tmp_path / "base", config=deep)
    config = build_config({**SETTINGS, "init_from": str(tmp_path / "base"), "grow_layers": "1,2"})
    with pytest.raises(UsageError, match="cannot shrink"):
        run_model_config(tmp_path / "run", config, has_checkpoint=False)


def test_export_refuses_to_replace_a_model_unless_forced(straight_run, tmp_path):
    workdir, _ = straight_run
    first = export_run(workdir, tmp_path / "m", step=4)
    with pytest.raises(OutputError, match="already holds a model"):
        export_run(workdir, tmp_path / "m")
    assert load_model(tmp_path / "m")[2] == first.sha256  # untouched
    second = export_run(workdir, tmp_path / "m", notes="## Notes\n\nHand-written.", force=True)
    assert second.step == 6 and load_model(tmp_path / "m")[2] == second.sha256
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "## Notes\n\nHand-written.\n\n## Files" in card


def test_export_average_is_the_mean_of_the_newest_checkpoints(straight_run, tmp_path):
    workdir, _ = straight_run
    singles = [load_model(export_run(workdir, tmp_path / f"s{s}", step=s).folder) for s in (4, 6)]
    result = export_run(workdir, tmp_path / "avg", average=2)
    assert result.step == 6 and result.averaged_steps == (4, 6)
    averaged = nnx.state(load_model(tmp_path / "avg")[0])
    four, six = (nnx.state(model) for model, _, _ in singles)
    jax.tree.map(
        lambda a, x, y: np.testing.assert_allclose(a, (x + y) / 2, rtol=1e-6, atol=1e-7),
        averaged,
        four,
        six,
    )
    card = (tmp_path / "avg" / "MODEL_CARD.md").read_text()
    assert "| weights | the mean of the checkpoints at steps 4, 6 |" in card
    assert "not of the averaged weights" in card


def test_export_average_beyond_the_kept_checkpoints_is_refused(straight_run, tmp_path):
    with pytest.raises(BadInputError, match=r"up to step 4: the run keeps \[2, 4\]"):
        export_run(straight_run[0], tmp_path / "m", step=4, average=3)
    assert not (tmp_path / "m").exists()
