"""specs/ptcgp.yaml: the real Pokémon TCG Pocket cards (A1, A1a, P-A) and decks as a spec (issue 10).

- the spec checks and its generated code is fresh;
- its scenarios (one per encoded mechanic, each citing a card) pass on the reference and on JAX,
  and the two agree on every field;
- random games step in lock-step on JAX and the reference, field by field, and keep the invariants;
- every valid deck of the pool (data/ptcgp/decks.csv) is dealt, card for card;
- the coverage count: how many effects and mechanics of effects.csv spec_cards.csv encodes, and
  that the spec reads every column the encoding writes.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import jax
import numpy as np
import pytest

import specc
from specc.loader import load
from specc.verify.scenarios import run_scenarios

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "ptcgp.yaml"
DATA = ROOT / "data" / "ptcgp"
sys.path.insert(0, str(ROOT))  # scrapers/ (the data step) is not an installed package

from scrapers.ptcgp.effects import parse_steps  # noqa: E402
from scrapers.ptcgp.pool import read_pool  # noqa: E402
from scrapers.ptcgp.spec_table import (  # noqa: E402
    ABILITY_COLUMNS,
    ATTACK_COLUMNS,
    TRAINER_COLUMNS,
    Groups,
    coverage,
    encode_attack,
)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def envs():
    """The committed generated/ptcgp (test_generated_code_is_fresh checks it is current)."""
    return specc.make(SPEC), specc.make(SPEC, backend="python")


def test_generated_code_is_fresh() -> None:
    from specc.cli import main

    assert main(["compile", "--check", str(SPEC)]) == 0


def test_scenarios_pass_on_python_and_jax(envs) -> None:
    jax_env, py_env = envs
    spec, source, program = load(SPEC)
    assert len(spec.scenarios) >= 60
    assert all(sc.rule for sc in spec.scenarios)
    result = run_scenarios(program, source, spec.scenarios, {"python": py_env.module, "jax": jax_env.module})
    assert result.failed == 0, result.failures
    assert result.checks >= 3 * len(spec.scenarios)


def test_random_games_lock_step_on_python_and_jax(envs) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import lockstep

    jax_env, py_env = envs
    report = lockstep.run(jax_env, py_env, games=4, horizon=120, seed=1)
    assert not report.mismatches, [str(m) for m in report.mismatches]
    assert report.transitions >= 300  # a few hundred live steps compared field by field


def test_random_games_keep_the_invariants_and_end(envs) -> None:
    ref = envs[1].module
    rng = np.random.default_rng(0)
    for episode in range(3):
        key = jax.random.PRNGKey(episode)
        s = ref.init(key)
        for t in range(600):
            assert ref.invariants(s).all(), [x for x, ok in zip(ref.INVARIANTS, ref.invariants(s)) if not ok]
            if s.terminated:
                break
            s = ref.step(s, int(rng.choice(np.flatnonzero(s.legal_action_mask))), jax.random.fold_in(key, t + 1))
        assert s.terminated and s.turn <= 30


def test_every_valid_deck_is_dealt(envs) -> None:
    ref = envs[1].module
    cards, decks = read_pool(DATA)
    row = {r["id"]: i for i, r in enumerate(_rows("spec_cards.csv"))}
    assert len(decks) == 14 and len(ref.DECK_INFO__types) == 14 + 66  # the coverage decks follow the real ones
    # init draws among the real decks only (DRAWN_DECKS): decks[d] below is one of them
    seen: set[tuple[int, int]] = set()
    for episode in range(200):
        s = ref.init(jax.random.PRNGKey(episode))
        for p in range(2):
            d = int(s.deck_id[p])
            dealt = sorted(int(c) for c in [*s.deck[p], *s.hand[p]] if c >= 0)
            assert dealt == sorted(row[i] for i in decks[d].cards), decks[d].name
            assert any(ref.CARDS__kind[c] == 0 and ref.CARDS__stage[c] == 0 for c in s.hand[p] if c >= 0)
            seen.add((p, d))
    assert seen == {(p, d) for p in range(2) for d in range(len(decks))}
    types = [(int(ref.DECK_INFO__type0[d]), int(ref.DECK_INFO__type1[d])) for d in range(len(decks))]
    assert types[0] == (4, -1) and types[13] == (2, 3)  # Mewtwo ex: psychic; Dragonite: water, lightning


def test_coverage_of_effects_and_mechanics() -> None:
    """How much of effects.csv the spec encodes; the numbers the report and docs/tcg.md give."""
    effects = [list(r.values()) for r in _rows("effects.csv")]
    cover = coverage(effects)
    assert sum(cover["effects"].values()) == 236
    assert cover["effects"] == Counter(whole=236, part=0, none=0)
    assert sum(cover["done"].values()) == 286 and len(effects) == 286
    assert len(cover["done"]) == 40  # of the 40 mechanics of mechanics.csv
    assert not cover["left"]  # Inferno Dance's split (a choice per heads) was the last


def test_the_spec_reads_every_encoded_column_and_each_mechanic_has_a_scenario() -> None:
    spec, _, _ = load(SPEC)
    assert set(spec.tables["ATTACKS"].columns) >= set(ATTACK_COLUMNS)
    cards = {f"t_{c}" for c in TRAINER_COLUMNS} | {f"ab_{c}" for c in ABILITY_COLUMNS}
    assert set(spec.tables["CARDS"].columns) >= cards
    text = SPEC.read_text(encoding="utf-8")
    for column in ATTACK_COLUMNS:
        assert f"ATTACKS.{column}[" in text, column
    for column in TRAINER_COLUMNS:
        assert f"CARDS.t_{column}[" in text, column
    for column in ABILITY_COLUMNS:
        assert f"CARDS.ab_{column}[" in text, column
    encoded = {
        step.mechanic
        for r in _rows("effects.csv")
        if r["source"] == "attack"
        for step in parse_steps(f"{r['mechanic']} {r['params']}")
        if not encode_attack([step], Groups())[1]
    }
    names = [sc.name for sc in spec.scenarios]
    trainers = set(
        "fossil search_deck retreat_cost damage_dealt shuffle_hand draw heal until_tails attach_energy switch"
        " return_to_hand move_energy damage_taken reveal_hand look_deck".split()
    )
    for mechanic in encoded | trainers:
        assert any(mechanic in n.lower() for n in names), mechanic
    abilities = {step.mechanic for r in _rows("effects.csv") if r["source"] == "ability" for step in
                 parse_steps(f"{r['mechanic']} {r['params']}")}  # fmt: skip
    assert len(abilities) == 13
    for mechanic in abilities:
        assert any(n.startswith("ability") and mechanic in n for n in names), mechanic
