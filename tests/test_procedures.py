"""Procedures are procedures: arguments evaluated once at the call and passed by value,
locals of their own, `returns:` values usable in expressions, recursion refused.

Each spec runs on both backends, the JAX one jitted and eager, and every field must be
equal after every step, and equal to the value worked out by hand.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import jax
import numpy as np
import pytest
from pair import fault, pair, play


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    """envs(text): the spec on the JAX and the Python backend, compiled once per module."""
    return pair(tmp_path_factory.mktemp("procs"))


SPEC = """\
specc: 1
name: procs
players: 2
state:
  x: {type: "int32[2]", init: [5, 6]}
  out1: {type: int32, init: 0}
  out2: {type: int32, init: 0}
  out3: {type: int32, init: 0}
  seen: {type: int32, init: 0}
  draws: {type: "int32[3]", init: 0}
  tot: {type: int32, init: 0}
  f8: {type: int8, init: 0}
  picked: {type: int32, init: -1}
  pile: {type: "int32[3]", init: [7, 8, 9]}
  flags: {type: "bool[3]", init: false}
procedures:
  capture:
    params: [v]
    body: |
      q = 7
      out1 = v
  byname:
    params: [v]
    body: |
      x[0] = 100
      out2 = v
  twice:
    params: [v]
    body: |
      out3 = v + v
      seen = v
  sq:
    params: [a]
    returns: int32
    body: |
      b = a * a
      return b + 1
  sign:
    params: [a]
    returns: int8
    body: |
      r = 0
      if a > 0:
          r = 1
      elif a < 0:
          r = -1
      return r
  pop:
    returns: int32
    body: |
      top = pile[0]
      pile = [pile[1], pile[2], -1]
      return top
  rolls:
    params: [n]
    body: |
      for i in 0..3:
          draws[i] = roll(n)
actions:
  go:
    legal: sq(x[1]) > 30
    effect: |
      q = 1
      capture(q)
      byname(x[0])
      twice(roll(1000))
      i = 2
      rolls(1000)
      tot = sum(k in 0..3: sq(k)) + i
      f8 = sign(out1 - 3) * 3 + sign(q)
      if out1 > 5:
          f8 = 9
      elif sign(out1) == 1:
          f8 += 10
      picked = pop()
      flags[0] = out1 < 5 and sq(out1) == 2
      flags[1] = (sign(-4) == -1) if q == 1 else false
      flags[2] = out1 > 5 and sign(out1) == 1
observe:
  type: "int32[3]"
  value: "[out1, sq(out2), out3]"
invariants:
  - sq(tot) >= 1
"""


def test_arguments_by_value_locals_private_and_returns(envs) -> None:
    jax_env, py_env = envs(SPEC)
    s = play(jax_env, py_env, [0, 0])
    one, two = s[1], s[2]
    assert one["out1"] == 1  # the procedure's own q = 7 did not change the caller's q
    assert one["out2"] == 5 and one["x"].tolist() == [100, 6]  # v is x[0] at the call, not after
    assert two["out2"] == 100
    assert one["out3"] == 2 * one["seen"] and 0 <= one["seen"] < 1000  # roll(1000) drawn once, doubled
    assert len(set(one["draws"].tolist())) == 3  # one draw per iteration of the procedure's loop
    assert one["tot"] == 1 + 2 + 5 + 2  # sq(k) inside a reduction, plus the caller's own i
    assert one["f8"] == -3 + 1 + 10  # a function with if/elif, twice in one expression, then in an elif
    assert (one["picked"], two["picked"]) == (7, 8) and two["pile"].tolist() == [9, -1, -1]
    assert one["flags"].tolist() == [True, True, False]  # in `and` and in `a if c else b`
    assert np.asarray(jax_env.observe(jax_env.init(jax.random.PRNGKey(0)), 0)).tolist() == [0, 1, 0]
    py_state = py_env.init(np.zeros(2, np.uint32))
    py_state = py_env.step(py_state, 0, np.zeros(2, np.uint32))
    assert np.asarray(py_env.observe(py_state, 1)).tolist()[:2] == [1, 26]  # sq(out2) in observe
    assert py_env.module.invariants(py_state).tolist() == [True]
    # roll(1000) for twice(): one call in the generated code, bound once to the parameter
    effect = inspect.getsource(py_env.module._effect_go)
    assert effect.count("_roll(") == 2  # twice's argument and the loop in rolls()


def test_a_guard_uses_a_function(envs) -> None:
    """sq(x[1]) > 30 holds at the start (37); with x[1] = 5 it would not (26)."""
    jax_env, py_env = envs(SPEC)
    assert bool(jax_env.init(jax.random.PRNGKey(0)).legal_action_mask[0])
    low = SPEC.replace('init: [5, 6]}', 'init: [5, 5]}')
    jax_low, py_low = envs(low)
    assert not bool(jax_low.init(jax.random.PRNGKey(0)).legal_action_mask[0])
    assert not py_low.init(np.zeros(2, np.uint32)).legal_action_mask[0]


NESTED = """\
specc: 1
name: nested
players: 1
state:
  grid: {type: "int32[2,3]", init: 0}
  dice: {type: "int32[2,3]", init: 0}
  book: {type: "int32[4]", init: 0}
  n: {type: int32, init: 0}
procedures:
  fill:
    params: [row, base]
    body: |
      for i in 0..3:
          grid[row, i] = base + i
          dice[row, i] = roll(1000)
      n += 1
  note:
    params: [k, v]
    body: |
      book[k] = v
      k = 3
      book[k] = k
  add:
    params: [a, b]
    returns: int32
    body: |
      return a + b
actions:
  go:
    effect: |
      for i in 0..2:
          fill(i, add(i, 10) * 10)
      k = 1
      note(k, k + 5)
      book[2] = k
observe:
  type: int32
  value: n
"""


def test_loops_and_parameters_assigned_inside(envs) -> None:
    """The caller's loop variable and the procedure's are two variables; assigning a
    parameter changes only the procedure's copy; procedures nest."""
    jax_env, py_env = envs(NESTED)
    s = play(jax_env, py_env, [0])[1]
    assert s["grid"].tolist() == [[100, 101, 102], [110, 111, 112]]
    assert s["n"] == 2
    assert len(set(s["dice"].ravel().tolist())) == 6  # a draw per iteration of both loops
    assert s["book"].tolist() == [0, 6, 1, 3]  # the caller's k stays 1


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("picked = pop()", "picked = @@pop() + 1", "pop() changes 'pile', so it may be called only as a statement"),
        ("tot = sum(k in 0..3: sq(k)) + i", "tot = sum(k in 0..3: @@sign(k)) + i", "cannot be called in a reduction"),
        ("legal: sq(x[1]) > 30", "legal: @@sign(x[1]) > 0", "cannot be called in the guard of go"),
        ("picked = pop()", "picked = @@capture(1)", "capture() gives no value"),
        ("      out2 = v\n", "      out2 = @@q\n", "unknown name 'q'"),  # the caller's q is not visible
        ("capture(q)", "capture(x[@@5])", "(in argument 'v' of capture())"),
        ("capture(q)", "capture(flags[0])", "(in capture(v: bool), called at "),
        ("      top = pile[0]\n", "      @@return 1\n      top = pile[0]\n", "must be the last statement"),
        ("      return r\n", "      @@return r\n      r = 2\n", "must be the last statement"),
        ("      draws[i] = roll(n)\n", "      draws[i] = roll(n)\n      @@return n\n", "declares no `returns: TYPE`"),
        ("      i = 2\n", "      i = 2\n      @@return i\n", "`return` belongs at the end of a procedure's body"),
        ("      i = 2\n", "      @@i__2 = 2\n      i = 2\n", "names holding '__' are kept"),
        ("      b = a * a\n", "      b = @@sq(a)\n", "recursion is not allowed"),
        ("      return b + 1\n", "      return @@b > 1\n", "sq() returns int32, not bool"),
    ],
)
def test_procedure_faults(old: str, new: str, words: str, tmp_path: Path) -> None:
    assert SPEC.count(old) == 1
    text = SPEC.replace(old, new)
    if "@@" not in text:  # the fault shows in the body: at the body's line, naming the call
        text = text.replace("      out1 = v\n", "      out1 = @@v\n")
    assert words in fault(text, tmp_path)


def test_returns_without_a_return(tmp_path: Path) -> None:
    text = SPEC.replace("      return top\n", "      pile[0] = top\n").replace(
        "  pop:\n    returns: int32\n    body: |", "  pop:\n    returns: int32\n    body: @@|"
    )
    assert "pop() declares `returns: int32`: end its body with `return EXPR`" in fault(text, tmp_path)
