"""Where a spec's vmapped JAX step spends its time on CPU: XLA's own per-kernel (thunk) times
from a profiler trace, the costliest kernels with the generated env.py lines they come from.

    python scripts/profile_step.py specs/ptcgp.yaml [--batch 4096] [--top 25] [--warmup 20] [--chunk 16]

One compile (about a minute for ptcgp), then three profiled steps on the same state: the
batch after `--warmup` uniformly random legal steps, each environment then taking a random
legal action. Kernel times are what XLA:CPU ran, so they show what a step costs (gathers,
copies, selects, loops) and where in the generated code it comes from; with the profiler's
own cost per kernel run (the count is printed too), the total is above the step's wall time.
`--chunk D` profiles the spec's env.py with the dispatch's chunk set to 1/D of the batch.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import tempfile
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp

import specc
from specc.bench import _random_legal

STEPS = 3


def kernel_times(trace_dir: Path, runs: Counter | None = None) -> Counter:
    """Microseconds per XLA kernel name over the traced steps (the executor's own events left
    out); `runs`, if given, gets how many times each kernel ran."""
    trace = json.load(gzip.open(next(trace_dir.rglob("*.trace.json.gz"))))
    times: Counter = Counter()
    for e in trace["traceEvents"]:
        name = e.get("name", "")
        if e.get("ph") == "X" and not name.startswith(("ThunkExecutor", "$", "PjitFunction", "CommonPjRt", "while")):
            times[name] += e.get("dur", 0)
            if runs is not None:
                runs[name] += 1
    return times


def random_actions(mask: jax.Array, key: jax.Array) -> jax.Array:
    """One uniformly random legal action per environment, as specc bench picks them: int32[batch]."""
    return _random_legal(jax.random.bits(key, (mask.shape[0],), jnp.uint32), mask)


def load_env(spec: str, chunk: int | None):
    """The spec's generated JAX module; with `chunk`, a copy whose dispatch takes 1/chunk of the batch a pass."""
    env = specc.make(spec).module
    if chunk is None:
        return env
    text = Path(env.__file__).read_text()
    if "axis_size // 16" not in text:
        raise SystemExit(f"{spec}: no dispatch chunk in its env.py (one action kind?)")
    path = Path(tempfile.mkdtemp()) / f"env_chunk{chunk}.py"
    path.write_text(text.replace("axis_size // 16", f"axis_size // {chunk}"))
    spec_ = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    return module


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
    ap.add_argument("--warmup", type=int, default=20, help="random steps before the profiled one")
    ap.add_argument("--chunk", type=int, help="the dispatch's chunk as 1/CHUNK of the batch (default: the env's)")
    args = ap.parse_args()
    env = load_env(args.spec, args.chunk)
    keys = jax.random.split(jax.random.PRNGKey(0), args.batch)
    state = jax.vmap(env.init)(keys)
    step = jax.jit(jax.vmap(env.step))
    for t in range(args.warmup):
        key = jax.random.PRNGKey(100 + t)
        state = step(state, random_actions(state.legal_action_mask, key), jax.random.split(key, args.batch))
    actions = random_actions(state.legal_action_mask, jax.random.PRNGKey(1))
    compiled = step.lower(state, actions, keys).compile()
    jax.block_until_ready(compiled(state, actions, keys))
    with tempfile.TemporaryDirectory() as tmp:
        jax.profiler.start_trace(tmp, create_perfetto_trace=True)
        for _ in range(STEPS):
            jax.block_until_ready(compiled(state, actions, keys))
        jax.profiler.stop_trace()
        runs: Counter = Counter()
        times = kernel_times(Path(tmp), runs)
    where = sources(compiled.as_text(), Path(env.__file__).name)
    kinds: Counter = Counter()
    for name, us in times.items():
        kinds[re.sub(r"\.\d+$", "", name)] += us
    print(f"{args.spec}, batch {args.batch}: kernels {sum(times.values()) / STEPS / 1e3:.1f} ms per step, "
          f"{sum(runs.values()) / STEPS:.0f} kernel runs")  # fmt: skip
    print("by kind:", ", ".join(f"{k} {v / STEPS / 1e3:.1f}" for k, v in kinds.most_common(8)))
    for name, us in times.most_common(args.top):
        print(f"{us / STEPS / 1e3:8.2f} ms  {name:40s} {where.get(name, '')}")


if __name__ == "__main__":
    main()
