"""Alternate JAX, the old native.c and the new one at one batch size (specc bench's loops)."""
import statistics, sys, time, math
from pathlib import Path
import jax, numpy as np
import specc
from specc.api import _import
from specc.bench import scan_runner, time_runner
from specc.native import NativeModule

name, batch, steps, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
jax_env = specc.make(f"specs/{name}.yaml")
ref = _import(Path(f"generated/{name}/reference.py"), "reference")
mods = {"c-old": NativeModule(Path(f"/tmp/cver/old_{name}.c"), ref), "c-new": NativeModule(Path(f"generated/{name}/native.c"), ref)}
runner = scan_runner(f"specc:{name}", jax_env.init, jax_env.step, batch, steps, 1)
c_steps = max(steps, math.ceil(400_000 / batch))
rates = {"jax": [], "c-old": [], "c-new": []}
cpu = {}
for m in mods.values():
    m.bench(batch, 50, np.zeros(2, np.uint32), 1)
for r in range(repeats):
    key = jax.random.PRNGKey(r + 1)
    c0 = time.process_time()
    rates["jax"].append(batch * steps / time_runner(runner, key))
    cpu.setdefault("jax", []).append(batch * steps / (time.process_time() - c0))
    for k, m in (mods.items() if r % 2 == 0 else reversed(mods.items())):
        t, c = time.perf_counter(), time.thread_time(); m.bench(batch, c_steps, np.asarray(key), 1)
        rates[k].append(batch * c_steps / (time.perf_counter() - t))
        cpu.setdefault(k, []).append(batch * c_steps / (time.thread_time() - c))
med = {k: statistics.median(v) for k, v in rates.items()}
print(name, batch, {k: f"{v/1e6:.2f}M" for k, v in med.items()},
      f"old/jax {med['c-old']/med['jax']:.2f}x new/jax {med['c-new']/med['jax']:.2f}x new/old {med['c-new']/med['c-old']:.2f}x")
cm = {k: statistics.median(v) for k, v in cpu.items()}
print("per CPU-second (thread_time):", {k: f"{v/1e6:.2f}M" for k, v in cm.items()}, f"new/old {cm['c-new']/cm['c-old']:.2f}x old/jax {cm['c-old']/cm['jax']:.2f}x new/jax {cm['c-new']/cm['jax']:.2f}x")
