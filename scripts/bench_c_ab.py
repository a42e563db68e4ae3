"""A/B timing of two native.c files of one spec against JAX, alternated in one process.

    python scripts/bench_c_ab.py connect_four OLD_NATIVE_C [batch steps repeats]
    (OLD_NATIVE_C: e.g. `git show HEAD~1:generated/connect_four/native.c > /tmp/old.c`)

specc bench's loops (the JAX `lax.scan` harness and the C `specc_bench` one, one core),
alternated each repeat; medians of wall steps/s and of steps per CPU-second (the C loop's
own thread time; JAX's process time), which a loaded machine distorts less.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import jax
import numpy as np

import specc
from specc.api import _import
from specc.bench import scan_runner, time_runner
from specc.native import NativeModule


def main(name: str, old_c: str, batch: int = 1024, steps: int = 500, repeats: int = 7) -> None:
    """Print the medians and ratios of JAX, the old native.c and generated/NAME/native.c."""
    jax_env = specc.make(f"specs/{name}.yaml")
    ref = _import(Path(f"generated/{name}/reference.py"), "reference")
    mods = {"c-old": NativeModule(Path(old_c), ref), "c-new": NativeModule(Path(f"generated/{name}/native.c"), ref)}
    runner = scan_runner(f"specc:{name}", jax_env.init, jax_env.step, batch, steps, 1)
    c_steps = max(steps, math.ceil(400_000 / batch))
    wall: dict[str, list[float]] = {"jax": [], "c-old": [], "c-new": []}
    cpu: dict[str, list[float]] = {"jax": [], "c-old": [], "c-new": []}
    for m in mods.values():
        m.bench(batch, 50, np.zeros(2, np.uint32), 1)
    for r in range(repeats):
        key = jax.random.PRNGKey(r + 1)
        c0 = time.process_time()
        wall["jax"].append(batch * steps / time_runner(runner, key))
        cpu["jax"].append(batch * steps / (time.process_time() - c0))
        for k, m in mods.items() if r % 2 == 0 else reversed(mods.items()):
            t, c = time.perf_counter(), time.thread_time()
            m.bench(batch, c_steps, np.asarray(key), 1)
            wall[k].append(batch * c_steps / (time.perf_counter() - t))
            cpu[k].append(batch * c_steps / (time.thread_time() - c))
    for what, rates in (("wall", wall), ("per CPU-second", cpu)):
        med = {k: statistics.median(v) for k, v in rates.items()}
        ratios = f"old/jax {med['c-old'] / med['jax']:.2f}x new/jax {med['c-new'] / med['jax']:.2f}x"
        print(f"{name} batch {batch}, {what}:", {k: f"{v / 1e6:.2f}M" for k, v in med.items()}, ratios,
              f"new/old {med['c-new'] / med['c-old']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]))
