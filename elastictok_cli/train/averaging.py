"""Checkpoint averaging: the mean of a run's last few parameter sets, as one model.

Near the end of a schedule successive checkpoints scatter around a minimum; their mean
can sit closer to it than any one of them (Polyak averaging, taken after the fact from
the checkpoints a run keeps anyway, so training itself is unchanged).
"""

from __future__ import annotations

import jax
import numpy as np

from elastictok_cli.errors import BadInputError


def steps_to_average(available: list[int], last: int, count: int) -> list[int]:
    """The `count` newest checkpoint steps at or before `last`, oldest first."""
    if count < 1:
        raise BadInputError(f"cannot average {count} checkpoints: give 1 or more")
    eligible = sorted(s for s in available if s <= last)
    if len(eligible) < count:
        raise BadInputError(
            f"cannot average {count} checkpoints up to step {last}: the run keeps "
            f"{eligible} (raise train --keep-checkpoints for more)"
        )
    return eligible[-count:]


def average_trees(trees: list):
    """The leafwise mean of parameter trees of one structure, in each leaf's dtype.

    Summed in float64 on the host so the mean of identical trees is exactly that tree.
    """
    if not trees:
        raise ValueError("no trees to average")

    def mean(*leaves):
        total = np.sum([np.asarray(x, dtype=np.float64) for x in leaves], axis=0)
        return (total / len(leaves)).astype(np.asarray(leaves[0]).dtype)

    return jax.tree.map(mean, *trees)
