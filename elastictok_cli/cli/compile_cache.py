"""Compiled model passes kept on disk between runs, so a repeated command skips compiling.

XLA compiles every batch shape of the model's passes afresh in each process (about
2.5 s each on a 2-core CPU), a large share of a short encode. JAX's persistent
compilation cache keeps them in `$ELASTICTOK_CACHE_DIR`, else
`$XDG_CACHE_HOME/elastictok/xla`, else `~/.cache/elastictok/xla`; set
ELASTICTOK_CACHE_DIR=off to turn it off. Only the command line turns it on: the library
never writes outside the paths it is given. JAX reads the settings from the environment
when it is first imported, so this runs before any command imports it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

OFF = "off"


def cache_folder(env: MutableMapping[str, str]) -> Path | None:
    """Where compiled passes go under this environment, or None when turned off."""
    chosen = env.get("ELASTICTOK_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in (OFF, "") else Path(chosen)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "elastictok" / "xla"


def enable(env: MutableMapping[str, str] = os.environ) -> Path | None:
    """Point JAX's compilation cache at our folder unless the user set one; return it."""
    if "JAX_COMPILATION_CACHE_DIR" in env:
        return Path(env["JAX_COMPILATION_CACHE_DIR"])
    folder = cache_folder(env)
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a cache we cannot write is no reason to fail the command
    if not os.access(folder, os.W_OK):
        return None
    env["JAX_COMPILATION_CACHE_DIR"] = str(folder)
    # Every pass is worth keeping: the small ones still cost a second to compile here.
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    return folder
