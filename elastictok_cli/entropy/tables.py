"""The token-coding tables: layout, adaptation settings and starting counts, as safetensors."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_tensors
from safetensors.numpy import save as save_tensors

from elastictok_cli.entropy.adaptive import PRECISION
from elastictok_cli.entropy.contexts import Layout

TABLES_FILE = "token_tables.safetensors"  # beside the model's weights
MAX_TABLES_BYTES = 16 << 20  # far above any real table; a larger file is refused unread
MAX_TOTAL = 1 << 24  # bounds every context's total so the coder's products fit in int64


class TablesError(ValueError):
    """A token-tables file that is missing, unreadable or inconsistent."""


@dataclass(frozen=True, eq=False)
class TokenTables:
    """Everything the coded payload depends on besides the tokens: one file, one SHA-256."""

    layout: Layout
    step: int  # added to a context's count of the symbol just coded
    limit: int  # a context whose total passes this is halved
    counts: tuple[np.ndarray, ...]  # per digit: starting counts (contexts, level), int64
    sha256: str = ""  # of the file the tables were read from, or of to_bytes()

    def __post_init__(self):
        """Check the counts' shapes and bounds, make them read-only, fill in the hash."""
        levels = self.layout.levels
        if len(self.counts) != len(levels):
            raise TablesError(f"expected {len(levels)} count tables, got {len(self.counts)}")
        if not 1 <= self.step <= 1 << 16 or not self.step < self.limit <= MAX_TOTAL:
            raise TablesError("step must lie in 1..65536 and limit in step+1..2**24")
        frozen = []
        for digit, table in enumerate(self.counts):
            table = np.array(table, dtype=np.int64)
            if table.shape != (self.layout.contexts(digit), levels[digit]):
                raise TablesError(f"digit {digit}: count table of shape {table.shape}")
            if table.min() < 1 or table.sum(axis=1).max() > self.limit:
                raise TablesError(f"digit {digit}: counts must be >= 1 and total <= limit")
            table.setflags(write=False)
            frozen.append(table)
        object.__setattr__(self, "counts", tuple(frozen))
        if not self.sha256:
            object.__setattr__(self, "sha256", hashlib.sha256(self.to_bytes()).hexdigest())

    def to_bytes(self) -> bytes:
        """The safetensors file: settings and counts as uint32 tensors, no metadata."""
        layout = self.layout
        tensors = {
            "levels": np.asarray(layout.levels, dtype=np.uint32),
            "layout": np.asarray([layout.frames, layout.rows, layout.cols], dtype=np.uint32),
            "adapt": np.asarray([PRECISION, self.step, self.limit], dtype=np.uint32),
        }
        for digit, table in enumerate(self.counts):
            tensors[f"counts_{digit}"] = table.astype(np.uint32)
        return save_tensors(tensors)

    @classmethod
    def from_bytes(cls, data: bytes) -> TokenTables:
        """Parse and check a tables file's bytes; raises TablesError."""
        try:
            tensors = load_tensors(data)
        except (SafetensorError, ValueError, OSError) as err:
            raise TablesError(f"unreadable token tables: {err}") from err
        try:
            levels = _vector(tensors, "levels", None)
            frames, rows, cols = _vector(tensors, "layout", 3)
            precision, step, limit = _vector(tensors, "adapt", 3)
            if precision != PRECISION:
                raise TablesError(f"tables for precision {precision}, this coder uses {PRECISION}")
            counts = tuple(tensors[f"counts_{digit}"] for digit in range(len(levels)))
            if set(tensors) != {"levels", "layout", "adapt"} | {
                f"counts_{d}" for d in range(len(levels))
            }:
                raise TablesError("unexpected tensors in the token tables")
            layout = Layout(tuple(levels), frames, rows, cols)
        except (KeyError, ValueError) as err:
            raise TablesError(f"malformed token tables: {err}") from err
        return cls(layout, step, limit, counts, hashlib.sha256(data).hexdigest())

    def save(self, path: str | os.PathLike) -> None:
        """Write the tables file."""
        Path(path).write_bytes(self.to_bytes())


def _vector(tensors: dict, name: str, size: int | None) -> list[int]:
    """A 1-D unsigned integer tensor as Python ints, of `size` entries when given."""
    value = tensors[name]
    if value.ndim != 1 or value.dtype.kind != "u" or (size is not None and value.size != size):
        raise TablesError(f"tensor {name!r} has the wrong type or shape")
    return [int(v) for v in value]


def load_tables(path: str | os.PathLike) -> TokenTables:
    """Read a tables file, or a model folder's token_tables.safetensors; raises TablesError."""
    path = Path(path)
    if path.is_dir():
        path = path / TABLES_FILE
    try:
        if path.stat().st_size > MAX_TABLES_BYTES:
            raise TablesError(f"{path.name} is larger than {MAX_TABLES_BYTES} bytes")
        data = path.read_bytes()
    except OSError as err:
        raise TablesError(f"cannot read token tables {path.name}: {err.strerror}") from err
    return TokenTables.from_bytes(data)


def tables_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (lowercase hex) of a tables file or a model folder's tables, checked by parsing."""
    return load_tables(path).sha256
