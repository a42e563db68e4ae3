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
from .progress import task
from .results import Column, number, print_table, rate, throughput_plot

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
    with task(f"bench {env.id} (C against JAX)", total=len(batches), unit="batch sizes") as bar:
        for batch in batches:
            bar.update(note=f"batch {batch}")
            runner = None
            if jax_env:
                runner = scan_runner(f"specc:{env.id}", jax_env.init, jax_env.step, batch, steps, devices)
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
            bar.advance()
    return env, rows


def columns(rows: list[dict]) -> list[Column]:
    """The table's columns (build and compile times only with --wide)."""
    threads = rows[0]["c_threads"] if rows else 1
    devices = rows[0]["jax_devices"] if rows else 1
    return [
        Column("batch", lambda r: str(r["batch"])),
        Column(f"jax steps/s ({devices} dev)", lambda r: rate(r["jax_steps_per_s"])),
        Column("c 1 core", lambda r: rate(r["c_1core_steps_per_s"])),
        Column(f"c {threads} cores", lambda r: rate(r["c_all_steps_per_s"])),
        Column("c/jax per core", lambda r: number(r["c_vs_jax_per_core"], ".1f", "x")),
        Column("jax compile s", lambda r: number(r["jax_compile_s"]), wide_only=True),
        Column("c build s (cpu s)", lambda r: f"{r['c_build_s']:.2f} ({r['c_build_cpu_s']:.2f})", wide_only=True),
    ]


def run(spec: str, batches: list[int], backends: list[str], steps: int, repeats: int, markdown: str | None = None,
        devices: int = 1, threads: int | None = None, wide: bool = False, plot: str | None = None,
        report: str | None = None) -> list[dict]:  # fmt: skip
    """Measure and print the table (100 columns unless `wide`); write the Markdown, the
    plot and the JSON report where asked."""
    from .bench import write_report

    unknown = set(backends) - {"c", "jax"}
    if unknown or "c" not in backends:
        raise SpecError(f"--backend takes c or c,jax here, got {','.join(backends)!r}")
    if steps < 1 or repeats < 1:
        raise SpecError("--steps and --repeats must be at least 1")
    env, rows = measure(spec, batches, backends, steps, repeats, devices, threads)
    title = f"{env.id}: random legal actions, auto-reset, median of {repeats}, alternated"
    print_table(title, columns(rows), rows, wide=wide, markdown=markdown)
    if plot:
        threads = rows[0]["c_threads"]
        series = {f"specc-jax ({devices} device{'s' if devices > 1 else ''})": "jax_steps_per_s",
                  "specc-c (1 core)": "c_1core_steps_per_s",
                  f"specc-c ({threads} cores)": "c_all_steps_per_s"}  # fmt: skip
        out = throughput_plot(rows, series, f"{env.id}: random-action steps/s, C and JAX", plot)
        print(f"plot written to {out}")
    if report:
        out = write_report(report, spec, env.id, rows, steps=steps, repeats=repeats, devices=devices)
        print(f"report written to {out}")
    return rows
