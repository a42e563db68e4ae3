"""How the real-card spec's step grows with the card pool: A1 alone against all three sets.

    python scripts/effect_growth.py [--source ../shared/data/ptcgp] [--batch 4096] [--steps 200]

For each pool it runs the data step (`specc cards`'s build) on the shared card database, keeps
the pool's cards and the decks that can be built from them, writes the tables that
specs/ptcgp.yaml loads into a temporary folder, compiles a temporary copy of the spec that
points at them (nothing committed is touched), and reports: distinct cards, effects (distinct
encodings: an effect's list of mechanic steps) and mechanics, equations in the jaxpr of `step`,
the seconds XLA takes to compile `step` (jit(step).lower().compile(), one game) and the
random-action steps/s of specc bench's harness at --batch on one device (XLA:CPU: one core).

A pool keeps every card its decks need (the 14 real decks mix A1, A1a and promo cards, so no
deck is A1 alone), and every Pokémon those evolve from; the report says how many came in so.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from scrapers.ptcgp.build import build
from scrapers.ptcgp.spec_table import spec_tables

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "ptcgp.yaml"
POOLS = {"decks only": (), "A1": ("A1",), "A1+A1a+P-A": ("A1", "A1a", "P-A")}


def pool_tables(built, sets: tuple[str, ...]) -> tuple[dict[str, list[list[str]]], dict[str, int]]:
    """The spec's tables for the cards of `sets`, plus the cards the decks and evolutions need,
    and the counts to report."""
    by_id = {c.id: c for c in built.cards}
    by_name: dict[str, list] = {}
    for c in built.cards:
        by_name.setdefault(c.name, []).append(c)
    keep = {c.id for c in built.cards if c.set in sets}
    extra = {i for d in built.decks for i in d.cards} - keep
    keep |= extra
    todo = list(keep)
    while todo:  # every Pokémon a kept card evolves from, so that evolves_from names a row
        c = by_id[todo.pop()]
        for pre in by_name.get(c.evolves_from, []) if c.evolves_from else []:
            if pre.id not in keep:
                keep.add(pre.id)
                extra.add(pre.id)
                todo.append(pre.id)
    cards = [c for c in built.cards if c.id in keep]  # the database's order, as `specc cards` writes
    effects = [r for r in built.effects if r[0] in keep]
    decks = [d for d in built.decks if set(d.cards) <= keep]
    steps: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for r in effects:  # id, name, source, index, effect, when, step, mechanic, params, ...
        steps.setdefault((r[0], r[2], r[3]), []).append((r[7], r[8]))
    counts = {
        "cards": len(cards),
        "from other sets": len(extra),
        "decks": len(decks),
        "effects": len({tuple(s) for s in steps.values()}),
        "mechanics": len({r[7] for r in effects}),
    }
    return spec_tables(cards, effects, decks), counts


def write_spec(tables: dict[str, list[list[str]]], folder: Path) -> Path:
    """A copy of specs/ptcgp.yaml in folder/specs whose tables are folder/data/ptcgp's."""
    data = folder / "data" / "ptcgp"
    data.mkdir(parents=True)
    for name, rows in tables.items():
        with open(data / name, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    specs = folder / "specs"
    specs.mkdir()
    for companion in SPEC.parent.glob("ptcgp.*"):  # the spec and any cached kernels next to it
        shutil.copy(companion, specs / companion.name)
    return specs / SPEC.name


def equations(jaxpr) -> int:
    """Equations of a jaxpr and of every jaxpr nested in its equations' params."""
    n = 0
    for eqn in jaxpr.eqns:
        n += 1
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", None)
                if inner is not None:
                    n += equations(getattr(inner, "jaxpr", inner))
    return n


def measure(spec: Path, out: Path, batch: int, steps: int, repeats: int) -> dict[str, float]:
    """Jaxpr equations, compile seconds of step, and steps/s at `batch` of one compiled spec."""
    import specc
    from specc.bench import scan_runner, time_runner

    env = specc.make(spec, out_dir=out)
    key = jax.random.PRNGKey(0)
    state = jax.jit(env.init)(key)  # jitted: run eagerly, init's thousands of small ops take minutes
    action = jnp.int32(0)
    eqns = equations(jax.make_jaxpr(env.step)(state, action, key).jaxpr)
    start = time.perf_counter()
    jax.jit(env.step).lower(state, action, key).compile()
    compile_s = time.perf_counter() - start
    module = env.module
    runner = scan_runner("ptcgp", module.init, module.step, batch, steps)
    rates = [batch * steps / time_runner(runner, jax.random.PRNGKey(i + 1)) for i in range(repeats)]
    return {"equations": eqns, "compile_s": compile_s, "steps_per_s": sorted(rates)[len(rates) // 2]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "ptcgp"),
                    help="the card database folder `specc cards` reads (default ../shared/data/ptcgp)")  # fmt: skip
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=200, help="steps per timed rollout")
    ap.add_argument("--repeats", type=int, default=3, help="timed rollouts per pool (the median is shown)")
    args = ap.parse_args()
    built = build(Path(args.source))
    print(f"{'pool':<12} {'cards':>5} {'(other)':>7} {'decks':>5} {'effects':>7} {'mechanics':>9} "
          f"{'equations':>9} {'compile s':>9} {'steps/s':>10}")  # fmt: skip
    for name, sets in POOLS.items():
        tables, counts = pool_tables(built, sets)
        with tempfile.TemporaryDirectory() as tmp:
            spec = write_spec(tables, Path(tmp))
            got = measure(spec, Path(tmp) / "generated" / "ptcgp", args.batch, args.steps, args.repeats)
        print(f"{name:<12} {counts['cards']:>5} {counts['from other sets']:>7} {counts['decks']:>5} "
              f"{counts['effects']:>7} {counts['mechanics']:>9} {got['equations']:>9} {got['compile_s']:>9.1f} "
              f"{got['steps_per_s']:>10.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
