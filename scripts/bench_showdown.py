"""Gen 1 random battles: specc's JAX and C backends against Pokémon Showdown (issue 13's speed bar).

    python scripts/bench_showdown.py [--batch 4096] [--steps 200] [--repeats 3] [--battles 300]

Both sides play uniformly random legal choices with auto-reset, and the unit both count is the
battle turn (Showdown's `battle.turn` at the end of each battle; the spec's `turn` field):
- Showdown: random battles inside one node process (the bridge's `bench`, no round trips),
  random-battle teams from Showdown's own generator: turns/s.
- specc: `specc bench`'s harness (specc.bench_native.measure: JAX at `--batch` on one device,
  one core, and C on one core, alternated) in environment steps/s (one step is one player's
  choice), turned into turns/s by the steps per turn of the spec's own random battles (played
  here on the C backend, the same policy).
Run it on a quiet machine; the figures of a loaded one say little.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

SPEC = "specs/gen1.yaml"


def steps_per_turn(battles: int, seed: int = 0) -> tuple[float, int, int]:
    """Environment steps per battle turn over `battles` random battles of the spec (C backend,
    random legal choices): (steps per turn, steps, turns)."""
    import specc

    env = specc.make(SPEC, backend="c")
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**32, size=(battles, 2), dtype=np.uint32)
    states = env.init_batch(keys, threads=1)
    steps = np.zeros(battles, np.int64)
    done = np.zeros(battles, bool)
    while not done.all():
        masks = states["legal_action_mask"]
        noise = rng.random(masks.shape)
        actions = np.argmax(np.where(masks, noise, -1.0), axis=1).astype(np.int32)
        step_keys = rng.integers(0, 2**32, size=(battles, 2), dtype=np.uint32)
        live = ~done
        env.step_batch(states, actions, step_keys, threads=1)  # ended ones stay ended (no legal action)
        steps += live
        done |= states["terminated"] | states["truncated"]
    turns = int(states["turn"].sum())
    return int(steps.sum()) / max(turns, 1), int(steps.sum()), turns


def showdown_turns_per_s(battles: int, repeats: int) -> tuple[float, dict]:
    """Battle turns/s of random battles inside one node process (median of `repeats`)."""
    from specc.verify.showdown import ShowdownBridge

    bridge = ShowdownBridge()
    try:
        bridge.bench_in_node(5, seed=99)  # warm up node's JIT
        runs = [bridge.bench_in_node(battles, seed=1 + r) for r in range(repeats)]
    finally:
        bridge.close()
    rates = [r["battle_turns"] / r["seconds"] for r in runs]
    return statistics.median(rates), runs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=200, help="steps per timed JAX scan")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--battles", type=int, default=300, help="Showdown battles per timed run")
    parser.add_argument("--turn-battles", type=int, default=256, help="spec battles counting steps per turn")
    args = parser.parse_args()

    from specc.bench_native import measure

    start = time.perf_counter()
    per_turn, steps, turns = steps_per_turn(args.turn_battles)
    print(f"specc: {steps} steps in {turns} turns of {args.turn_battles} random battles: {per_turn:.3f} steps/turn")
    sd_rate, sd_run = showdown_turns_per_s(args.battles, args.repeats)
    print(f"showdown: {sd_run['battles']} battles, {sd_run['battle_turns']} turns, {sd_run['turns']} choice "
          f"rounds in {sd_run['seconds']:.2f} s (first run); median {sd_rate:,.0f} turns/s")  # fmt: skip
    _, rows = measure(SPEC, [args.batch], ["jax", "c"], args.steps, args.repeats, devices=1, threads=1)
    row = rows[0]
    print(f"\n| gen1, batch {args.batch}, one core | steps/s | turns/s | x Showdown |")
    print("|---|---:|---:|---:|")
    print(f"| Showdown (one node process) | - | {sd_rate:,.0f} | 1.0x |")
    for name, key in (("specc JAX", "jax_steps_per_s"), ("specc C", "c_1core_steps_per_s")):
        rate = row[key]
        print(f"| {name} | {rate:,.0f} | {rate / per_turn:,.0f} | {rate / per_turn / sd_rate:,.0f}x |")
    print(f"\nJAX compile {row['jax_compile_s']:.1f} s; C build {row['c_build_s']:.1f} s; "
          f"total {time.perf_counter() - start:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
