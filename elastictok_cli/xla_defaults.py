"""XLA CPU settings elastictok runs with, applied before JAX creates its CPU backend.

XLA's YNNPACK fusions allocate a fresh 32 MB scratch buffer per call on this model's
shapes; the kernel then spends as long zeroing pages as the math takes (see
benchmarks/xla_flags.py and RESULTS.md). Turning those fusions off keeps XLA's own
kernels, which reuse their buffers. A flag the user already sets in XLA_FLAGS wins.

Nothing applies them on import: the command line does so in its entry point, and a
library user calls `apply()` (or `elastictok_cli.api.use_cpu_defaults()`) before JAX
starts its backend, because a library must not change its host's environment unasked.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

CPU_FLAGS = {"--xla_cpu_experimental_ynn_fusion_type": ""}


def merged_flags(user_flags: str) -> str:
    """The user's XLA_FLAGS plus every default flag they do not set themselves."""
    present = {part.split("=", 1)[0] for part in user_flags.split()}
    extra = [f"{name}={value}" for name, value in CPU_FLAGS.items() if name not in present]
    return " ".join([*user_flags.split(), *extra])


def apply(env: MutableMapping[str, str] = os.environ) -> str:
    """Add the defaults to XLA_FLAGS (read when JAX starts its backend); return the flags."""
    env["XLA_FLAGS"] = merged_flags(env.get("XLA_FLAGS", ""))
    return env["XLA_FLAGS"]
