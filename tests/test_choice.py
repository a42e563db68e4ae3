"""Choice points, `pick = choice(player, options)`, on every backend (JAX jitted and eager,
the reference, C), lock-stepped by pair.play: the meaning of docs/language.md's Choices."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from pair import fault, pair, play

CHOOSY = """\
specc: 1
name: choosy
players: 2
state:
  hp: {type: "int32[2,3]", init: 3}
  active: {type: "int32[2]", init: 0}
  last: {type: int32, init: 0}
  discarded: {type: int32, init: -1}
  extra: {type: int32, init: -1}
  second: {type: int32, init: -1}
procedures:
  discard_one:
    params: [p]
    body: |
      d = choice(p, [true, true, false, true])
      discarded = d
      extra = roll(1000)
actions:
  attack:
    params: {dmg: 1..4}
    effect: |
      foe = 1 - current_player
      bonus = 0
      repeat up to 4 while flip():
          bonus += 1
      hp[foe, active[foe]] -= dmg + bonus
      if hp[foe, active[foe]] <= 0:
          hp[foe, active[foe]] = 0
          pick = choice(foe, hp[foe] > 0)
          if pick < 0:
              win(current_player)
          else:
              active[foe] = pick
      last = dmg * 10 + bonus
      current_player = foe
  tidy:
    effect: |
      discard_one(1 - current_player)
      reward(1.0)
      if discarded == 3:
          second = choice(current_player, [false, true])
      elif discarded == 0:
          second = 7
      current_player = 1 - current_player
observe: {type: "int32[4]", value: "[hp[player, 0], hp[player, 1], hp[player, 2], active[player]]"}
"""
ATTACK3, TIDY, PICK = 2, 3, 4  # flat actions: attack(1..3), tidy, then choice(0..3)


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return pair(tmp_path_factory.mktemp("choice"))


def _step_word(seed: int, t: int, site: int, *path: int) -> int:
    """The random word of chance site `site` at step t (0-based), as docs/language.md says."""
    key = jax.random.PRNGKey(seed)
    key = jax.random.fold_in(jax.random.fold_in(key, t + 1), np.uint32(0x80000000 | (t + 1)))
    key = jax.random.fold_in(key, site)
    for i in path:
        key = jax.random.fold_in(key, i)
    return int(jax.random.bits(key, (), np.uint32))


def _step_words(seed: int, t: int, n: int) -> list[int]:
    """The words a step function draws for its n chance sites outside loops, bits(key, (n,))."""
    key = jax.random.PRNGKey(seed)
    key = jax.random.fold_in(jax.random.fold_in(key, t + 1), np.uint32(0x80000000 | (t + 1)))
    return [int(w) for w in jax.random.bits(key, (n,), np.uint32)]


def _bonus(seed: int, t: int) -> int:
    n = 0
    while n < 4 and _step_word(seed, t, 1, n) < 0x80000000:  # the repeat's flip: site 1
        n += 1
    return n


def test_labels_and_hidden_fields(build) -> None:
    jax_env, py_env = build(CHOOSY)
    for env in (jax_env, py_env):
        assert env.num_actions == 8 and env.action_kinds == ("attack", "tidy", "choice")
        assert env.module.ACTION_LABELS[PICK:] == ["choice(0)", "choice(1)", "choice(2)", "choice(3)"]
        hidden = {n: v for n, v in env.module.VISIBILITY.items() if n.startswith("choice__")}
        assert {"choice__pending", "choice__player", "choice__mask", "choice__foe", "choice__dmg"} <= set(hidden)
        assert set(hidden.values()) == {"none"}  # saved locals may hold secrets: nobody sees them
    s = play(jax_env, py_env, [])[0]
    assert int(s["choice__pending"]) == 0 and list(s["legal_action_mask"]) == [True] * 4 + [False] * 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_knock_out_asks_the_foe_for_a_new_active(build, seed: int) -> None:
    jax_env, py_env = build(CHOOSY)
    s = play(jax_env, py_env, [ATTACK3, PICK + 2], seed=seed)
    stopped, picked = s[1], s[2]
    # the effect stopped at the choice: the foe (player 1) picks among its standing creatures
    assert int(stopped["current_player"]) == 1
    assert list(stopped["legal_action_mask"]) == [False] * 4 + [False, True, True, False]
    assert stopped["hp"].tolist() == [[3, 3, 3], [0, 3, 3]]
    assert int(stopped["last"]) == 0  # what follows the choice has not run
    # the pick: active = 2, and the rest of the effect ran with dmg and bonus restored and
    # current_player back to the attacker (who then passes the turn to the foe)
    assert picked["active"].tolist() == [0, 2]
    assert int(picked["last"]) == 30 + _bonus(seed, 0)
    assert int(picked["current_player"]) == 1 and int(picked["choice__pending"]) == 0
    assert list(picked["legal_action_mask"]) == [True] * 4 + [False] * 4


def test_no_option_means_pick_minus_one_at_once(build) -> None:
    """A choice with no true option does not stop: the pick is -1 in the same step."""
    text = CHOOSY.replace('hp: {type: "int32[2,3]", init: 3}', 'hp: {type: "int32[2,3]", init: [[3, 3, 3], [3, 0, 0]]}')
    jax_env, py_env = build(text)
    s = play(jax_env, py_env, [ATTACK3])[1]
    assert bool(s["terminated"]) and s["rewards"].tolist() == [1.0, -1.0]
    assert int(s["choice__pending"]) == 0 and int(s["last"]) == 30 + _bonus(0, 0)


def test_a_choice_in_a_procedure_and_reward_pays_the_first_mover(build) -> None:
    jax_env, py_env = build(CHOOSY)
    s = play(jax_env, py_env, [TIDY, PICK + 1], seed=5)
    assert int(s[1]["current_player"]) == 1  # discard_one(1 - current_player): player 1 chooses
    assert list(s[1]["legal_action_mask"]) == [False] * 4 + [True, True, False, True]
    after = s[2]
    assert int(after["discarded"]) == 1
    assert after["rewards"].tolist() == [1.0, 0.0]  # reward(x) pays player 0, who began the action
    # chance after the choice draws from the pick's step: the choice action's only site outside loops
    assert int(after["extra"]) == _step_words(5, 1, 1)[0] % 1000
    assert int(after["current_player"]) == 1 and int(after["second"]) == -1


def test_two_choices_in_a_row_and_a_choice_in_a_branch(build) -> None:
    jax_env, py_env = build(CHOOSY)
    s = play(jax_env, py_env, [TIDY, PICK + 3, PICK + 1])
    assert int(s[2]["discarded"]) == 3
    assert int(s[2]["current_player"]) == 0 and int(s[2]["choice__pending"]) == 3  # choice point 3 (of 3): player 0
    assert list(s[2]["legal_action_mask"]) == [False] * 5 + [True, False, False]
    assert int(s[3]["second"]) == 1 and int(s[3]["current_player"]) == 1
    assert s[3]["rewards"].tolist() == [0.0, 0.0]  # reward(1.0) was paid with the first pick
    s = play(jax_env, py_env, [TIDY, PICK + 0])  # the elif: no second choice
    assert int(s[2]["second"]) == 7 and int(s[2]["current_player"]) == 1


def test_only_the_pick_is_legal_while_pending(build) -> None:
    jax_env, py_env = build(CHOOSY)
    s = play(jax_env, py_env, [TIDY, 0])  # an attack while player 1 must choose: illegal
    assert bool(s[2]["terminated"]) and s[2]["rewards"].tolist() == [0.0, -1.0]  # the mover (1) loses
    s = play(jax_env, py_env, [PICK])  # a pick with nothing pending: illegal
    assert bool(s[1]["terminated"])


def test_saved_locals_keep_their_values(build) -> None:
    jax_env, py_env = build(CHOOSY)
    s = play(jax_env, py_env, [ATTACK3])[1]
    assert int(s["choice__foe"]) == 1 and int(s["choice__dmg"]) == 3 and int(s["choice__player"]) == 0
    assert int(s["choice__bonus"]) == _bonus(0, 0)
    # the observation is the spec's own: the chooser sees its creatures, nothing saved
    assert np.asarray(py_env.observe(py_env.init(np.asarray(jax.random.PRNGKey(0))), 1)).tolist() == [3, 3, 3, 0]


DANCER = """\
specc: 1
name: dancer
players: 2
state:
  energy: {type: "int32[2,3]", init: 0}
  tag: {type: "int32[3]", init: -1}
  trail: {type: "int32[4]", init: -9}
  first: {type: int32, init: -1}
  done: {type: int32, init: 0}
  spent: {type: int32, init: 0}
actions:
  dance:
    params: {n: 0..4}
    effect: |
      first = choice(1 - current_player, [true, true])
      for i in 0..3:
          if i < n:
              w = i * 10 + n + roll(5) * 100
              t = choice(current_player, energy[current_player] < 2)
              trail[i] = t
              if t >= 0:
                  energy[current_player, t] += 1
                  tag[t] = w
      done = done + 1
      current_player = 1 - current_player
  spend:
    effect: |
      more = 2
      repeat up to 3 while more > 0:
          x = choice(current_player, energy[current_player] > 0)
          more -= 1
          if x >= 0:
              energy[current_player, x] -= 1
              spent += 1
      trail[3] = more
      current_player = 1 - current_player
observe: {type: "int32[3]", value: "energy[player]"}
"""
DANCE, SPEND, CHOOSE = 0, 4, 5  # flat actions: dance(n = 0..3), spend, then choice(0..2)


def test_a_choice_in_every_iteration_of_a_loop(build) -> None:
    """A choice inside `for` (behind an `if`): each iteration stops at it, the pick resumes
    that iteration (its loop variable and its locals as they were) and the later iterations
    run as fresh ones, each with the chance draws of its own step."""
    jax_env, py_env = build(DANCER)
    s = play(jax_env, py_env, [DANCE + 2, CHOOSE + 1, CHOOSE + 2, CHOOSE + 0], seed=3)
    assert int(s[1]["current_player"]) == 1 and int(s[1]["choice__pending"]) == 1  # the first choice
    assert int(s[2]["first"]) == 1 and int(s[2]["choice__pending"]) == 2  # then iteration 0 stops
    assert int(s[2]["current_player"]) == 0 and int(s[2]["choice__i"]) == 0
    assert s[2]["trail"].tolist() == [-9, -9, -9, -9]  # what follows the choice has not run
    w0 = 0 * 10 + 2 + _step_word(3, 1, 1, 0) % 5 * 100  # drawn in the step that reached iteration 0
    assert s[3]["trail"].tolist() == [2, -9, -9, -9] and s[3]["tag"].tolist() == [-1, -1, w0]
    assert int(s[3]["choice__i"]) == 1 and int(s[3]["choice__pending"]) == 2  # iteration 1 stops
    w1 = 1 * 10 + 2 + _step_word(3, 2, 1, 1) % 5 * 100
    assert s[4]["trail"].tolist() == [2, 0, -9, -9] and s[4]["tag"].tolist() == [w1, -1, w0]
    assert s[4]["energy"].tolist() == [[1, 0, 1], [0, 0, 0]]
    assert int(s[4]["done"]) == 1 and int(s[4]["current_player"]) == 1 and int(s[4]["choice__pending"]) == 0


def test_a_loop_whose_choices_have_no_option_goes_on_at_once(build) -> None:
    """Iterations whose choice has no true option take -1 in the same step; n = 0 runs none."""
    jax_env, py_env = build(DANCER.replace('energy: {type: "int32[2,3]", init: 0}',
                                           'energy: {type: "int32[2,3]", init: 2}'))  # fmt: skip
    s = play(jax_env, py_env, [DANCE + 3, CHOOSE + 0])
    assert s[2]["trail"].tolist() == [-1, -1, -1, -9] and int(s[2]["done"]) == 1
    assert int(s[2]["choice__pending"]) == 0 and int(s[2]["current_player"]) == 1
    s = play(jax_env, py_env, [DANCE + 0, CHOOSE + 0])
    assert s[2]["trail"].tolist() == [-9, -9, -9, -9] and int(s[2]["done"]) == 1


def test_a_choice_inside_repeat(build) -> None:
    """`repeat up to 3 while more > 0` with a choice in it: stops twice, then its condition ends it."""
    jax_env, py_env = build(DANCER)
    setup = [DANCE + 2, CHOOSE + 0, CHOOSE + 1, CHOOSE + 1]  # player 0 gets energy [0, 2, 0]; player 1 moves
    s = play(jax_env, py_env, [*setup, SPEND])
    assert int(s[5]["choice__pending"]) == 0 and int(s[5]["trail"][3]) == 0  # player 1 has none: -1 twice
    assert int(s[5]["spent"]) == 0 and int(s[5]["current_player"]) == 0
    s = play(jax_env, py_env, [*setup, DANCE + 1, CHOOSE + 0, CHOOSE + 0, SPEND, CHOOSE + 1, CHOOSE + 1])
    assert int(s[8]["current_player"]) == 0 and list(s[8]["legal_action_mask"])[CHOOSE:] == [False, True, False]
    assert s[9]["energy"].tolist() == [[0, 1, 0], [1, 0, 0]] and int(s[9]["choice__pending"]) != 0
    assert s[10]["energy"].tolist() == [[0, 0, 0], [1, 0, 0]] and int(s[10]["spent"]) == 2
    assert int(s[10]["trail"][3]) == 0 and int(s[10]["current_player"]) == 1 and int(s[10]["choice__pending"]) == 0


BAD = """\
specc: 1
name: bad
players: 2
state:
  x: {{type: int32, init: 0}}
  z: {{type: "int32[2]", init: 0}}
{extra}actions:
  go:
    effect: |
      {body}
observe: {{type: "int32[1]", value: "[x]"}}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x = choice(0, @@[1, 2])", "the options of a choice must be a bool[K] array"),
        ("x = choice(@@true, [true])", "the player who chooses must be an integer"),
        ("@@z[0] = choice(0, [true])", "the pick of a choice goes to a plain name"),
        ("x = 1 + @@choice(0, [true])", "choice() stands alone on the right of an assignment"),
        ("@@choice(0, [true])", "gives a value; assign it"),
    ],
)
def test_bad_choices_are_clear_errors(tmp_path, body: str, message: str) -> None:
    assert message in fault(BAD.format(extra="", body=body), tmp_path)


def test_choice_in_init_and_in_guards_is_refused(tmp_path) -> None:
    text = BAD.format(extra="init: |\n  x = @@choice(0, [true])\n", body="pass")
    assert "only in an action's effect" in fault(text, tmp_path)
    text = BAD.format(extra="", body="pass").replace("  go:\n", "  go:\n    legal: '@@choice(0, [true])'\n")
    assert "choice() stands alone" in fault(text, tmp_path)


def test_an_action_named_choice_is_refused_where_choices_are_made(tmp_path) -> None:
    text = BAD.format(extra="", body="x = choice(0, [true])")
    text = text.replace("actions:\n", "actions:\n  @@choice:\n    effect: pass\n")
    assert "may not be named 'choice'" in fault(text, tmp_path)


def test_rule_coverage_counts_the_rest_of_an_effect_under_its_own_action() -> None:
    """The compiler's own ifs (options, pending guards, resume points) are no coverage points,
    the rest of an effect run after a pick counts for the action it belongs to, and the choice
    action, which runs other actions' effects, is none either."""
    import ast
    from pathlib import Path

    from specc.backends.python_backend import generate
    from specc.loader import load_program

    spec = Path(__file__).resolve().parent / "data" / "choice" / "skirmish.yaml"
    code = generate(load_program(spec), coverage=True)
    assigns = [n for n in ast.parse(code).body if isinstance(n, ast.Assign)]
    found = [n.value for n in assigns if getattr(n.targets[0], "id", "") == "COVERAGE_POINTS"]
    points = ast.literal_eval(found[0])
    assert points == [
        "action attach", "attach: if at line 22: true", "attach: if at line 22: false",
        "action strike", "strike: if at line 35: true", "strike: if at line 38: true",
        "strike: if at line 38: false", "strike: if at line 35: false",
    ]  # fmt: skip


def test_the_demo_spec_verifies(tmp_path) -> None:
    """tests/data/choice/skirmish.yaml (choice and repeat together): its scenarios (level 2) and
    lock-step rollouts (level 3) on every backend; `specc verify` levels 1-3 pass on it too."""
    from pathlib import Path

    from specc.cli import main

    spec = Path(__file__).resolve().parent / "data" / "choice" / "skirmish.yaml"
    args = ["--episodes", "20", "--report", str(tmp_path / "r.json"), "--generated", str(tmp_path / "gen")]
    assert main(["compile", str(spec), "--out", str(tmp_path / "gen")]) == 0
    assert main(["verify", str(spec), "--level", "2-3", *args]) == 0
