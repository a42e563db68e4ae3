"""Where a spec's vmapped JAX step spends its time on CPU: XLA's own per-kernel (thunk) times
from a profiler trace, the costliest kernels with the generated env.py lines they come from.

    python scripts/profile_step.py specs/ptcgp.yaml [--batch 4096] [--top 25]

One compile (about a minute for ptcgp), then three profiled steps on the same state. Kernel
times are what XLA:CPU ran, so they show what a step costs (gathers, copies, selects, loops)
and where in the generated code it comes from; the total is about the step's wall time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp

import specc

STEPS = 3


def kernel_times(trace_dir: Path) -> Counter:
    """Microseconds per XLA kernel name over the traced steps (the executor's own events left out)."""
    trace = json.load(gzip.open(next(trace_dir.rglob("*.trace.json.gz"))))
    times: Counter = Counter()
    for e in trace["traceEvents"]:
        name = e.get("name", "")
        if e.get("ph") == "X" and not name.startswith(("ThunkExecutor", "$", "PjitFunction", "CommonPjRt", "while")):
            times[name] += e.get("dur", 0)
    return times


def sources(hlo: str, source: str) -> dict[str, str]:
    """Kernel name -> `function:line` of the innermost frame in `source` (the generated env.py)."""
    part = lambda a, b: hlo.split(a, 1)[1].split(b, 1)[0] if a in hlo else ""  # noqa: E731
    funcs = dict(re.findall(r'^(\d+) "(.*)"$', part("FunctionNames", "FileLocations"), re.M))
    files = dict(re.findall(r'^(\d+) "(.*)"$', part("FileNames", "FunctionNames"), re.M))
    locs = {
        m[0]: m[1:] for m in re.findall(r"^(\d+) \{file_name_id=(\d+) function_name_id=(\d+) line=(\d+)", hlo, re.M)
    }
    frames = dict(re.findall(r"^(\d+) \{file_location_id=(\d+) parent_frame_id=\d+\}", hlo, re.M))
    out = {}
    for name, frame in re.findall(r"%(\S+) = .*?stack_frame_id=(\d+)", hlo):
        loc = locs.get(frames.get(frame, ""))
        if loc and files.get(loc[0], "").endswith(source):
            out[name] = f"{funcs.get(loc[1], '?').split('.')[0]}:{loc[2]}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("spec")
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    env = specc.make(args.spec).module
    keys = jax.random.split(jax.random.PRNGKey(0), args.batch)
    state = jax.vmap(env.init)(keys)
    actions = jnp.argmax(state.legal_action_mask, axis=1).astype(jnp.int32)
    step = jax.jit(jax.vmap(env.step))
    compiled = step.lower(state, actions, keys).compile()
    jax.block_until_ready(compiled(state, actions, keys))
    with tempfile.TemporaryDirectory() as tmp:
        jax.profiler.start_trace(tmp, create_perfetto_trace=True)
        for _ in range(STEPS):
            jax.block_until_ready(compiled(state, actions, keys))
        jax.profiler.stop_trace()
        times = kernel_times(Path(tmp))
    where = sources(compiled.as_text(), Path(env.__file__).name)
    kinds: Counter = Counter()
    for name, us in times.items():
        kinds[re.sub(r"\.\d+$", "", name)] += us
    print(f"{args.spec}, batch {args.batch}: kernels {sum(times.values()) / STEPS / 1e3:.1f} ms per step")
    print("by kind:", ", ".join(f"{k} {v / STEPS / 1e3:.1f}" for k, v in kinds.most_common(8)))
    for name, us in times.most_common(args.top):
        print(f"{us / STEPS / 1e3:8.2f} ms  {name:40s} {where.get(name, '')}")


if __name__ == "__main__":
    main()
