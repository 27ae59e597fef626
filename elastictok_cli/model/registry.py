"""Finding models by name or folder, and describing them without loading any weights.

A name is looked up, in order, in the folders of `$ELASTICTOK_MODELS` (os.pathsep
separated), the `models/` folder beside the package in a source checkout, and
`<prefix>/share/elastictok/models` where `pip install .` puts the shipped models.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from elastictok_cli.container.schema import ModelFacts
from elastictok_cli.errors import BadInputError, UsageError

DEFAULT_MODEL = "elastictok-64"
ENV_VAR = "ELASTICTOK_MODELS"
# The files of a model folder (model/weights.py reads and writes them; it imports JAX).
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "MODEL_CARD.md"
SHA_FILE = "weights.sha256"
MAX_SAFETENSORS_HEADER = 1 << 24


@dataclass(frozen=True)
class ModelInfo:
    """What `elastictok models` shows about one model folder."""

    name: str
    path: Path
    config: dict
    parameters: int | None
    sha256: str | None
    card: str

    @property
    def native_size(self) -> str:
        """Tile width x height, frames per block."""
        c = self.config
        return f"{c.get('tile_width')}x{c.get('tile_height')}x{c.get('frames_per_block')}"


def search_folders() -> list[Path]:
    """Folders that may hold model folders, in lookup order."""
    folders = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    folders.append(Path(__file__).resolve().parents[2] / "models")  # a source checkout
    folders.append(Path(sys.prefix) / "share" / "elastictok" / "models")
    return folders


def is_model_folder(path: Path) -> bool:
    """Whether a folder looks like a shipped model."""
    return (path / CONFIG_FILE).is_file() and (path / WEIGHTS_FILE).is_file()


def resolve_model(name_or_path: str | os.PathLike | None) -> Path:
    """The folder of a model given by name or path; a clear error when there is none."""
    wanted = os.fspath(name_or_path) if name_or_path else DEFAULT_MODEL
    direct = Path(wanted)
    if os.sep in wanted or direct.is_dir():
        if is_model_folder(direct):
            return direct
        raise BadInputError(f"{wanted}: not a model folder (needs {CONFIG_FILE}, {WEIGHTS_FILE})")
    for folder in search_folders():
        candidate = folder / wanted
        if is_model_folder(candidate):
            return candidate
    known = ", ".join(info.name for info in list_models()) or "none installed"
    raise UsageError(
        f"no model named {wanted!r} (available: {known}); pass --model with a model folder"
    )


def list_models() -> list[ModelInfo]:
    """Every model found in the search folders; a name found twice is listed once."""
    found: dict[str, ModelInfo] = {}
    for folder in search_folders():
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.name not in found and is_model_folder(entry):
                found[entry.name] = describe_model(entry)
    return list(found.values())


def describe_model(path: Path) -> ModelInfo:
    """Read a model folder's config, card, checksum and parameter count (no weights)."""
    try:
        config = json.loads((path / CONFIG_FILE).read_text())
    except (OSError, ValueError) as err:
        raise BadInputError(f"{path / CONFIG_FILE}: unreadable model config ({err})") from err
    card = (path / CARD_FILE).read_text() if (path / CARD_FILE).is_file() else ""
    sha = None
    if (path / SHA_FILE).is_file():
        words = (path / SHA_FILE).read_text().split()
        sha = words[0].lower() if words else None
    return ModelInfo(path.name, path, config, _count_parameters(path / WEIGHTS_FILE), sha, card)


def _count_parameters(weights: Path) -> int | None:
    """Sum of tensor sizes from the safetensors header alone; None if it is unreadable."""
    try:
        with open(weights, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > MAX_SAFETENSORS_HEADER:
                return None
            header = json.loads(handle.read(length))
    except (OSError, ValueError, struct.error):
        return None
    return sum(math.prod(spec["shape"]) for key, spec in header.items() if key != "__metadata__")


@dataclass
class LoadedModel:
    """A model ready to run, with the identity a container records."""

    name: str
    model: object  # ElasticTok; typed loosely so this module imports no JAX
    config: object  # ModelConfig
    sha256: str
    folder: Path | None = None

    @property
    def token_tables(self):
        """The tables the context coder starts from, if the model folder ships them."""
        from elastictok_cli.entropy import TABLES_FILE, load_tables

        if self.folder is None or not (self.folder / TABLES_FILE).is_file():
            return None
        return load_tables(self.folder)

    @property
    def facts(self) -> ModelFacts:
        """The identity and decoding facts a container records for this model."""
        c = self.config
        return ModelFacts(
            name=self.name,
            sha256=self.sha256,
            patch=tuple(c.patch),
            frames_per_block=c.frames_per_block,
            tile_size=(c.tile_height, c.tile_width),
            bottleneck=c.bottleneck,
            fsq_levels=tuple(c.fsq_levels),
            min_tokens=c.min_tokens,
            max_tokens=c.max_tokens,
            context_blocks=c.context_blocks,
        )


def load(name_or_path: str | os.PathLike | None) -> LoadedModel:
    """Resolve and load a model, its weights checked against their recorded SHA-256."""
    from elastictok_cli.model.weights import load_model  # JAX: only when a model is needed

    folder = resolve_model(name_or_path)
    model, config, sha = load_model(folder)
    return LoadedModel(folder.name, model, config, sha, folder)
