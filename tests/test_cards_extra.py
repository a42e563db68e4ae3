"""The flagship card game (specs/tcg.yaml) and the card-game helpers it leans on.

- the JAX `_shuffle` helper ranks cards instead of sorting them (a sort under vmap is
  slow on XLA:CPU); it must still give exactly the stable-argsort permutation that the
  Python reference computes, so both backends deal the same decks;
- specs/tcg.yaml checks, its scenarios pass on the Python reference, and random games
  keep its invariants (cards conserved, counters match zones, tables within the limits
  the effects implement);
- each player's deck is drawn at init among the sample decks, and the FIXED_DECKS constant
  pins them (a constant, so a scenario cannot set it: tested here on a copy of the spec).
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import specc
from specc.loader import load
from specc.verify.scenarios import check_scenario, expectations, play

ROOT = Path(__file__).resolve().parents[1]
CARDS = Path(__file__).parent / "data" / "cards" / "game.yaml"
TCG = ROOT / "specs" / "tcg.yaml"


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("cards_extra")
    return specc.make(CARDS, out_dir=out).module, specc.make(CARDS, backend="python", out_dir=out).module


def test_jax_shuffle_is_the_references_stable_argsort_permutation(cards) -> None:
    env, ref = cards
    zones = [
        np.array([0, 1, 2, 3, 4, 5], np.int8),
        np.array([5, 5, 1, -1, -1, -1], np.int8),  # repeated cards, empty slots at the end
        np.array([-1, -1, -1, -1, -1, -1], np.int8),
        np.arange(20, dtype=np.int8),
    ]
    shuffle = jax.jit(env._shuffle)
    for zone in zones:
        seen = set()
        for seed in range(40):
            key = jax.random.PRNGKey(seed)
            got = np.asarray(shuffle(jnp.asarray(zone), key))
            np.testing.assert_array_equal(got, ref._shuffle(zone, key))
            assert sorted(got.tolist()) == sorted(zone.tolist())  # a permutation
            assert (got[np.count_nonzero(zone >= 0) :] == -1).all()  # empties stay at the end
            seen.add(tuple(got.tolist()))
        if len(set(zone[zone >= 0].tolist())) > 1:
            assert len(seen) > 1  # it really shuffles


def test_jax_shuffle_under_vmap_matches_one_by_one(cards) -> None:
    env, _ = cards
    keys = jax.random.split(jax.random.PRNGKey(7), 16)
    zone = jnp.asarray(np.arange(10, dtype=np.int8))
    batched = jax.vmap(env._shuffle, in_axes=(None, 0))(zone, keys)
    for i, key in enumerate(keys):
        np.testing.assert_array_equal(np.asarray(batched[i]), np.asarray(env._shuffle(zone, key)))


@pytest.fixture(scope="module")
def tcg(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tcg")
    return specc.make(TCG, backend="python", out_dir=out).module


def test_tcg_scenarios_pass_on_the_reference(tcg) -> None:
    spec, source, program = load(TCG)
    assert len(spec.scenarios) >= 60
    failed = []
    for i, sc in enumerate(spec.scenarios):
        assert sc.rule and sc.rule.startswith("rules/tcg"), sc.name  # every scenario cites its rule
        state = play(tcg, "python", sc, check_scenario(program, source, i, sc))
        failed += [
            f"{sc.name}: {what}: {detail}" for what, ok, detail in expectations(program, sc, state, tcg) if not ok
        ]
    assert not failed, failed


def test_tcg_random_games_keep_the_invariants_and_end(tcg) -> None:
    rng = np.random.default_rng(0)
    for episode in range(4):
        key = jax.random.PRNGKey(episode)
        s = tcg.init(key)
        for t in range(400):
            assert tcg.invariants(s).all(), [x for x, ok in zip(tcg.INVARIANTS, tcg.invariants(s)) if not ok]
            if s.terminated:
                break
            s = tcg.step(s, int(rng.choice(np.flatnonzero(s.legal_action_mask))), jax.random.fold_in(key, t + 1))
        assert s.terminated  # the 30-turn limit ends every game
        assert s.turn <= 30


def test_tcg_deals_every_sample_deck_to_each_player(tcg) -> None:
    seen = [set(), set()]
    for episode in range(40):
        s = tcg.init(jax.random.PRNGKey(episode))
        for p in range(2):
            seen[p].add(int(s.deck_id[p]))
            dealt = sorted(int(c) for c in [*s.deck[p], *s.hand[p]] if c >= 0)
            assert dealt == sorted(tcg.DECKS[s.deck_id[p]].tolist())  # the drawn deck's 20 cards
    assert seen == [set(range(len(tcg.DECKS)))] * 2


def test_tcg_fixed_decks_pin_the_decks_on_both_backends(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "specs").mkdir(parents=True)
    (root / "rules").symlink_to(ROOT / "rules")  # the spec loads ../rules/tables/*.csv
    text = TCG.read_text(encoding="utf-8")
    assert text.count("FIXED_DECKS: [-1, -1]") == 1
    pinned = root / "specs" / "tcg.yaml"
    pinned.write_text(text.replace("FIXED_DECKS: [-1, -1]", "FIXED_DECKS: [3, 2]"), encoding="utf-8")
    out = tmp_path / "out"
    ref = specc.make(pinned, backend="python", out_dir=out).module
    env = specc.make(pinned, out_dir=out).module
    for episode in range(8):
        key = jax.random.PRNGKey(episode)
        s, j = ref.init(key), env.init(key)
        assert s.deck_id.tolist() == [3, 2]
        for p in range(2):
            dealt = sorted(int(c) for c in [*s.deck[p], *s.hand[p]] if c >= 0)
            assert dealt == sorted(ref.DECKS[3 - p].tolist())
        for name in ("deck_id", "deck", "hand", "energy_next", "first"):
            np.testing.assert_array_equal(np.asarray(getattr(j, name)), getattr(s, name), err_msg=name)
