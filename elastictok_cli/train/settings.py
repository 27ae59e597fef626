"""A training setting declared once: default, help, flag, bounds and how old runs read it.

Each setting is a dataclass field made by `setting` (or `group`, for a nested dataclass of
settings), and everything else is derived from those declarations: validation (`check`),
loading a saved run (`load`), which settings a rerun may change (`resumable`), how messages
name a setting (`label`, its `flag` when it has one) and the command line's options
(`cli/train.py` walks `leaves`). Adding a setting is one field declaration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from elastictok_cli.errors import UsageError

_ABSENT = object()


def setting(
    default: Any,
    *,
    help: str,
    flag: str | None = None,
    short: str | None = None,
    metavar: str | None = None,
    cli: bool = True,
    low: float | None = None,
    high: float | None = None,
    below: float | None = None,
    choices: Iterable[str] = (),
    needs: str | None = None,
    parse: Callable[[Any], Any] | None = None,
    resumable: bool = False,
    missing: Any = _ABSENT,
) -> Any:
    """A field whose metadata declares the setting (help may name settings as {field_name})."""
    return dataclasses.field(
        default=default,
        metadata={
            "help": help,  # {name} placeholders become that setting's label
            "flag": flag,  # long flag without dashes; None: the field name with dashes
            "short": short,  # one-letter alias
            "metavar": metavar,
            "cli": cli,  # False: fixed by the code or derived, recorded in run.json only
            "low": low,  # inclusive lower bound
            "high": high,  # inclusive upper bound
            "below": below,  # exclusive upper bound
            "choices": tuple(choices),
            "needs": needs,  # another setting that must be given when this one is
            "parse": parse,  # value -> canonical value; ValueError is a usage error
            "resumable": resumable,  # a rerun may change it without a new workdir
            "missing": missing,  # value (or callable of the saved dict) for runs saved before it
        },
    )


def group(cls: type, *, help: str) -> Any:
    """A field holding a nested dataclass of settings, saved as one JSON object."""
    return dataclasses.field(default_factory=cls, metadata={"help": help, "group": cls})


def flag(field: dataclasses.Field) -> str:
    """The command-line spelling of a setting, derived here only: options and messages use it."""
    return "--" + (field.metadata.get("flag") or field.name.replace("_", "-"))


def label(field: dataclasses.Field) -> str:
    """How messages name a setting: its flag, or its field name when it has no flag."""
    return flag(field) if field.metadata.get("cli", True) else field.name


def leaves(
    cls: type, panel: str | None = None
) -> Iterator[tuple[dataclasses.Field, type, str | None]]:
    """(field, owning class, help panel) of every setting, nested groups flattened in order."""
    for field in dataclasses.fields(cls):
        nested = field.metadata.get("group")
        if nested is not None:
            yield from leaves(nested, field.metadata["help"])
        else:
            yield field, cls, panel


def by_name(cls: type) -> dict[str, dataclasses.Field]:
    """Every setting of `cls` by field name; overrides and run.json use these flat names."""
    found: dict[str, dataclasses.Field] = {}
    for field, _, _ in leaves(cls):
        if field.name in found:
            raise TypeError(f"two settings of {cls.__name__} are named {field.name}")
        found[field.name] = field
    return found


def help_text(cls: type, field: dataclasses.Field) -> str:
    """The setting's help with the settings it names written as their labels."""
    labels = {name: label(other) for name, other in by_name(cls).items()}
    return field.metadata["help"].format(**labels)


def resumable(cls: type) -> frozenset[str]:
    """Settings a rerun may change without invalidating the checkpoints it resumes from."""
    return frozenset(name for name, f in by_name(cls).items() if f.metadata["resumable"])


def check(config: Any) -> None:
    """Refuse values outside their declarations; keep the canonical form `parse` returns."""
    fields = {f.name: f for f in dataclasses.fields(config)}
    for field in fields.values():
        meta = field.metadata
        value = getattr(config, field.name)
        # Unset optional settings and off switches have nothing to check.
        if "flag" not in meta or value is None or value is False:
            continue
        name = label(field)
        if meta["needs"] is not None and getattr(config, meta["needs"]) is None:
            raise UsageError(f"{name} needs {label(fields[meta['needs']])}")
        _check_bounds(name, value, meta)
        if meta["choices"] and value not in meta["choices"]:
            raise UsageError(f"unknown {name} {value!r}; choose from {', '.join(meta['choices'])}")
        if meta["parse"] is not None:
            try:
                canonical = meta["parse"](value)
            except ValueError as err:
                raise UsageError(f"{name}: {err}") from None
            object.__setattr__(config, field.name, canonical)


def _check_bounds(name: str, value: Any, meta: Any) -> None:
    """Raise for a number outside [low, high] or [low, below)."""
    low, high, below = meta["low"], meta["high"], meta["below"]
    top = high if high is not None else below
    close = "]" if high is not None else ")"
    too_low = low is not None and value < low
    too_high = (high is not None and value > high) or (below is not None and value >= below)
    if not (too_low or too_high):
        return
    if low is not None and top is not None:
        raise UsageError(f"{name} must lie in [{low:g}, {top:g}{close}")
    if low is not None:
        raise UsageError(f"{name} must be at least {low:g}")
    raise UsageError(f"{name} must be {'at most' if high is not None else 'below'} {top:g}")


def load(cls: type, values: dict) -> Any:
    """Rebuild settings from their saved dict: unknown keys ignored, absent ones as declared."""
    kwargs = {}
    for field in dataclasses.fields(cls):
        nested = field.metadata.get("group")
        missing = field.metadata.get("missing", _ABSENT)
        if field.name in values:
            value = values[field.name]
            kwargs[field.name] = load(nested, value) if nested is not None else value
        elif missing is not _ABSENT:
            kwargs[field.name] = missing(values) if callable(missing) else missing
    return cls(**kwargs)


class Settings:
    """Base of a dataclass of settings: validated on creation, saved as plain JSON types."""

    def __post_init__(self):
        """Refuse settings that cannot run."""
        check(self)

    def to_dict(self) -> dict:
        """Plain JSON types, nested groups as nested objects."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Any:
        """Rebuild from `to_dict`, also of a run saved by an older version."""
        return load(cls, values)
