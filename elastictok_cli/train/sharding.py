"""Data parallelism: one mesh over every device of every process, batch split on "data".

The same code runs on one CPU, one GPU, a TPU slice or several hosts: parameters and
optimiser state are replicated, the batch is sharded along the mesh axis "data", and
XLA inserts the gradient all-reduce. Each process feeds only its own slice of the batch.
"""

from __future__ import annotations

import dataclasses
import os

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from elastictok_cli.errors import UsageError

DATA_AXIS = "data"
# Environment fallbacks for the distributed flags, for launchers that set variables.
ENV_COORDINATOR = "ELASTICTOK_COORDINATOR"
ENV_NUM_PROCESSES = "ELASTICTOK_NUM_PROCESSES"
ENV_PROCESS_ID = "ELASTICTOK_PROCESS_ID"


@dataclasses.dataclass(frozen=True)
class DistributedConfig:
    """Where the coordinator listens and which process this is; empty for one process."""

    coordinator: str | None = None  # host:port of process 0
    num_processes: int | None = None
    process_id: int | None = None

    @classmethod
    def from_env(cls, **flags) -> DistributedConfig:
        """Flags first, then the ELASTICTOK_* environment variables."""
        coordinator = flags.get("coordinator") or os.environ.get(ENV_COORDINATOR)
        count = flags.get("num_processes") or os.environ.get(ENV_NUM_PROCESSES)
        pid = flags.get("process_id")
        if pid is None and os.environ.get(ENV_PROCESS_ID) is not None:
            pid = os.environ[ENV_PROCESS_ID]
        return cls(
            coordinator,
            int(count) if count is not None else None,
            None if pid is None else int(pid),
        )


def initialize(config: DistributedConfig, auto: bool = False) -> None:
    """Join a multi-process run when a coordinator is given (or `auto`, for cluster launchers).

    Must run before any other JAX call touches a device. `auto` lets JAX detect SLURM,
    Open MPI or a Cloud TPU slice by itself.
    """
    if config.coordinator:
        if config.num_processes is None or config.process_id is None:
            raise UsageError("--coordinator needs --num-processes and --process-id")
        if not 0 <= config.process_id < config.num_processes:
            raise UsageError("--process-id must lie in [0, --num-processes)")
        jax.distributed.initialize(
            coordinator_address=config.coordinator,
            num_processes=config.num_processes,
            process_id=config.process_id,
        )
    elif auto:
        jax.distributed.initialize()


def make_mesh(devices=None) -> Mesh:
    """A one-axis mesh over the given devices (default: all devices of all processes)."""
    return Mesh(np.array(devices if devices is not None else jax.devices()), (DATA_AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Leading (batch) axis split over the devices."""
    return NamedSharding(mesh, PartitionSpec(DATA_AXIS))


def replicated(mesh: Mesh) -> NamedSharding:
    """A full copy on every device."""
    return NamedSharding(mesh, PartitionSpec())


def local_batch_size(global_batch: int, mesh: Mesh) -> int:
    """This process's share of the global batch; the batch must split evenly over devices."""
    devices = mesh.devices.size
    if global_batch % devices:
        raise UsageError(f"batch size {global_batch} does not split over {devices} devices")
    return global_batch // jax.process_count()


def global_batch(local: np.ndarray, mesh: Mesh) -> jax.Array:
    """Assemble the processes' local slices into one batch array sharded on "data"."""
    return jax.make_array_from_process_local_data(batch_sharding(mesh), local)
