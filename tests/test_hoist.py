"""The C backend's legal masks by nested loops over the parameters (specc.backends.hoist):
each part of a guard computed in the outermost loop that knows its value, the same mask as
the reference's and JAX's guard evaluated per flat action."""

from __future__ import annotations

import numpy as np
import pytest
from pair import pair, play

from specc.backends.hoist import depth, hoist_guard
from specc.loader import load_program

GUARDED = """\
specc: 1
name: guarded
players: 2
state:
  hp: {type: "int32[2,3]", init: [[3, 1, 0], [2, 2, 2]]}
  cost: {type: "int32[3]", init: [1, 2, 3]}
  energy: {type: "int32[2]", init: [2, 0]}
  phase: {type: int32, init: 0}
procedures:
  standing:
    params: [p, i]
    returns: bool
    body: |
      return hp[p, i] > 0
  payable:
    params: [p, k]
    returns: bool
    body: |
      spare = energy[p] - count(j in 0..3: hp[p, j] == 0)
      return spare >= cost[k] and standing(p, k)
actions:
  strike:
    params: {k: 0..3, t: 0..3}
    legal: >
      phase == 0 and energy[current_player] > 0 and payable(current_player, k)
      and standing(1 - current_player, t) and (t != k or sum(hp[current_player]) > 3)
    effect: |
      o = 1 - current_player
      hp[o, t] -= cost[k]
      energy[current_player] -= 1
      energy[o] += 1
      phase = (phase + 1) % 3
      current_player = o
  pass_turn:
    effect: |
      energy[current_player] += 1
      phase = (phase + 1) % 3
      current_player = 1 - current_player
observe: {type: "int32[8]", value: "concat(hp[player], hp[1 - player], energy)"}
"""


def test_each_part_of_a_guard_goes_to_the_loop_that_knows_it(tmp_path) -> None:
    spec = tmp_path / "guarded.yaml"
    spec.write_text(GUARDED)
    strike = next(a for a in load_program(spec).actions if a.name == "strike")
    params = [p.name for p in strike.params]
    guard = hoist_guard(strike.legal, params)
    depths = {p: i + 1 for i, p in enumerate(params)}
    assert guard.gates[0] is not None and depth(guard.gates[0], depths) == 0  # phase, energy: once
    assert guard.gates[1] is not None and depth(guard.gates[1], depths) == 1  # payable(k): once per k
    assert guard.rest is not None and depth(guard.rest, {**depths, **{n: 0 for lv in guard.lets for n, _ in lv}}) == 2
    assert any(lv for lv in guard.lets)  # the sum over the own Pokemon's hp is computed outside the t loop


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_c_mask_equals_the_reference_and_jax(tmp_path, seed: int) -> None:
    """Random legal play, every field (the legal mask too) equal on every backend at each step."""
    jax_env, py_env = pair(tmp_path)(GUARDED)
    rng = np.random.default_rng(seed)
    actions, s = [], py_env.init(np.asarray([0, seed], np.uint32))
    for _ in range(12):
        legal = np.flatnonzero(np.asarray(s.legal_action_mask))
        if not len(legal):
            break
        actions.append(int(rng.choice(legal)))
        s = py_env.step(s, actions[-1], np.asarray([0, seed], np.uint32))
    states = play(jax_env, py_env, actions, seed=seed)
    assert any(st["legal_action_mask"][:9].any() and not st["legal_action_mask"][:9].all() for st in states)


LINES = """\
specc: 1
name: lines
players: 2
constants:
  DR: [0, 1, 1, 1]
  DC: [1, 0, 1, -1]
state:
  grid: {type: "int8[4,5]", init: 0}
  open: {type: bool, init: true}
actions:
  put:
    params: {r: 0..4, c: 0..5}
    legal: grid[r, c] == 0
    effect: |
      grid[r, c] = current_player + 1
      open = all(d in 0..4: any(k in 1..3: r + k * DR[d] >= 4 or c + k * DC[d] < 0
                                           or grid[r + k * DR[d], c + k * DC[d]] == 0))
      if any(d in 0..4: all(k in 0..3: r + k * DR[d] < 4 and c + k * DC[d] >= 0 and c + k * DC[d] < 5
                                       and grid[r + k * DR[d], c + k * DC[d]] == current_player + 1)):
          win(current_player)
      current_player = 1 - current_player
observe: {type: "int8[4,5]", value: grid}
"""


def test_an_unrolled_reduction_tests_its_bounds_before_reading(tmp_path) -> None:
    """all(k: bounds and a[i] == v) splits into all(k: bounds) and all(k: a[i] == v) (any over
    `or` likewise); the C backend's line tests so split mean what the reference's mean."""
    from specc import ir
    from specc.backends.hoist import operands, split_reduction

    spec = tmp_path / "lines.yaml"
    spec.write_text(LINES)
    effect = load_program(spec).actions[0].effect
    outer = [s.value for s in effect if isinstance(s, ir.Assign) and s.name == "open"]
    outer += [s.test for s in effect if isinstance(s, ir.If)]
    for reduce, op, bounds in zip(outer, ("or", "and"), (2, 3)):
        first, rest = split_reduction(reduce.body)
        assert len(operands(first.body, op)) == bounds and isinstance(rest.body, ir.Binary) and rest.body.op == "=="
        assert split_reduction(reduce) is None  # its body is a reduction: nothing to split
    jax_env, py_env = pair(tmp_path)(LINES)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        actions, s = [], py_env.init(np.asarray([0, seed], np.uint32))
        while np.asarray(s.legal_action_mask).any():  # until a line of three, or a full grid
            actions.append(int(rng.choice(np.flatnonzero(np.asarray(s.legal_action_mask)))))
            s = py_env.step(s, actions[-1], np.asarray([0, seed], np.uint32))
        play(jax_env, py_env, actions, seed=seed)
