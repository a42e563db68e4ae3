"""`specc bench SPEC --backend c,jax`: the C backend against the JAX one, alternated in one process.

Both run the same loop: random legal actions from a counter hash, auto-reset where an
episode ends (specc.bench's harness; the C one, native.c's `specc_bench`, draws the very
same actions and keys, so both play the same games). JAX runs one jitted lax.scan; C
runs the loop natively, on one core and on `threads` cores (OpenMP over environments).
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from .errors import SpecError

MIN_C_STEPS = 400_000  # environment steps per timed C run, so small batches time long enough


def build_seconds(c_path: Path) -> tuple[float, float]:
    """Seconds the C compiler takes for native.c (a fresh build, bypassing the cache): wall
    time and the compiler's CPU time (which a loaded machine inflates less)."""
    import resource

    from . import native

    old = os.environ.get("SPECC_CACHE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPECC_CACHE_DIR"] = tmp
        try:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            native.build(c_path.read_text(), "bench")
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        finally:
            if old is None:
                del os.environ["SPECC_CACHE_DIR"]
            else:
                os.environ["SPECC_CACHE_DIR"] = old


def measure(spec: str, batches: list[int], backends: list[str], steps: int, repeats: int, devices: int = 1,
            threads: int | None = None) -> tuple[object, list[dict]]:  # fmt: skip
    """One row per batch size: steps/s of JAX (on `devices`) and of C on 1 and `threads` cores."""
    import jax
    import numpy as np

    from .api import make
    from .bench import scan_runner, time_runner

    threads = threads or os.cpu_count() or 1
    env = make(spec, backend="c")
    module = env.module
    built, built_cpu = build_seconds(Path(module.__file__))
    jax_env = make(spec, backend="jax") if "jax" in backends else None
    rows = []
    for batch in batches:
        runner = scan_runner(f"specc:{env.id}", jax_env.init, jax_env.step, batch, steps, devices) if jax_env else None
        c_steps = max(steps, math.ceil(MIN_C_STEPS / batch))
        module.bench(batch, min(c_steps, 50), np.zeros(2, np.uint32), threads)  # warm up
        rates: dict[str, list[float]] = {"jax": [], "c1": [], "cN": []}
        for r in range(repeats):  # alternate, so load and drift hit every backend alike
            key = jax.random.PRNGKey(r + 1)
            if runner:
                rates["jax"].append(batch * steps / time_runner(runner, key))
            for name, n in (("c1", 1), ("cN", threads)):
                start = time.perf_counter()
                module.bench(batch, c_steps, np.asarray(key), n)
                rates[name].append(batch * c_steps / (time.perf_counter() - start))
        med = {k: statistics.median(v) if v else None for k, v in rates.items()}
        rows.append(
            {
                "batch": batch,
                "jax_steps_per_s": med["jax"],
                "jax_devices": devices,
                "jax_compile_s": runner.compile_seconds if runner else None,
                "c_1core_steps_per_s": med["c1"],
                "c_all_steps_per_s": med["cN"],
                "c_threads": threads,
                "c_build_s": built,
                "c_build_cpu_s": built_cpu,
                "c_vs_jax_per_core": med["c1"] / (med["jax"] / devices) if med["jax"] else None,
            }
        )
    return env, rows


def _fmt(rate: float | None) -> str:
    from .bench import _fmt as fmt

    return fmt(rate)


def table_rows(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    threads = rows[0]["c_threads"] if rows else 1
    devices = rows[0]["jax_devices"] if rows else 1
    head = ["batch", f"specc-jax steps/s ({devices} dev)", "specc-c 1 core", f"specc-c {threads} cores",
            "c/jax per core", "jax compile s", "c build s (cpu s)"]  # fmt: skip
    body = []
    for r in rows:
        body.append(
            [
                str(r["batch"]),
                _fmt(r["jax_steps_per_s"]),
                _fmt(r["c_1core_steps_per_s"]),
                _fmt(r["c_all_steps_per_s"]),
                "-" if r["c_vs_jax_per_core"] is None else f"{r['c_vs_jax_per_core']:.1f}x",
                "-" if r["jax_compile_s"] is None else f"{r['jax_compile_s']:.2f}",
                f"{r['c_build_s']:.2f} ({r['c_build_cpu_s']:.2f})",
            ]
        )
    return head, body


def run(spec: str, batches: list[int], backends: list[str], steps: int, repeats: int, markdown: str | None = None,
        devices: int = 1, threads: int | None = None) -> list[dict]:  # fmt: skip
    """Measure and print the table (and write it as Markdown)."""
    from rich.console import Console
    from rich.table import Table

    unknown = set(backends) - {"c", "jax"}
    if unknown or "c" not in backends:
        raise SpecError(f"--backend takes c or c,jax here, got {','.join(backends)!r}")
    if steps < 1 or repeats < 1:
        raise SpecError("--steps and --repeats must be at least 1")
    console = Console(width=160)
    with console.status(f"benchmarking {spec} (C against JAX) ..."):
        env, rows = measure(spec, batches, backends, steps, repeats, devices, threads)
    head, body = table_rows(rows)
    table = Table(title=f"{env.id}: random legal actions, auto-reset, median of {repeats}, alternated")
    for h in head:
        table.add_column(h, justify="right")
    for row in body:
        table.add_row(*row)
    console.print(table)
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        Path(markdown).write_text("\n".join(lines) + "\n")
    return rows
