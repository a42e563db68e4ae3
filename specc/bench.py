"""`specc bench`: random legal actions with auto-reset, timed in one jitted lax.scan.

The JAX backend and the peer (Pgx or gymnax) run the same loop in the same
process, alternated, compile time excluded and reported apart; the Python backend
steps one environment at a time. Medians and ratios are printed as a table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError


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
    return jnp.argmax(jnp.cumsum(mask, axis=-1, dtype=jnp.int32) > k[:, None], axis=-1).astype(jnp.int32)


def _env_keys(key, batch):
    """One raw uint32[2] PRNG key per environment from a single draw."""
    import jax
    import jax.numpy as jnp

    return jax.random.bits(key, (batch, 2), jnp.uint32)


def scan_runner(name: str, init: Callable, step: Callable, batch: int, steps: int) -> Runner:
    """Pgx-style env (init(key), step(state, action, key), legal_action_mask,
    terminated, truncated): random legal actions, reset where an episode ends."""
    import jax
    import jax.numpy as jnp

    v_init, v_step = jax.vmap(init), jax.vmap(step)

    def body(carry, _):
        state, key = carry
        key, k_act, k_step, k_reset = jax.random.split(key, 4)
        action = _random_legal(jax.random.bits(k_act, (batch,), jnp.uint32), state.legal_action_mask)
        state = v_step(state, action, _env_keys(k_step, batch))
        done = jnp.logical_or(state.terminated, state.truncated)
        fresh = v_init(_env_keys(k_reset, batch))
        state = jax.tree_util.tree_map(
            lambda a, b: jnp.where(jnp.reshape(done, done.shape + (1,) * (a.ndim - 1)), a, b), fresh, state
        )
        return (state, key), None

    def rollout(key):
        state = v_init(_env_keys(key, batch))
        (state, _), _ = jax.lax.scan(body, (state, key), None, length=steps)
        return state

    return _compiled(name, rollout)


def gymnax_runner(name: str, env_id: str, batch: int, steps: int) -> Runner:
    """A gymnax env through its own step (which auto-resets), uniform random actions."""
    import gymnax
    import jax
    import jax.numpy as jnp

    env, params = gymnax.make(env_id)
    n = env.num_actions
    v_reset = jax.vmap(env.reset, in_axes=(0, None))
    v_step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def body(carry, _):
        state, key = carry
        key, k_act, k_step = jax.random.split(key, 3)
        action = (jax.random.bits(k_act, (batch,), jnp.uint32) % n).astype(jnp.int32)
        state = v_step(_env_keys(k_step, batch), state, action, params)[1]  # gymnax auto-resets
        return (state, key), None

    def rollout(key):
        _, state = v_reset(_env_keys(key, batch), params)
        (state, _), _ = jax.lax.scan(body, (state, key), None, length=steps)
        return state

    return _compiled(name, rollout)


def _compiled(name: str, rollout: Callable) -> Runner:
    import jax

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
        state = module.step(state, int(rng.choice(legal)), key)
        steps += 1
        if state.terminated or state.truncated:
            key = jax.random.fold_in(key, steps)
            state = module.init(key)
    return steps / (time.perf_counter() - start)


def peer_runner(vs: str, batch: int, steps: int) -> Runner:
    kind, _, env_id = vs.partition(":")
    if kind == "pgx":
        try:
            import pgx
        except ImportError:
            raise SpecError("--vs pgx needs Pgx: pip install pgx") from None
        env = pgx.make(env_id)
        return scan_runner(f"pgx:{env_id}", env.init, env.step, batch, steps)
    if kind == "gymnax":
        try:
            import gymnax  # noqa: F401
        except ImportError:
            raise SpecError("--vs gymnax needs gymnax: pip install gymnax") from None
        return gymnax_runner(f"gymnax:{env_id}", env_id, batch, steps)
    raise SpecError(f"--vs must be pgx:ID or gymnax:ID, got {vs!r}")


def measure(spec: str, batches: list[int], vs: str | None, steps: int, repeats: int, python_seconds: float):
    """Rows of results: one per batch size, plus the Python backend's rate."""
    import jax

    from .api import make

    env = make(spec, backend="jax")
    reference = make(spec, backend="python")
    py_rate = python_throughput(reference.module, python_seconds)
    rows = []
    for batch in batches:
        ours = scan_runner(f"specc:{env.id}", env.init, env.step, batch, steps)
        peer = peer_runner(vs, batch, steps) if vs else None
        times: dict[str, list[float]] = {"ours": [], "peer": []}
        for r in range(repeats):  # alternate, so drift hits both alike
            key = jax.random.PRNGKey(r + 1)
            times["ours"].append(time_runner(ours, key))
            if peer:
                times["peer"].append(time_runner(peer, key))
        ours_rates = [batch * steps / t for t in times["ours"]]
        ours_rate = batch * steps / statistics.median(times["ours"])
        peer_rate = batch * steps / statistics.median(times["peer"]) if peer else None
        rows.append(
            {
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
        )
    return env, rows


def _fmt(rate: float | None) -> str:
    if rate is None:
        return "-"
    for unit, scale in (("M", 1e6), ("K", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.2f}{unit}"
    return f"{rate:.0f}"


def table_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    head = ["batch", "specc-jax steps/s", "mean ± sd", "compile s", "peer", "peer steps/s", "peer compile s",
            "specc-python steps/s", "jax/peer", "jax/python"]  # fmt: skip
    body = []
    for r in rows:
        body.append(
            [
                str(r["batch"]),
                _fmt(r["jax_steps_per_s"]),
                f"{_fmt(r['jax_mean'])} ± {_fmt(r['jax_sd'])}",
                f"{r['jax_compile_s']:.2f}",
                r["peer"] or "-",
                _fmt(r["peer_steps_per_s"]),
                "-" if r["peer_compile_s"] is None else f"{r['peer_compile_s']:.2f}",
                _fmt(r["python_steps_per_s"]),
                "-" if r["vs_peer"] is None else f"{r['vs_peer']:.2f}x",
                f"{r['vs_python']:.0f}x",
            ]
        )
    return head, body


def run_bench(spec: str, batches: list[int], vs: str | None, steps: int, repeats: int,
              python_seconds: float, markdown: str | None = None) -> list[dict]:  # fmt: skip
    from rich.console import Console
    from rich.table import Table

    if steps < 1 or repeats < 1:
        raise SpecError("--steps and --repeats must be at least 1")
    console = Console(width=160)
    with console.status(f"benchmarking {spec} ..."):
        env, rows = measure(spec, batches, vs, steps, repeats, python_seconds)
    head, body = table_rows(rows)
    table = Table(title=f"{env.id}: random legal actions, auto-reset, {steps} steps per scan, median of {repeats}")
    for h in head:
        table.add_column(h, justify="right")
    for row in body:
        table.add_row(*row)
    console.print(table)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        from pathlib import Path

        Path(markdown).write_text("\n".join(lines) + "\n")
    return rows
