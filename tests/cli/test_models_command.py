"""`elastictok models` lists the models; `elastictok models NAME` prints one model's card."""

import json
import os
import struct

import pytest
from support.cli import run_text

CARD = "# toy\n\nA toy model for the models command.\n\n## Limitations\n\nNone measured.\n"
SHA = "ab" * 32


@pytest.fixture
def models_env(tmp_path):
    """An environment whose model search finds one small model folder, `toy`, first."""
    folder = tmp_path / "toy"
    folder.mkdir()
    config = {"name": "toy", "tile_width": 16, "tile_height": 16, "frames_per_block": 4}
    (folder / "config.json").write_text(json.dumps(config))
    # A safetensors header alone: the command counts parameters without reading tensors.
    header = json.dumps({"w": {"dtype": "F32", "shape": [3, 5], "data_offsets": [0, 60]}})
    (folder / "weights.safetensors").write_bytes(
        struct.pack("<Q", len(header)) + header.encode() + bytes(60)
    )
    (folder / "weights.sha256").write_text(f"{SHA}  weights.safetensors\n")
    (folder / "MODEL_CARD.md").write_text(CARD)
    return {**os.environ, "ELASTICTOK_MODELS": str(tmp_path)}, folder


def test_list_shows_each_model_with_its_summary(models_env):
    env, _ = models_env
    result = run_text("models", env=env)
    assert result.returncode == 0, result.stderr
    assert "toy" in result.stdout
    assert "16x16x4" in result.stdout
    assert "A toy model" in result.stdout


def test_name_prints_the_card_as_written_in_a_pipe(models_env):
    env, _ = models_env
    result = run_text("models", "toy", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == CARD


def test_folder_prints_the_card_too(models_env):
    env, folder = models_env
    result = run_text("models", folder, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == CARD


def test_unknown_name_is_a_one_line_usage_error(models_env):
    env, _ = models_env
    result = run_text("models", "no-such-model", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("elastictok: error:")
    assert result.stderr.strip().count("\n") == 0
    assert "no-such-model" in result.stderr and "toy" in result.stderr


def test_json_gives_the_facts_and_the_whole_card(models_env):
    env, folder = models_env
    result = run_text("models", "toy", "--json", env=env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["name"] == "toy"
    assert facts["path"] == str(folder)
    assert (facts["tile_width"], facts["tile_height"], facts["frames_per_block"]) == (16, 16, 4)
    assert facts["parameters"] == 15
    assert facts["sha256"] == SHA
    assert facts["card"] == CARD
    assert facts["summary"] == "A toy model for the models command."


def test_shipped_model_card_opens_with_its_title_and_summary():
    result = run_text("models", "elastictok-64")
    assert result.returncode == 0, result.stderr
    title, blank, summary = result.stdout.splitlines()[:3]
    assert (title, blank) == ("# elastictok-64", "")
    # The list shows this line whole: it must fit the card column.
    assert 0 < len(summary) <= 80
