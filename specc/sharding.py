"""Data-parallel PPO with JAX's own sharding: `specc train --devices N`.

One `jax.sharding.Mesh` of N devices with a single axis, "data". The environments (the
runner's env_state and episode counters) are split along it; the network's parameters,
the optimizer state and the key are replicated. The update function is one `jax.jit`
with these shardings (no pmap): XLA partitions the rollout over the devices, and each
PPO minibatch (drawn from the whole batch exactly as on one device) is split along the
data axis too, so the gradient of the mean loss is the average of the devices' gradients,
summed by an all-reduce that XLA inserts.

The algorithm is the one device's: the same keys, draws and minibatches (threefry is
partitionable, `jax_threefry_partitionable`, so a sharded draw has the same bits). Only
the order of float additions in the reductions differs, so N devices match one to float
rounding (tests/test_train.py compares them).

Across machines, call `jax.distributed.initialize()` in every process first: then
`jax.devices()` lists every machine's devices, the mesh spans them, and each process
holds its own share of the environments (see the README).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .errors import SpecError

AXIS = "data"
DATA = PartitionSpec(AXIS)  # a leading batch axis (environments) split over the devices
MINIBATCH = PartitionSpec(None, AXIS)  # [num_minibatches, minibatch, ...]: each minibatch split
REPLICATED = PartitionSpec()


def data_mesh(devices: int) -> Mesh:
    """A one-axis mesh over the first `devices` of `jax.devices()` (every process's, after
    `jax.distributed.initialize`); a clear error when fewer are visible."""
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise SpecError(f"--devices must be a positive whole number, got {devices!r}")
    visible = jax.devices()
    if devices > len(visible):
        platform = visible[0].platform
        hint = (
            "set XLA_FLAGS=--xla_force_host_platform_device_count=N before starting to split a CPU into N"
            if platform == "cpu"
            else "across machines, start one process per machine with jax.distributed.initialize() (README)"
        )
        raise SpecError(f"--devices {devices}: only {len(visible)} {platform} device(s) visible; {hint}")
    return Mesh(np.array(visible[:devices]), (AXIS,))


def check_split(num_envs: int, minibatch: int, devices: int) -> None:
    """The environments and each minibatch must split evenly over the devices."""
    if num_envs % devices or minibatch % devices:
        raise SpecError(
            f"--devices {devices}: num_envs ({num_envs}) and the minibatch size ({minibatch}) must be "
            f"multiples of the number of devices"
        )


def constrain(tree: Any, mesh: Mesh | None, spec: PartitionSpec) -> Any:
    """Every leaf of `tree` laid out as `spec` on `mesh` (inside jit); unchanged without a mesh."""
    if mesh is None:
        return tree
    sharding = NamedSharding(mesh, spec)
    return jax.tree_util.tree_map(lambda x: jax.lax.with_sharding_constraint(x, sharding), tree)


def runner_shardings(runner: Any, mesh: Mesh) -> Any:
    """The sharding of each leaf of a train.Runner: environments split, the rest replicated."""
    data, replicated = NamedSharding(mesh, DATA), NamedSharding(mesh, REPLICATED)
    split = {"env_state", "episode_return", "episode_length"}
    return type(runner)(
        **{
            name: jax.tree_util.tree_map(lambda _, s=(data if name in split else replicated): s, value)
            for name, value in runner._asdict().items()
        }
    )


def place(tree: Any, shardings: Any) -> Any:
    """Every leaf of `tree` (the same value in every process) laid out as its sharding: each
    device gets its slice from this process's copy, so it works across machines too."""

    def put(x: Any, sharding: NamedSharding) -> jax.Array:
        value = np.asarray(jax.device_get(x))
        return jax.make_array_from_callback(value.shape, sharding, lambda index: value[index])

    return jax.tree_util.tree_map(put, tree, shardings)


def replicated(mesh: Mesh, value: Any) -> jax.Array:
    """A host value as an array replicated on every device of `mesh` (also across processes)."""
    return place(value, NamedSharding(mesh, REPLICATED))
