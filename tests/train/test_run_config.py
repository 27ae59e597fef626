"""A run's settings are saved in its workdir; a rerun resumes them or refuses to mix."""

import json

import pytest

from elastictok_cli.errors import UsageError
from elastictok_cli.train import settings
from elastictok_cli.train.run_config import (
    RESUMABLE_CHANGES,
    TrainConfig,
    build_config,
    load_config,
    load_data_specs,
    resolve_config,
    save_config,
)


def test_round_trip_and_schedule_spans_the_run(tmp_path):
    config = build_config({"preset": "test", "steps": 50, "learning_rate": 2e-3})
    assert config.optim.total_steps == 50 and config.optim.learning_rate == 2e-3
    assert config.optim.warmup_steps == 5
    save_config(tmp_path, config, ["clips/"])
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert load_data_specs(tmp_path) == ["clips/"]


def test_rerun_resumes_saved_settings_and_may_only_extend_steps(tmp_path):
    original = build_config({"preset": "test", "steps": 50, "batch_size": 4})
    save_config(tmp_path, original, ["clips/"])
    resumed, resuming = resolve_config(tmp_path, {})
    assert resuming and resumed == original
    longer, _ = resolve_config(tmp_path, {"steps": 80, "batch_size": 4})
    assert longer.steps == 80 and longer.optim.total_steps == 50
    with pytest.raises(UsageError, match="batch-size"):
        resolve_config(tmp_path, {"batch_size": 8})
    # A conflict names the flag the user typed, also where it differs from the field name.
    with pytest.raises(UsageError, match=r"--lr 0\.5 \(run has 0\.001\).*--config cpu-base"):
        resolve_config(tmp_path, {"learning_rate": 0.5, "preset": "cpu-base"})
    assert RESUMABLE_CHANGES == {"steps", "eval_every", "checkpoint_every", "log_every"}


def test_impossible_settings_are_usage_errors():
    with pytest.raises(UsageError):
        build_config({"image_ratio": 1.5})
    with pytest.raises(UsageError, match="image-motion"):
        build_config({"image_motion": -0.1})
    with pytest.raises(UsageError, match="full-share must lie in"):
        build_config({"full_share": 1.5})
    with pytest.raises(UsageError):
        build_config({"batch_size": 0})
    with pytest.raises(UsageError, match="needs --init-from"):
        build_config({"grow_layers": "6,6"})
    with pytest.raises(UsageError, match="ENCODER,DECODER"):
        build_config({"grow_layers": "6", "init_from": "models/x"})
    with pytest.raises(UsageError, match="unknown --config 'nope'; choose from test"):
        build_config({"preset": "nope"})
    with pytest.raises(UsageError, match="unknown --schedule 'linear'"):
        build_config({"schedule": "linear"})
    with pytest.raises(UsageError, match=r"^holdout_fraction must lie in \[0, 0\.5\)"):
        TrainConfig(holdout_fraction=0.5)
    with pytest.raises(UsageError, match="grow-stems needs --init-from"):
        build_config({"grow_stems": True})
    with pytest.raises(UsageError, match="widen-decoder needs --init-from"):
        build_config({"widen_decoder": 192})
    with pytest.raises(UsageError, match="widen-decoder must be at least 1"):
        build_config({"widen_decoder": 0, "init_from": "models/x"})


def test_runs_saved_before_eval_seed_keep_their_eval_crops():
    old = build_config({"preset": "test", "seed": 5}).to_dict()
    del old["eval_seed"]
    assert TrainConfig.from_dict(old).eval_seed == 5
    assert build_config({"preset": "test", "seed": 5}).eval_seed == 0


def test_runs_saved_before_full_share_sample_every_k_uniformly():
    old = build_config({"preset": "test"}).to_dict()
    del old["full_share"]
    assert TrainConfig.from_dict(old).full_share == 0.0
    assert build_config({"preset": "test"}).full_share == 0.2
    assert build_config({"preset": "test", "full_share": 0.0}).full_share == 0.0


def test_a_run_json_of_an_older_version_still_loads(tmp_path):
    saved = build_config({"preset": "test", "seed": 3}).to_dict()
    for key in ("eval_seed", "full_share", "image_motion"):
        del saved[key]
    saved["optim"]["retired_setting"] = 1
    (tmp_path / "run.json").write_text(json.dumps({"config": saved, "data": ["clips/"]}))
    loaded = load_config(tmp_path)
    assert (loaded.eval_seed, loaded.full_share, loaded.image_motion) == (3, 0.0, 0.0)
    assert loaded.optim.total_steps == 100_000


def test_every_setting_declares_its_help():
    for name, field in settings.by_name(TrainConfig).items():
        text = settings.help_text(TrainConfig, field)
        assert text and "{" not in text, name
