"""The shipped-model format: a folder with safetensors weights, config, card and checksum.

    models/NAME/weights.safetensors  float32 tensors keyed by '/'-joined nnx state paths
    models/NAME/config.json          ModelConfig.decoding_facts()
    models/NAME/MODEL_CARD.md        what the model is, how it was trained, its eval table
    models/NAME/weights.sha256       hex SHA-256 of the weights file's bytes

Nothing is ever unpickled; every tensor's shape and dtype is checked against a model
built abstractly from the config before any of it is used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from elastictok_cli.atomic import write_bytes
from elastictok_cli.errors import BadInputError, IncompatibleError, OutputError
from elastictok_cli.model.config import ModelConfig
from elastictok_cli.model.elastictok import ElasticTok
from elastictok_cli.model.registry import CARD_FILE, CONFIG_FILE, SHA_FILE, WEIGHTS_FILE


def flatten_state(state: nnx.State) -> dict[str, np.ndarray]:
    """{'encoder/layers/0/attn/qkv/kernel': array, ...} from an nnx state."""
    flat = {}
    for path, leaf in nnx.to_flat_state(state):
        value = leaf.get_value() if hasattr(leaf, "get_value") else leaf
        flat["/".join(str(part) for part in path)] = value
    return flat


def expected_tensors(config: ModelConfig) -> dict[str, jax.ShapeDtypeStruct]:
    """Every tensor name, shape and dtype a model of `config` has, without allocating it."""
    abstract = nnx.eval_shape(lambda: ElasticTok(config, rngs=nnx.Rngs(0)))
    return flatten_state(nnx.state(abstract))


def save_model(model_or_state, config: ModelConfig, folder: Path, card_text: str) -> str:
    """Write the four files into `folder` (each atomically); return the weights' SHA-256."""
    state = model_or_state
    if isinstance(model_or_state, nnx.Module):
        state = nnx.state(model_or_state)
    # Gather from every device (and host) into plain host float32 arrays.
    tensors = {
        name: np.ascontiguousarray(np.asarray(jax.device_get(value), dtype=np.float32))
        for name, value in flatten_state(state).items()
    }
    expected = expected_tensors(config)
    _check_tensors(tensors, expected, "model to save")
    # One metadata entry: safetensors writes its metadata map in a random order, so two
    # entries would give the same weights one of two SHA-256s, and containers made with
    # one export would be refused by a model exported again from the same run.
    blob = save_safetensors(tensors, metadata={"elastictok_model": config.name})
    digest = hashlib.sha256(blob).hexdigest()
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(str(folder / WEIGHTS_FILE), blob)
        facts = json.dumps(config.decoding_facts(), indent=2) + "\n"
        write_bytes(str(folder / CONFIG_FILE), facts.encode())
        write_bytes(str(folder / CARD_FILE), card_text.encode())
        write_bytes(str(folder / SHA_FILE), f"{digest}  {WEIGHTS_FILE}\n".encode())
    except OSError as err:
        raise OutputError(f"{folder}: cannot write the model ({err.strerror or err})") from err
    return digest


def load_model(folder: Path) -> tuple[ElasticTok, ModelConfig, str]:
    """(model, config, weights SHA-256) from a model folder, checked before use."""
    folder = Path(folder)
    try:
        facts = json.loads((folder / CONFIG_FILE).read_text())
        config = ModelConfig.from_dict(facts)
    except FileNotFoundError as err:
        raise BadInputError(f"{folder}: not a model folder (no {CONFIG_FILE})") from err
    except (OSError, ValueError, TypeError) as err:
        raise BadInputError(f"{folder / CONFIG_FILE}: unreadable model config ({err})") from err
    try:
        blob = (folder / WEIGHTS_FILE).read_bytes()
    except OSError as err:
        raise BadInputError(f"{folder / WEIGHTS_FILE}: cannot read ({err.strerror})") from err
    digest = hashlib.sha256(blob).hexdigest()
    recorded = _read_recorded_sha(folder)
    if recorded != digest:
        raise IncompatibleError(
            f"{folder}: weights do not match {SHA_FILE} (modified or damaged model)"
        )
    try:
        tensors = load_safetensors(blob)
    except (SafetensorError, ValueError) as err:
        raise BadInputError(f"{folder / WEIGHTS_FILE}: unreadable weights ({err})") from err
    expected = expected_tensors(config)
    _check_tensors(tensors, expected, str(folder))
    abstract = nnx.eval_shape(lambda: ElasticTok(config, rngs=nnx.Rngs(0)))
    graphdef, state = nnx.split(abstract)
    flat = dict(nnx.to_flat_state(state))
    for path, leaf in flat.items():
        leaf.set_value(jnp.asarray(tensors["/".join(str(p) for p in path)]))
    model = nnx.merge(graphdef, nnx.from_flat_state(flat))
    return model, config, digest


def _read_recorded_sha(folder: Path) -> str:
    """The hex digest written in weights.sha256 (sha256sum's format or the bare digest)."""
    try:
        text = (folder / SHA_FILE).read_text().split()
    except OSError as err:
        raise BadInputError(f"{folder / SHA_FILE}: cannot read ({err.strerror})") from err
    if not text:
        raise BadInputError(f"{folder / SHA_FILE}: empty")
    return text[0].lower()


def _check_tensors(tensors: dict, expected: dict, what: str) -> None:
    """Same names, shapes and dtypes as the config's model, or IncompatibleError."""
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        detail = f"missing {missing[:3]}" if missing else f"unexpected {extra[:3]}"
        raise IncompatibleError(f"{what}: tensors do not fit the config ({detail})")
    for name, spec in expected.items():
        tensor = tensors[name]
        if tuple(tensor.shape) != tuple(spec.shape) or np.dtype(tensor.dtype) != spec.dtype:
            raise IncompatibleError(
                f"{what}: {name} is {tensor.dtype}{list(tensor.shape)}, "
                f"the config needs {spec.dtype}{list(spec.shape)}"
            )
