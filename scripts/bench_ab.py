"""A/B timing of two generated env.py files of one spec (and its peer), alternated in one process.

    python scripts/bench_ab.py tic_tac_toe 11ee73a [--peer pgx:tic_tac_toe] [--batch 1024] [--repeats 9]

The old env.py is `git show REV:generated/NAME/env.py`; the new one is the working tree's.
specc bench's harness (specc/bench.py's `lax.scan` loop: random legal actions, auto-reset,
one core), each variant compiled once, then the three alternated every repeat so a load
change hits them alike. Prints the medians of steps/s and the ratios new/old and each/peer:
issue 9 asks that no row of BENCHMARKS.md be more than 5% slower than before it.

--one-core runs XLA on one thread and times CPU seconds (process time) instead of wall
seconds: steps per CPU-second, which a loaded machine distorts less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if "--one-core" in sys.argv:  # before jax is imported: XLA reads its flags once
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                               " intra_op_parallelism_threads=1").strip()  # fmt: skip

import jax  # noqa: E402

from specc.api import _import  # noqa: E402
from specc.bench import peer_runner, scan_runner, time_runner  # noqa: E402


def cpu_seconds(runner, key) -> float:
    """The process's CPU seconds for one run of `runner` (XLA on one thread: its time)."""
    start = time.process_time()
    jax.block_until_ready(runner.run(key))
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", help="a shipped spec's name, e.g. tic_tac_toe")
    ap.add_argument("rev", help="the git revision whose generated env.py is the old one")
    ap.add_argument("--peer", help="also time a peer, e.g. pgx:tic_tac_toe or gymnax:CartPole-v1")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--one-core", action="store_true", help="XLA on one thread, steps per CPU-second")
    args = ap.parse_args()

    old_text = subprocess.run(["git", "show", f"{args.rev}:generated/{args.name}/env.py"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        old_path = Path(tmp) / "env_old.py"
        old_path.write_text(old_text)
        envs = {"old": _import(old_path, "env_old"), "new": _import(Path(f"generated/{args.name}/env.py"), "env_new")}
        runners = {k: scan_runner(f"{k}:{args.name}", m.init, m.step, args.batch, args.steps) for k, m in envs.items()}
        if args.peer:
            runners["peer"] = peer_runner(args.peer, args.batch, args.steps)
        for r in runners.values():  # compile and warm up
            time_runner(r, jax.random.PRNGKey(0))
        rates: dict[str, list[float]] = {k: [] for k in runners}
        timer = cpu_seconds if args.one_core else time_runner
        for i in range(args.repeats):
            for k, r in runners.items():
                rates[k].append(args.batch * args.steps / timer(r, jax.random.PRNGKey(i + 1)))
    med = {k: statistics.median(v) for k, v in rates.items()}
    shown = ", ".join(f"{k} {v / 1e6:.2f}M" if v >= 1e6 else f"{k} {v / 1e3:.1f}K" for k, v in med.items())
    unit = "steps per CPU-second, one core" if args.one_core else "steps/s"
    line = f"{args.name} batch {args.batch}, {unit}, medians of {args.repeats}: {shown}"
    line += f"; new/old {med['new'] / med['old']:.3f}"
    if "peer" in med:
        line += f"; old/peer {med['old'] / med['peer']:.2f}x, new/peer {med['new'] / med['peer']:.2f}x"
    print(line)


if __name__ == "__main__":
    main()
