"""The shipped-model format: round trip, checksum, shape and dtype checks, no pickle."""

import dataclasses
import json

import numpy as np
import pytest
from flax import nnx
from safetensors.numpy import load_file, save_file

from elastictok_cli.errors import BadInputError, IncompatibleError
from elastictok_cli.model.config import PRESETS
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.model.weights import flatten_state, load_model, save_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    model = ElasticTok(PRESETS["test"], rngs=nnx.Rngs(0))
    sha = save_model(model, PRESETS["test"], folder, "# test model\n")
    return folder, model, sha


def test_round_trip_is_exact(saved):
    folder, model, sha = saved
    loaded, config, digest = load_model(folder)
    assert digest == sha and config == PRESETS["test"]
    before, after = flatten_state(nnx.state(model)), flatten_state(nnx.state(loaded))
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_array_equal(np.asarray(before[name]), np.asarray(after[name]))
    assert sorted(p.name for p in folder.iterdir()) == [
        "MODEL_CARD.md",
        "config.json",
        "weights.safetensors",
        "weights.sha256",
    ]
    # Flat '/'-joined keys, float32 only.
    tensors = load_file(folder / "weights.safetensors")
    assert "encoder/layers/0/attn/qkv/kernel" in tensors
    assert {t.dtype for t in tensors.values()} == {np.dtype(np.float32)}


def copy_model(src, dst):
    dst.mkdir()
    for path in src.iterdir():
        (dst / path.name).write_bytes(path.read_bytes())
    return dst


def test_saving_the_same_weights_again_gives_the_same_bytes(saved, tmp_path):
    # The SHA-256 is the model's identity in every container, so it must not depend on
    # anything but the weights and the name (safetensors orders metadata at random).
    folder, model, sha = saved
    digests = {save_model(model, PRESETS["test"], tmp_path / str(i), "# test\n") for i in range(8)}
    assert digests == {sha}


def test_modified_weights_are_refused(saved, tmp_path):
    folder = copy_model(saved[0], tmp_path / "m")
    blob = bytearray((folder / "weights.safetensors").read_bytes())
    blob[-1] ^= 1
    (folder / "weights.safetensors").write_bytes(bytes(blob))
    with pytest.raises(IncompatibleError, match="modified"):
        load_model(folder)


def test_wrong_shape_or_dtype_is_incompatible(saved, tmp_path):
    import hashlib

    folder = copy_model(saved[0], tmp_path / "m")
    tensors = load_file(folder / "weights.safetensors")
    tensors["head/proj/kernel"] = tensors["head/proj/kernel"].astype(np.float16)
    save_file(tensors, folder / "weights.safetensors")
    digest = hashlib.sha256((folder / "weights.safetensors").read_bytes()).hexdigest()
    (folder / "weights.sha256").write_text(digest + "\n")
    with pytest.raises(IncompatibleError, match="head/proj/kernel"):
        load_model(folder)
    # A config that promises another shape than the weights have.
    facts = dataclasses.asdict(dataclasses.replace(PRESETS["test"], width=64))
    (folder / "config.json").write_text(json.dumps({**facts, "patch": [2, 8, 8]}))
    with pytest.raises(IncompatibleError):
        load_model(folder)


def test_unreadable_files_are_bad_input(saved, tmp_path):
    import hashlib

    folder = copy_model(saved[0], tmp_path / "m")
    (folder / "weights.safetensors").write_bytes(b"garbage")
    (folder / "weights.sha256").write_text(hashlib.sha256(b"garbage").hexdigest())
    with pytest.raises(BadInputError):
        load_model(folder)
    with pytest.raises(BadInputError):
        load_model(tmp_path / "missing")
