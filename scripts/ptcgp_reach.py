"""Which of the real cards' effects random games reach (issue 10: every effect, ability and
Trainer reached in random games between the real decks, or listed with the reason).

    python scripts/ptcgp_reach.py [--decks real|all] [--episodes 10000] [--batch 1024] [--seed 0] [--out FILE]

Plays episodes of specs/ptcgp.yaml on the C backend, each between two decks drawn at init
(`--decks real`: among the 14 real decks, the spec's default; `all`: also among the coverage
decks, which hold every other printing: the variant `--set DRAWN_DECKS=NUM_DECKS`), both
players choosing uniformly among legal actions, and
records what each chosen action runs, read from the state before the step:
- `attack(k, src)`: attack k of the Active and, for a copy (src < 8), the copied attack;
- `play_trainer(h)`: the Trainer in hand slot h; `discard_fossil(slot)`: that Fossil's rule;
- `use_ability(slot)`: the ability of the Pokémon in that slot;
- a passive or on-damaged ability counts when its Pokémon is in play, on either side, at a
  step that chooses an attack (it is where such abilities apply).
Then every effect of data/ptcgp/effects.csv is listed as reached (with how often) or not,
with the reason: its card is in none of the real decks, or random play did not choose it.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "ptcgp.yaml"
DATA = ROOT / "data" / "ptcgp"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


SOURCES = ("attack", "trainer", "ability")


def play(episodes: int, batch: int, seed: int, decks: str = "real") -> tuple[np.ndarray, int, int]:
    """Random legal play on the C backend. Returns how often each effect ran, an array
    [card row, source (SOURCES), index (attack number; 1 for the others)], the steps and the
    episodes finished."""
    import specc
    from specc.loader import load

    overrides = {"DRAWN_DECKS": "NUM_DECKS"} if decks == "all" else None
    env = specc.make(SPEC, backend="c", overrides=overrides)
    m = env.module
    kind_of = np.array([k for k, _ in m.ACTIONS])
    first = np.array([p[0] if p else 0 for _, p in m.ACTIONS])  # the action's first parameter
    second = np.array([p[1] if len(p) > 1 else 0 for _, p in m.ACTIONS])
    ids = {k: m.ACTION_KINDS.index(k) for k in m.ACTION_KINDS}
    when = load(SPEC)[0].enums["AbWhen"]
    ab_when = np.asarray(m.reference.CARDS__ab_when)  # the tables: the reference module beside native.c
    passive = np.isin(ab_when, [when.index("passive"), when.index("on_damaged")])
    counts = np.zeros((len(ab_when), len(SOURCES), 3), np.int64)
    rng = np.random.default_rng(seed)
    keys = lambda n: rng.integers(0, 2**32, size=(n, 2), dtype=np.uint32)  # noqa: E731
    states = m.init_batch(keys(batch), threads=1)
    finished, steps = 0, 0
    while finished < episodes:
        mask = states["legal_action_mask"]
        live = mask.any(axis=1)
        action = np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1)
        i = np.flatnonzero(live)
        a, p = action[i], states["current_player"][i].astype(np.int64)
        card, hand, k = states["card"][i], states["hand"][i], kind_of[a]
        def at(zone: np.ndarray, chosen: np.ndarray, side: np.ndarray, slot: np.ndarray) -> np.ndarray:
            """zone[env, side, slot] of the chosen rows only (slot means something else elsewhere)."""
            r = np.flatnonzero(chosen)
            return zone[r, side[r], slot[r]]

        att = k == ids["attack"]  # the Active's attack, and a copied one
        np.add.at(counts, (at(card, att, p, 0 * a), 0, first[a][att] + 1), 1)
        copy = att & (second[a] < 8)
        np.add.at(counts, (at(card, copy, 1 - p, second[a] // 2), 0, second[a][copy] % 2 + 1), 1)
        held = card[att].reshape(-1)  # passive abilities of everything in play at an attack
        held = held[held >= 0]
        np.add.at(counts, (held[passive[held]], 2, 1), 1)
        np.add.at(counts, (at(hand, k == ids["play_trainer"], p, first[a]), 1, 1), 1)
        # a Fossil's own rule (discarding it); played as a Basic it has no effect of its own
        np.add.at(counts, (at(card, k == ids["discard_fossil"], p, first[a]), 1, 1), 1)
        np.add.at(counts, (at(card, k == ids["use_ability"], p, first[a]), 2, 1), 1)
        m.step_batch(states, np.where(live, action, 0), keys(batch), threads=1)
        steps += len(i)
        done = np.flatnonzero(states["terminated"] | states["truncated"] | ~live)
        finished += len(done)
        if len(done):
            states[done] = m.init_batch(keys(len(done)), threads=1)
    return counts, steps, finished


def _stranded(cards: list[dict[str, str]], deck_cards: list[tuple[int, int]]) -> set[int]:
    """The card rows that no deck can bring into play: every deck holding one lacks a card of
    the name it evolves from (e.g. a Stage 2 without its Stage 1), directly or further down."""
    names = [r["name_id"] for r in cards]
    held: dict[int, set[str]] = {}
    for d, c in deck_cards:
        held.setdefault(d, set()).add(names[c])
    by_name = {r["name_id"]: r for r in cards}

    def playable(c: int, deck: set[str]) -> bool:
        parent = cards[c]["evolves_from"]
        while parent not in ("-1", ""):
            if parent not in deck:
                return False
            parent = by_name[parent]["evolves_from"]
        return True

    holders: dict[int, list[int]] = {}
    for d, c in deck_cards:
        holders.setdefault(c, []).append(d)
    return {c for c, ds in holders.items() if not any(playable(c, held[d]) for d in ds)}


def report(counts: np.ndarray, steps: int, episodes: int, seconds: float, decks: str = "real") -> str:
    """The effects table: reached (times) or the reason it was not."""
    cards = _rows("spec_cards.csv")
    row_of = {r["id"]: i for i, r in enumerate(cards)}
    real = sum(1 for r in _rows("decks.csv"))  # the real decks: the first rows of spec_decks.csv
    deck_cards = [(int(r["deck"]), int(r["card"])) for r in _rows("spec_deck_cards.csv")]
    in_decks = {c for d, c in deck_cards if d < real}
    kind = {r["id"]: r["kind"] for r in cards}
    stranded = _stranded(cards, [(d, c) for d, c in deck_cards if decks == "all" or d < real])
    lines, reached, missed = [], 0, Counter()
    seen = set()
    for e in _rows("effects.csv"):
        key = (e["id"], e["source"], e["index"])
        if key in seen:
            continue
        seen.add(key)
        row = row_of[e["id"]]
        source = {"attack": "attack", "ability": "ability"}.get(e["source"], "trainer")
        n = int(counts[row, SOURCES.index(source), int(e["index"]) if source == "attack" else 1])
        if n:
            reached += 1
            why = f"reached {n:,} times"
        elif row in stranded:
            why = "not reached: never in play (no deck that holds it holds the card it evolves from)"
            missed["never in play"] += 1
        elif decks == "real" and row not in in_decks:
            why = "not reached: the card is in none of the 14 real decks"
            missed["in no real deck"] += 1
        else:
            why = "not reached: in a deck, never chosen in these games"
            missed["in a deck drawn, not chosen"] += 1
        label = e["effect"] if e["source"] in ("attack", "ability") else kind[e["id"]]
        lines.append(f"| {e['id']} | {e['name']} | {e['source']} {label} | {why} |")
    head = [
        f"# ptcgp: effects reached in {episodes:,} random games ({steps:,} steps, {seconds:.0f} s)",
        "",
        f"`python scripts/ptcgp_reach.py --decks {decks}` (both players uniformly random among legal",
        "actions; each game between two decks drawn at init: "
        + ("the 14 real decks)." if decks == "real" else "the real decks and the coverage decks)."),
        "A passive or on-damaged ability counts when its Pokémon is in play at a step that chooses an attack.",
        "",
        f"Effects: {len(seen)}; reached {reached}; not reached: "
        + (", ".join(f"{n} {k}" for k, n in missed.items()) or "none"),
        "",
        "| card | name | effect | in random games |",
        "|---|---|---|---|",
    ]
    return "\n".join(head + lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--decks", choices=["real", "all"], default="real")
    ap.add_argument("--episodes", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="default reports/ptcgp_reach_DECKS.md")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    counts, steps, episodes = play(args.episodes, args.batch, args.seed, args.decks)
    text = report(counts, steps, episodes, time.perf_counter() - start, args.decks)
    out = Path(args.out or ROOT / "reports" / f"ptcgp_reach_{args.decks}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print("\n".join(text.splitlines()[:7]))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
