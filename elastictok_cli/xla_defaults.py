"""XLA CPU settings for training, applied before JAX creates its CPU backend.

XLA's YNNPACK fusions allocate a fresh 32 MB scratch buffer per call on a training
step's shapes; the kernel then spends as long zeroing pages as the math takes (see
benchmarks/xla_flags.py and RESULTS.md). Turning those fusions off keeps XLA's own
kernels, which reuse their buffers: a step takes 0.89x the time. The codec's passes,
which loop over four (tile, k) pairs at a time, run faster with the fusions (turning
them off costs a probe pass 1.22x), so only `train` gets the flag. A flag the user
already sets in XLA_FLAGS wins.

Nothing applies them on import: the command line does so in its entry point, and a
library user who trains calls `apply()` (or `elastictok_cli.api.use_cpu_defaults(
training=True)`) before JAX starts its backend, because a library must not change its
host's environment unasked.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

CPU_FLAGS = {"--xla_cpu_experimental_ynn_fusion_type": ""}
TRAINING_COMMANDS = frozenset({"train"})  # the commands whose time is in training steps


def merged_flags(user_flags: str) -> str:
    """The user's XLA_FLAGS plus every default flag they do not set themselves."""
    present = {part.split("=", 1)[0] for part in user_flags.split()}
    extra = [f"{name}={value}" for name, value in CPU_FLAGS.items() if name not in present]
    return " ".join([*user_flags.split(), *extra])


def apply(env: MutableMapping[str, str] = os.environ) -> str:
    """Add the defaults to XLA_FLAGS (read when JAX starts its backend); return the flags."""
    env["XLA_FLAGS"] = merged_flags(env.get("XLA_FLAGS", ""))
    return env["XLA_FLAGS"]


def apply_for(command: str | None, env: MutableMapping[str, str] = os.environ) -> str:
    """Apply the defaults when `command` trains; return XLA_FLAGS as they then stand."""
    if command in TRAINING_COMMANDS:
        return apply(env)
    return env.get("XLA_FLAGS", "")
