"""`specc bench`: random legal actions with auto-reset, timed in one jitted lax.scan.

The JAX backend and the peer (Pgx or gymnax) run the same loop in the same
process, alternated, compile time excluded and reported apart; the Python backend
steps one environment at a time. Medians and ratios are printed as a table.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SpecError
from .progress import task
from .results import Column, number, print_table, rate, throughput_plot


@dataclass
class Runner:
    """One environment family under test: a jitted scan of `steps` random steps."""

    name: str
    run: Callable[[Any], Any]  # (key) -> something to block on
    compile_seconds: float


def _random_legal(word, mask):
    """The k-th legal action, k uniform from one random word per environment (cheaper
    than categorical sampling, so the timing is the environment's, not the harness's)."""
    import jax.numpy as jnp

    count = jnp.maximum(jnp.sum(mask, axis=-1, dtype=jnp.uint32), 1)
    k = (word % count).astype(jnp.int32)
    # cumsum by log2(n) shifted adds: jnp.cumsum is a slow reduce-window on XLA:CPU
    prefix = mask.astype(jnp.int32)
    shift = 1
    while shift < prefix.shape[-1]:
        pad = jnp.zeros(prefix.shape[:-1] + (shift,), jnp.int32)
        prefix = prefix + jnp.concatenate([pad, prefix[..., :-shift]], axis=-1)
        shift *= 2
    return jnp.argmax(prefix > k[:, None], axis=-1).astype(jnp.int32)


def _mix(x):
    """A 32-bit integer hash (murmur3's finaliser): a few vectorisable ops per word."""
    import jax.numpy as jnp

    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x85EBCA6B)
    x = x ^ (x >> 13)
    x = x * jnp.uint32(0xC2B2AE35)
    return x ^ (x >> 16)


def _harness_words(seed, t, shape):
    """The harness's own random words for step `t` (actions, reset keys): a counter hash.

    The environments' chance still runs on jax.random (threefry) from the keys they are
    given; only the harness's choices use this cheaper stream, so the timing is the
    environment's work rather than the benchmark's (threefry is ~100 cycles a word on
    XLA:CPU, as much as a whole CartPole step)."""
    import jax.numpy as jnp

    size = math.prod(shape)
    counter = jnp.asarray(t, jnp.uint32) * jnp.uint32(size) + jnp.arange(size, dtype=jnp.uint32)
    return _mix(_mix(counter ^ seed[0]) + seed[1]).reshape(shape)


def _env_keys(seed, t, batch):
    """One raw uint32[2] PRNG key per environment for step `t`."""
    return _harness_words(seed, t, (batch, 2))


def scan_runner(name: str, init: Callable, step: Callable, batch: int, steps: int, devices: int = 1) -> Runner:
    """Pgx-style env (init(key), step(state, action, key), legal_action_mask,
    terminated, truncated): random legal actions, reset where an episode ends."""
    import jax
    import jax.numpy as jnp

    v_init, v_step = jax.vmap(init), jax.vmap(step)
    batch = _per_device(batch, devices)

    def body(carry, t):
        state, seed = carry
        # three streams per step: 4t (actions), 4t+1 (step keys), 4t+2 (reset keys)
        action = _random_legal(_harness_words(seed, 4 * t, (batch,)), state.legal_action_mask)
        state = v_step(state, action, _env_keys(seed, 4 * t + 1, batch))
        done = jnp.logical_or(state.terminated, state.truncated)
        fresh = v_init(_env_keys(seed, 4 * t + 2, batch))
        state = jax.tree_util.tree_map(
            lambda a, b: jnp.where(jnp.reshape(done, done.shape + (1,) * (a.ndim - 1)), a, b), fresh, state
        )
        return (state, seed), None

    def rollout(key):
        seed = key.astype(jnp.uint32)  # a raw uint32[2] key
        state = v_init(_env_keys(seed, 3, batch))
        ts = jnp.arange(1, steps + 1, dtype=jnp.uint32)
        (state, _), _ = jax.lax.scan(body, (state, seed), ts)
        return state

    return _compiled(name, rollout, devices)


def gymnax_runner(name: str, env_id: str, batch: int, steps: int, devices: int = 1) -> Runner:
    """A gymnax env through its own step (which auto-resets), uniform random actions."""
    import gymnax
    import jax
    import jax.numpy as jnp

    from .verify.peers import peer_env

    env, params = peer_env(name, lambda: gymnax.make(env_id))
    n = env.num_actions
    v_reset = jax.vmap(env.reset, in_axes=(0, None))
    v_step = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    batch = _per_device(batch, devices)

    def body(carry, t):
        state, seed = carry
        action = (_harness_words(seed, 4 * t, (batch,)) % n).astype(jnp.int32)
        state = v_step(_env_keys(seed, 4 * t + 1, batch), state, action, params)[1]  # gymnax auto-resets
        return (state, seed), None

    def rollout(key):
        seed = key.astype(jnp.uint32)
        _, state = v_reset(_env_keys(seed, 3, batch), params)
        ts = jnp.arange(1, steps + 1, dtype=jnp.uint32)
        (state, _), _ = jax.lax.scan(body, (state, seed), ts)
        return state

    return _compiled(name, rollout, devices)


def use_host_devices(devices: int) -> None:
    """Let XLA:CPU show `devices` host devices (one per core to use). It must run before
    JAX starts its backend, which the first computation does."""
    import os

    flag = f"--xla_force_host_platform_device_count={devices}"
    if devices > 1 and flag not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()


def _per_device(batch: int, devices: int) -> int:
    if devices < 1 or batch % devices:
        raise SpecError(f"batch {batch} does not split evenly over {devices} device(s)")
    return batch // devices


def _compiled(name: str, rollout: Callable, devices: int = 1) -> Runner:
    """Compile `rollout(key)` (one device's share of the batch). With several devices
    the batch is split over them with jax.shard_map: each runs its own share, seeded
    by fold_in(key, device), with no communication (the DESIGN's "JAX's own sharding")."""
    import jax
    import jax.numpy as jnp

    if devices > 1:
        from jax.sharding import Mesh, PartitionSpec

        if jax.device_count() < devices:
            raise SpecError(f"--devices {devices}: only {jax.device_count()} device(s) visible")
        mesh = Mesh(jax.devices()[:devices], ("batch",))
        one = rollout

        def shard(keys):  # keys: this device's [1, 2] slice
            return jax.tree_util.tree_map(lambda x: x[None], one(keys[0]))

        sharded = jax.shard_map(
            shard, mesh=mesh, in_specs=PartitionSpec("batch"), out_specs=PartitionSpec("batch"), check_vma=False
        )

        def rollout(key):
            keys = jax.vmap(lambda d: jax.random.fold_in(key, d))(jnp.arange(devices, dtype=jnp.uint32))
            return sharded(keys)

    key = jax.random.PRNGKey(0)
    start = time.perf_counter()
    compiled = jax.jit(rollout).lower(key).compile()
    seconds = time.perf_counter() - start
    jax.block_until_ready(compiled(key))  # warm up
    return Runner(name, compiled, seconds)


def time_runner(runner: Runner, key) -> float:
    import jax

    start = time.perf_counter()
    jax.block_until_ready(runner.run(key))
    return time.perf_counter() - start


def python_throughput(module, seconds: float, seed: int = 0) -> float:
    """Steps/s of the Python reference: one environment, random legal actions, auto-reset."""
    import jax
    import numpy as np

    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    state = module.init(key)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        legal = np.flatnonzero(state.legal_action_mask)
        if len(legal) == 0:  # the spec's fault, which level 1 reports with the sequence that gets there
            raise SpecError(f"{module.ID}: a game has no legal action before its end (after {steps} random steps); "
                            f"`specc verify --level 1` finds where")  # fmt: skip
        state = module.step(state, int(rng.choice(legal)), key)
        steps += 1
        if state.terminated or state.truncated:
            key = jax.random.fold_in(key, steps)
            state = module.init(key)
    return steps / (time.perf_counter() - start)


def check_peer(vs: str) -> None:
    """Make the peer's environment once, so that an unknown one fails before any timing."""
    import importlib

    from .verify.peers import peer_env

    peer_runner(vs, 1, 1, check_only=True)  # the form of `vs`, and its library installed
    kind, _, env_id = vs.partition(":")
    library = importlib.import_module(kind)  # pgx.make and gymnax.make both take the id
    peer_env(vs, lambda: library.make(env_id))


def peer_runner(vs: str, batch: int, steps: int, devices: int = 1, check_only: bool = False) -> Runner | None:
    """A runner of `vs` (pgx:ID or gymnax:ID); `check_only`: only check that its library is there."""
    kind, _, env_id = vs.partition(":")
    if kind == "pgx":
        try:
            import pgx
        except ImportError:
            raise SpecError("--vs pgx needs Pgx: pip install pgx") from None
        if check_only:
            return None
        from .verify.peers import peer_env

        env = peer_env(vs, lambda: pgx.make(env_id))
        return scan_runner(f"pgx:{env_id}", env.init, env.step, batch, steps, devices)
    if kind == "gymnax":
        try:
            import gymnax  # noqa: F401
        except ImportError:
            raise SpecError("--vs gymnax needs gymnax: pip install gymnax") from None
        if check_only:
            return None
        return gymnax_runner(f"gymnax:{env_id}", env_id, batch, steps, devices)
    raise SpecError(f"--vs must be pgx:ID or gymnax:ID, got {vs!r}")


def measure(spec: str, batches: list[int], vs: str | None, steps: int, repeats: int, python_seconds: float,
            devices: int = 1):  # fmt: skip
    """Rows of results: one per batch size, plus the Python backend's rate."""

    from .api import make

    if vs:
        check_peer(vs)
    env = make(spec, backend="jax")
    reference = make(spec, backend="python")
    python_throughput(reference.module, 0.5)  # warm up: the first eager jax.random calls compile
    rows: list[dict] = []
    with task(f"bench {env.id}", total=len(batches), unit="batch sizes") as bar:
        for batch in batches:
            bar.update(note=f"batch {batch}: compiling")
            timing = lambda b=batch: bar.update(note=f"batch {b}: timing")
            rows.append(_measure_batch(env, reference, vs, batch, steps, repeats, python_seconds, devices, timing))
            bar.advance(note=f"batch {batch}: {rate(rows[-1]['jax_steps_per_s'])} steps/s")
    return env, rows


def _measure_batch(env, reference, vs: str | None, batch: int, steps: int, repeats: int, python_seconds: float,
                   devices: int, compiled: Callable[[], None] = lambda: None) -> dict:  # fmt: skip
    """One row: ours, the peer and the Python reference alternated `repeats` times
    (`compiled()` is called between compiling and timing)."""
    import jax

    ours = scan_runner(f"specc:{env.id}", env.init, env.step, batch, steps, devices)
    peer = peer_runner(vs, batch, steps, devices) if vs else None
    compiled()
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    py_rates = []
    for r in range(repeats):  # alternate all three, so drift and load hit them alike
        key = jax.random.PRNGKey(r + 1)
        times["ours"].append(time_runner(ours, key))
        if peer:
            times["peer"].append(time_runner(peer, key))
        py_rates.append(python_throughput(reference.module, python_seconds / repeats, seed=r))
    py_rate = statistics.median(py_rates)
    ours_rates = [batch * steps / t for t in times["ours"]]
    ours_rate = batch * steps / statistics.median(times["ours"])
    peer_rate = batch * steps / statistics.median(times["peer"]) if peer else None
    return {
        "batch": batch,
        "jax_steps_per_s": ours_rate,
        "jax_compile_s": ours.compile_seconds,
        "jax_mean": statistics.fmean(ours_rates),
        "jax_sd": statistics.stdev(ours_rates) if len(ours_rates) > 1 else 0.0,
        "peer": peer.name if peer else None,
        "peer_steps_per_s": peer_rate,
        "peer_compile_s": peer.compile_seconds if peer else None,
        "python_steps_per_s": py_rate,
        "vs_peer": ours_rate / peer_rate if peer_rate else None,
        "vs_python": ours_rate / py_rate,
    }


COLUMNS = [
    Column("batch", lambda r: str(r["batch"])),
    Column("jax steps/s", lambda r: rate(r["jax_steps_per_s"])),
    Column("jax mean ± sd", lambda r: f"{rate(r['jax_mean'])} ± {rate(r['jax_sd'])}", wide_only=True),
    Column("compile s", lambda r: number(r["jax_compile_s"])),
    Column("peer", lambda r: r["peer"] or "-", wide_only=True),
    Column("peer steps/s", lambda r: rate(r["peer_steps_per_s"])),
    Column("peer compile s", lambda r: number(r["peer_compile_s"]), wide_only=True),
    Column("python steps/s", lambda r: rate(r["python_steps_per_s"])),
    Column("jax/peer", lambda r: number(r["vs_peer"], ".2f", "x")),
    Column("jax/python", lambda r: number(r["vs_python"], ".0f", "x")),
]


def title(env_id: str, rows: list[dict], steps: int, repeats: int, devices: int) -> str:
    peer = next((r["peer"] for r in rows if r["peer"]), None)
    where = f", batch split over {devices} devices" if devices > 1 else ""
    return (f"{env_id}{' vs ' + peer if peer else ''}: random legal actions, auto-reset, {steps} steps per scan, "
            f"median of {repeats}{where}")  # fmt: skip


def write_report(path: str | Path, spec: str, env_id: str, rows: list[dict], **settings: Any) -> Path:
    """The measured rows as JSON (what `python -m specc.summary` reads)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"spec": spec, "env": env_id, **settings, "rows": rows}, indent=1) + "\n")
    return out


def run_bench(spec: str, batches: list[int], vs: str | None, steps: int, repeats: int,
              python_seconds: float, markdown: str | None = None, devices: int = 1, wide: bool = False,
              plot: str | None = None, report: str | None = None) -> list[dict]:  # fmt: skip
    """Measure, print the table (100 columns unless `wide`), write the Markdown, the plot
    (steps/s against batch size) and the JSON report where asked."""
    if steps < 1 or repeats < 1:
        raise SpecError("--steps and --repeats must be at least 1")
    env, rows = measure(spec, batches, vs, steps, repeats, python_seconds, devices)
    print_table(title(env.id, rows, steps, repeats, devices), COLUMNS, rows, wide=wide, markdown=markdown)
    if plot:
        peer = next((r["peer"] for r in rows if r["peer"]), None)
        series = {f"specc-jax ({devices} device{'s' if devices > 1 else ''})": "jax_steps_per_s",
                  "specc-python (one game at a time)": "python_steps_per_s"}  # fmt: skip
        if peer:
            series[f"{peer} (same harness)"] = "peer_steps_per_s"
        where = f", {devices} devices" if devices > 1 else ""
        out = throughput_plot(rows, series, f"{env.id}: random-action steps/s{where}", plot,
                              flat=["specc-python (one game at a time)"])  # fmt: skip
        print(f"plot written to {out}")
    if report:
        out = write_report(report, spec, env.id, rows, steps=steps, repeats=repeats, devices=devices)
        print(f"report written to {out}")
    return rows
