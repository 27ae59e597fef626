"""Orbax checkpoints of a run: parameters, optimiser state and the step.

Orbax writes each checkpoint under a temporary name and renames it when complete, so a
run killed mid-save (even `kill -9`) resumes from the last complete one. The random keys
and the data sampler are pure functions of (seed, step), so the step is all the rest of
the state there is; it is stored with the seed as a check.
"""

from __future__ import annotations

from pathlib import Path

import jax
import orbax.checkpoint as ocp

CHECKPOINT_DIR = "checkpoints"


def has_checkpoint(workdir: Path) -> bool:
    """Whether a finished checkpoint past step 0 exists, without opening a manager.

    Finished checkpoints are folders named by their step; orbax's unfinished ones carry
    a suffix, so a torn save does not count.
    """
    folder = Path(workdir) / CHECKPOINT_DIR
    return folder.is_dir() and any(p.name.isdigit() and int(p.name) > 0 for p in folder.iterdir())


class Checkpoints:
    """Save and restore {params, opt_state} plus JSON metadata under `workdir/checkpoints`."""

    def __init__(self, workdir: Path, keep: int = 3):
        """Open (or create) the checkpoint folder, keeping the newest `keep` checkpoints."""
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, create=True, cleanup_tmp_directories=True
        )
        self.manager = ocp.CheckpointManager(
            (Path(workdir) / CHECKPOINT_DIR).absolute(), options=options
        )

    def latest_step(self) -> int | None:
        """Step of the newest complete checkpoint, None if there is none."""
        return self.manager.latest_step()

    def save(self, step: int, params, opt_state, meta: dict) -> None:
        """Start saving in the background; `wait` or the next save finishes it."""
        if step in self.manager.all_steps():
            return
        state = {"params": params, "opt_state": opt_state}
        self.manager.save(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardSave(state),
                meta=ocp.args.JsonSave({**meta, "step": step}),
            ),
            force=True,
        )

    def restore(self, params, opt_state, step: int | None = None):
        """(params, opt_state, meta) of `step` (newest by default), laid out like the templates.

        The templates (arrays or ShapeDtypeStructs) give the tree structure and each leaf's
        shape, dtype and sharding, so a run restored on other devices is placed correctly.
        """
        step = self.latest_step() if step is None else step
        abstract = jax.tree.map(_abstract, {"params": params, "opt_state": opt_state})
        restored = self.manager.restore(
            step,
            args=ocp.args.Composite(
                state=ocp.args.StandardRestore(abstract), meta=ocp.args.JsonRestore()
            ),
        )
        return restored.state["params"], restored.state["opt_state"], dict(restored.meta)

    def wait(self) -> None:
        """Block until a background save has finished."""
        self.manager.wait_until_finished()

    def close(self) -> None:
        """Finish pending saves and release the manager."""
        self.manager.close()


def _abstract(x) -> jax.ShapeDtypeStruct:
    """The shape, dtype and sharding of an array (a ShapeDtypeStruct passes through)."""
    if isinstance(x, jax.ShapeDtypeStruct):
        return x
    return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding)
