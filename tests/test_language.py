"""The language end to end: small specs, each exercising a group of features, compiled
to every backend (JAX, Python, C) and played in lock-step.

After init and after every step the JAX env and the Python reference must agree on
every state field (name, dtype, shape and value, exactly), and the values must be the
ones the rules say: each test checks them against a small NumPy model of its spec or
against values worked out by hand. Each spec is compiled and jitted once per module
(jit costs about a second per env), so its checks are grouped.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import specc
from specc.cli import main
from specc.compiler import compile_spec

# NumPy warns when an int8 wraps around; wrapping is the rule (JAX wraps silently).
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

State = dict[str, np.ndarray]


def host(state: Any) -> State:
    """A state of either backend as field name -> NumPy array, in field order."""
    return {f.name: np.asarray(getattr(state, f.name)) for f in dataclasses.fields(state)}


def assert_same(jax_state: Any, py_state: Any, tolerances: dict[str, float], where: str) -> None:
    """Every field equal in name, dtype, shape and value (exactly, unless the spec
    declares a float tolerance for it)."""
    ours, ref = host(jax_state), host(py_state)
    assert list(ours) == list(ref), where
    for name, value in ours.items():
        other = ref[name]
        assert (value.dtype, value.shape) == (other.dtype, other.shape), f"{where}: {name} {value!r} vs {other!r}"
        if name in tolerances:
            np.testing.assert_allclose(value, other, rtol=0, atol=tolerances[name], err_msg=f"{where}: {name}")
        else:
            assert np.array_equal(value, other), f"{where}: {name}: jax {value!r}, python {other!r}"


@dataclasses.dataclass
class Game:
    """One spec on both backends. `play` steps them side by side and returns the
    states (host copies of the JAX side; the Python side is checked equal to them)."""

    jax_env: specc.api.Env
    py_env: specc.api.Env
    c_env: specc.api.Env | None = None  # the native C backend, checked equal to the reference too

    def __post_init__(self) -> None:
        self.init = jax.jit(self.jax_env.init)
        self.step = jax.jit(self.jax_env.step)
        self.tolerances = dict(self.jax_env.module.TOLERANCES)

    @staticmethod
    def keys(seed: int, steps: int) -> tuple[jax.Array, list[jax.Array]]:
        key = jax.random.PRNGKey(seed)
        return key, [jax.random.fold_in(key, t + 1) for t in range(steps)]

    def play(self, actions: list[int], seed: int = 0) -> list[State]:
        init_key, step_keys = self.keys(seed, len(actions))
        js, ps = self.init(init_key), self.py_env.init(np.asarray(init_key))
        assert_same(js, ps, self.tolerances, "init")
        cs = self.c_env.init(np.asarray(init_key)) if self.c_env else None
        if cs is not None:
            assert_same(cs, ps, self.tolerances, "init (C)")
        states = [host(js)]
        for t, (action, key) in enumerate(zip(actions, step_keys)):
            js = self.step(js, jnp.int32(action), key)
            ps = self.py_env.step(ps, action, np.asarray(key))
            assert_same(js, ps, self.tolerances, f"step {t + 1} (action {action})")
            if cs is not None:
                cs = self.c_env.step(cs, action, np.asarray(key))
                assert_same(cs, ps, self.tolerances, f"step {t + 1} (action {action}, C)")
            for player in range(self.jax_env.num_players):  # every player's view, not just the mover's
                mine, theirs = self.jax_env.observe(js, player), self.py_env.observe(ps, player)
                assert np.asarray(mine).dtype == np.asarray(theirs).dtype
                assert np.array_equal(np.asarray(mine), np.asarray(theirs)), f"step {t + 1}: observe({player})"
                if cs is not None:
                    assert np.array_equal(self.c_env.observe(cs, player), theirs), f"step {t + 1}: C observe({player})"
            states.append(host(js))
        return states


@pytest.fixture(scope="module")
def game(tmp_path_factory: pytest.TempPathFactory):
    """game(text): the spec `text` on both backends, compiled once per module."""
    root = tmp_path_factory.mktemp("language")
    made: dict[str, Game] = {}

    def build(text: str) -> Game:
        if text not in made:
            folder = root / f"spec{len(made)}"
            folder.mkdir()
            spec = folder / "spec.yaml"
            spec.write_text(text)
            out = folder / "generated"  # never the repository's generated/
            made[text] = Game(
                specc.make(spec, backend="jax", out_dir=out),
                specc.make(spec, backend="python", out_dir=out),
                specc.make(spec, backend="c", out_dir=out),
            )
        return made[text]

    return build


def wrap8(v: int) -> int:
    """v as int8 two's complement: what int8 arithmetic gives."""
    return (v + 128) % 256 - 128


# ------------------------------------------------------ arithmetic and dtypes

ARITH = """\
specc: 1
name: arith
players: 1
state:
  a8: {type: int8, init: 100}
  i32: {type: int32, init: -7}
  mix: {type: int32, init: 0}
  f: {type: float32, init: 0.0}
  div: {type: float32, init: 0.0}
  fdiv: {type: int32, init: 0}
  mod: {type: int32, init: 0}
  pw: {type: int32, init: 0}
  fpw: {type: float32, init: 0.0}
  flag: {type: bool, init: false}
  b: {type: bool, init: false}
  t: {type: int16, init: 0}
  m8: {type: int8, init: 0}
actions:
  go:
    effect: |
      a8 += 20
      i32 = i32 + 3
      mix = a8 + i32
      f = i32 * 0.5 + a8
      div = i32 / 4
      fdiv = i32 // 4
      mod = i32 % 4
      pw = i32 ** 2
      fpw = abs(f) ** 0.5 + 2.0 ** -1 + f ** 2 + f ** 3
      flag = not flag
      b = (i32 > 3 and not flag) or a8 < 0
      t = 7 if b else -7
      m8 = a8 * 3 - a8 // 5 + a8 % 7
observe:
  type: "float32[2]"
  value: "[f, div]"
"""


def test_arithmetic_and_promotion(game) -> None:
    """int8 wraps around; int8 + int32 is int32; int with float is float32; `/` is
    float, `//` floors and `%` takes the divisor's sign (also for negatives); int **
    int stays int; and/or/not and `a if c else b` follow the rules."""
    states = game(ARITH).play([0] * 8)
    dtypes = {"a8": np.int8, "mix": np.int32, "f": np.float32, "div": np.float32, "pw": np.int32, "t": np.int16}
    for name, dtype in dtypes.items():
        assert states[-1][name].dtype == dtype, name
    a8, i32, flag = 100, -7, False
    for s in states[1:]:  # a model of the effect in plain Python / NumPy float32
        a8, i32, flag = wrap8(a8 + 20), i32 + 3, not flag
        f = np.float32(i32) * np.float32(0.5) + np.float32(a8)
        b = (i32 > 3 and not flag) or a8 < 0
        expected = {
            "a8": a8,
            "i32": i32,
            "mix": a8 + i32,
            "f": f,
            "div": np.float32(i32) / np.float32(4),
            "fdiv": i32 // 4,
            "mod": i32 % 4,
            "pw": i32**2,
            "flag": flag,
            "b": b,
            "t": 7 if b else -7,
            "m8": wrap8(a8 * 3 - a8 // 5 + a8 % 7),
        }
        for name, value in expected.items():
            assert s[name] == value, (name, s[name], value)
        assert s["fpw"] == pytest.approx(float(abs(f)) ** 0.5 + 0.5 + float(f) ** 2 + float(f) ** 3, rel=1e-6)
    assert [s["a8"] for s in states[:4]] == [100, 120, -116, -96]  # wrapped at 127
    assert [s["mod"] for s in states[1:4]] == [0, 3, 2]  # -4 % 4, -1 % 4, 2 % 4


# ------------------------------------------------------ functions, casts, constants, locals

MISC = """\
specc: 1
name: misc
players: 2
constants:
  V: [3, -1, 4, -1, 5]
  HALF: 0.5
  BIG: {type: int16, value: 1000}
  TWICE: BIG * 2
state:
  i: {type: int32, init: -3}
  f: {type: float32, init: 0.25}
  mn: {type: int32, init: 0}
  mx: {type: float32, init: 0.0}
  cl: {type: int8, init: 0}
  wh: {type: "int32[5]", init: 0}
  ab: {type: "int32[5]", init: 0}
  neg: {type: "int32[5]", init: 0}
  mask: {type: "bool[5]", init: false}
  sq: {type: float32, init: 0.0}
  fl: {type: float32, init: 0.0}
  tr: {type: float32, init: 0.0, tolerance: 1.0e-6}
  casts: {type: "int32[3]", init: 0}
  c8: {type: int8, init: 0}
  cf: {type: float32, init: 0.0}
  tern: {type: "int32[5]", init: 0}
  big: {type: int16, init: 0}
  acc: {type: int32, init: 0}
  loc: {type: int32, init: 0}
actions:
  go:
    params: {k: "0..3"}
    effect: |
      i = i + k + 1
      f = f * 1.5 - HALF
      mn = min(i, k)
      mx = max(f, 0.1)
      cl = clip(i * 10, -50, 50)
      wh = where(V > 0, V * i, -V)
      ab = abs(V * i)
      neg = -V
      mask = not (V > 0) or (V == 4 and true)
      sq = sqrt(abs(f) + 1)
      fl = floor(f * 3)
      tr = sin(f) + cos(f) + exp(f / 4) + log(abs(f) + 1) + tan(f / 8)
      casts = [int(f * 7), int8(300 - 200 + i), int16(f * 100)]
      c8 = int8(i * 50)
      cf = float(i) / 3
      tern = V if i > 0 else -V
      big = BIG + TWICE + k
      t = i * 2
      if t > 0:
          t = t + 100
      else:
          t = t - 100
      acc = t
      for j in 0..4:
          loc = loc + j
          acc += j * t
      current_player = 1 - current_player
observe:
  type: "float32[5]"
  value: "float(V * (player + 1))"
"""


def test_functions_casts_constants_and_locals(game) -> None:
    """Built-in functions and casts (truncating like astype), constant formulas and a
    typed constant, a local variable merged across an if and carried through a loop,
    and an observation that depends on the observer.

    sin, cos, tan, exp and log may differ in the last bit between XLA and NumPy, so the
    spec gives their field `tr` a tolerance (the language's own mechanism for that)."""
    g = game(MISC)
    states = g.play([0, 1, 2, 2, 1, 0])
    v = np.array([3, -1, 4, -1, 5])
    i, f, loc = -3, np.float32(0.25), 0
    for k, s in zip([0, 1, 2, 2, 1, 0], states[1:]):
        i, f = i + k + 1, f * np.float32(1.5) - np.float32(0.5)
        t = i * 2 + 100 if i * 2 > 0 else i * 2 - 100
        loc += 6
        assert (s["i"], s["mn"], s["cl"]) == (i, min(i, k), max(-50, min(50, i * 10)))
        assert s["f"] == f and s["mx"] == max(f, np.float32(0.1))
        assert np.array_equal(s["wh"], np.where(v > 0, v * i, -v)) and np.array_equal(s["ab"], abs(v * i))
        assert np.array_equal(s["mask"], ~(v > 0) | (v == 4)) and np.array_equal(s["neg"], -v)
        assert s["sq"] == np.sqrt(abs(f) + np.float32(1)) and s["fl"] == np.floor(f * np.float32(3))
        assert s["casts"].tolist() == [int(f * 7), 100 + i, int(f * np.float32(100))]
        assert s["c8"] == wrap8(i * 50) and s["cf"] == np.float32(i) / np.float32(3)
        assert np.array_equal(s["tern"], v if i > 0 else -v)
        assert s["big"] == 3000 + k and s["big"].dtype == np.int16
        assert (s["acc"], s["loc"]) == (t + 6 * t, loc)  # acc = t, then += j * t for j in 0..3
    for player in (0, 1):
        assert np.array_equal(g.jax_env.observe(g.init(jax.random.PRNGKey(0)), player), v * (player + 1.0))


# ------------------------------------------------------ arrays, indexing, reductions

ARRAYS = """\
specc: 1
name: arrays
players: 1
constants:
  ROWS: 3
  COLS: 4
  TABLE: [10, 20, 30, 40, 50]
  W: [0.5, 1.5, 2.5]
state:
  grid: {type: "int8[3,4]", init: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]}
  idx: {type: "int32[3]", init: [4, 0, 2]}
  gathered: {type: "int32[3]", init: 0}
  lit: {type: "int32[3]", init: 0}
  flits: {type: "float32[2]", init: 0.0}
  st: {type: "int8[3,2]", init: 0}
  rs: {type: "int8[4,3]", init: 0}
  row: {type: "int8[4]", init: 0}
  r_any: {type: bool, init: false}
  r_all: {type: bool, init: false}
  r_sum: {type: int32, init: 0}
  r_count: {type: int32, init: 0}
  r_min: {type: int8, init: 0}
  r_max: {type: int32, init: 0}
  r_argmax: {type: int32, init: 0}
  r_argmin: {type: int32, init: 0}
  r_fsum: {type: float32, init: 0.0}
  a_any: {type: bool, init: false}
  a_all: {type: bool, init: false}
  a_sum: {type: int32, init: 0}
  a_count: {type: int32, init: 0}
  a_min: {type: int8, init: 0}
  a_max: {type: int8, init: 0}
  a_argmax: {type: int32, init: 0}
  a_argmin: {type: int32, init: 0}
  colsum: {type: "int32[4]", init: 0}
  loopfill: {type: "int16[5]", init: 0}
  k: {type: int32, init: 0}
actions:
  go:
    params: {r: "0..3", c: "0..4"}
    effect: |
      grid[r, c] = grid[r, c] * 2 - k
      gathered = TABLE[idx]
      idx = (idx + 1) % 5
      lit = [k, r * 10 + c, grid[r, c]]
      flits = [W[r], float(c) / 3]
      st = stack([grid[0, 0], grid[1, 0], grid[2, 0]], [grid[0, 1], grid[1, 1], grid[2, 1]])
      rs = reshape(grid, 4, 3)
      row = grid[r]
      r_any = any(i in 0..COLS: grid[r, i] > 10)
      r_all = all(i in 0..COLS: grid[r, i] > 0)
      r_sum = sum(i in 0..ROWS: sum(j in 0..COLS: grid[i, j]))
      r_count = count(i in 0..COLS: grid[r, i] % 2 == 0)
      r_min = min(i in 0..ROWS: grid[i, c])
      r_max = max(i in 1..ROWS: grid[i, c] + k)
      r_argmax = argmax(i in 1..4: grid[i - 1, c])
      r_argmin = argmin(i in 0..COLS: grid[r, i])
      r_fsum = sum(i in 0..3: W[i] * float(grid[i, c]))
      a_any = any(grid > 20)
      a_all = all(grid != 0)
      a_sum = sum(grid)
      a_count = count(grid > 6)
      a_min = min(grid)
      a_max = max(grid)
      a_argmax = argmax(grid)
      a_argmin = argmin(row)
      colsum = sum(i in 0..ROWS: grid[i])
      for i in 0..5:
          loopfill[i] = loopfill[i] + i * k
          if i == c:
              loopfill[i] = -loopfill[i]
      k += 1
observe:
  type: "int8[3,4]"
  value: grid
"""


def test_arrays_indexing_and_reductions(game) -> None:
    """2-D indexing and element assignment, a gather with an array index, array
    literals, stack and reshape, reductions over ranges (argmax/argmin counted from
    the range's start) and over whole arrays, and array elements set in a loop with
    an `if` inside. A two-parameter action's flat index is row-major: r * 4 + c."""
    actions = [0, 5, 11, 6, 6, 3, 8, 11, 11]
    states = game(ARRAYS).play(actions)
    table, w = np.array([10, 20, 30, 40, 50]), np.array([0.5, 1.5, 2.5], np.float32)
    loopfill = np.zeros(5, np.int64)
    for k, (action, before, s) in enumerate(zip(actions, states, states[1:])):
        r, c = divmod(action, 4)
        grid = before["grid"].astype(np.int64)
        grid[r, c] = wrap8(grid[r, c] * 2 - k)
        assert np.array_equal(s["grid"], grid) and s["grid"].dtype == np.int8
        assert np.array_equal(s["gathered"], table[before["idx"]]) and np.array_equal(s["idx"], (before["idx"] + 1) % 5)
        assert s["lit"].tolist() == [k, r * 10 + c, grid[r, c]]
        assert s["flits"].tolist() == [w[r], np.float32(c) / np.float32(3)]
        assert np.array_equal(s["st"], np.stack([grid[:, 0], grid[:, 1]], axis=-1))
        assert np.array_equal(s["rs"], grid.reshape(4, 3)) and np.array_equal(s["row"], grid[r])
        assert (s["r_any"], s["r_all"]) == ((grid[r] > 10).any(), (grid[r] > 0).all())
        assert (s["r_sum"], s["r_count"]) == (grid.sum(), (grid[r] % 2 == 0).sum())
        assert (s["r_min"], s["r_max"]) == (grid[:, c].min(), grid[1:, c].max() + k)
        assert (s["r_argmax"], s["r_argmin"]) == (1 + grid[:, c].argmax(), grid[r].argmin())
        assert s["r_fsum"] == np.float32(np.sum(w * grid[:, c].astype(np.float32), dtype=np.float32))
        assert (s["a_any"], s["a_all"]) == ((grid > 20).any(), (grid != 0).all())
        assert (s["a_sum"], s["a_count"]) == (grid.sum(), (grid > 6).sum())
        assert (s["a_min"], s["a_max"], s["a_argmax"]) == (grid.min(), grid.max(), grid.argmax())
        assert s["a_argmin"] == grid[r].argmin() and np.array_equal(s["colsum"], grid.sum(axis=0))
        loopfill = loopfill + np.arange(5) * k
        loopfill[c] = -loopfill[c]
        assert np.array_equal(s["loopfill"], loopfill) and s["k"] == k + 1
    assert states[2]["grid"][1, 1] == 11  # action 5 is (r=1, c=1): 6 * 2 - 1


# ------------------------------------------------------ local variables

LOCALS = """\
specc: 1
name: locals
players: 1
state:
  grid: {type: "int32[2,3]", init: [[1, 2, 3], [4, 5, 6]]}
  other: {type: "int32[3]", init: 0}
  total: {type: int32, init: 0}
  copyrow: {type: "int32[3]", init: 0}
  g8: {type: "int8[3]", init: 0}
  big: {type: int32, init: 300}
actions:
  go:
    effect: |
      tmp = grid[0]
      tmp[1] = 99
      other = tmp
      acc = 0
      for j in 0..3:
          acc += grid[1, j]
          copyrow[j] = grid[0, j] * 10
      total = acc
      row = copyrow
      copyrow[0] = -1
      other[2] = row[0]
      g8[0] = big
      g8[1] = g8[1] + 100
      b8 = g8 * 2
      g8[2] = b8[1]
      big += 1
observe:
  type: "int32[2,3]"
  value: grid
"""


def test_local_arrays_and_element_stores(game) -> None:
    """A local array is a value, not a view: changing it leaves the state field it came
    from alone, and a later change of that field leaves the local alone. A local scalar
    is carried through a loop. An int32 stored into an int8 element wraps."""
    states = game(LOCALS).play([0, 0, 0])
    for s in states[1:]:
        assert s["grid"].tolist() == [[1, 2, 3], [4, 5, 6]]  # tmp[1] = 99 did not write through
        assert s["other"].tolist() == [1, 99, 10]  # row kept copyrow[0] from before it became -1
        assert (s["total"], s["copyrow"].tolist()) == (15, [-1, 20, 30])
    assert [s["g8"].tolist() for s in states] == [[0, 0, 0], [44, 100, -56], [45, -56, -112], [46, 44, 88]]


# ------------------------------------------------------ control flow, procedures, enums, action kinds

FLOW = """\
specc: 1
name: flow
players: 3
constants:
  N: 4
enums:
  Color: [red, green, blue]
  Dir: [up, down]
state:
  x: {type: int32, init: 0}
  y: {type: int32, init: 0}
  tag: {type: int8, init: 0}
  paint: {type: "int8[4]", init: 0}
  hist: {type: "int32[6]", init: 0}
  last: {type: int32, init: -1}
procedures:
  move:
    params: [dx, dy]
    body: |
      x += dx
      y = y + dy * 2
      note(x + y)
  note:
    params: [v]
    body: |
      hist[step_count % 6] = v
actions:
  step_move:
    params: {d: Dir, n: "1..3"}
    effect: |
      if d == Dir.up:
          move(n, 1)
      else:
          move(-n, -1)
      last = 0
  color:
    params: {c: Color, at: "0..N"}
    legal: paint[at] == 0 or c != Color.red
    effect: |
      paint[at] = c + 1
      if c == Color.red:
          tag = 1
      elif c == Color.green:
          if x > 0:
              tag = 2
          elif x < 0:
              tag = 3
          else:
              tag = 4
      else:
          tag = 5
          for i in 0..N:
              if paint[i] == 0:
                  paint[i] = 9
              elif paint[i] == 9:
                  paint[i] = 0
      last = 1
  noop:
    effect: |
      last = 2
      current_player = (current_player + 1) % PLAYERS
observe:
  type: "int32[3]"
  value: "[x, y, current_player]"
"""

# flat indices: step_move 0..3 (d, n), color 4..15 (c, at), noop 16
MOVE = {("up", 1): 0, ("up", 2): 1, ("down", 1): 2, ("down", 2): 3}


def color(c: int, at: int) -> int:
    return 4 + c * 4 + at


def test_control_flow_procedures_enums_and_action_kinds(game) -> None:
    """Nested if/elif/else (merged with where in JAX), a for loop with an if/elif
    inside an else branch, procedures with parameters calling procedures, enums as
    values and as parameter domains, three action kinds (lax.switch) with
    two-parameter actions laid out row-major, last parameter fastest."""
    g = game(FLOW)
    assert g.jax_env.num_actions == g.py_env.num_actions == 17
    assert g.jax_env.action_kinds == ("step_move", "color", "noop")
    actions = [MOVE["up", 1], MOVE["up", 2], MOVE["down", 1], color(0, 0), color(1, 3), color(2, 1)]
    actions += [color(2, 1), MOVE["down", 2], MOVE["down", 2], color(1, 2), 16, color(1, 0)]
    s = g.play(actions)
    assert [(t["x"], t["y"]) for t in s[1:4]] == [(1, 2), (3, 4), (2, 2)]  # move(n, +-1) via note()
    assert s[3]["hist"].tolist() == [0, 3, 7, 4, 0, 0]  # note(x + y) at step_count % 6
    assert s[4]["paint"].tolist() == [1, 0, 0, 0] and s[4]["tag"] == 1  # red
    assert not s[4]["legal_action_mask"][color(0, 0)]  # red on a painted cell is illegal
    assert s[4]["legal_action_mask"][color(1, 0)] and s[4]["legal_action_mask"][color(0, 1)]
    assert s[5]["paint"].tolist() == [1, 0, 0, 2] and s[5]["tag"] == 2  # green with x > 0 (x = 2)
    assert s[6]["paint"].tolist() == [1, 3, 9, 2] and s[6]["tag"] == 5  # blue: the loop turns 0 into 9
    assert s[7]["paint"].tolist() == [1, 3, 0, 2]  # and 9 back into 0
    assert (s[9]["x"], s[9]["tag"]) == (-2, 5)
    assert s[10]["tag"] == 3  # green with x < 0
    assert (s[11]["current_player"], s[11]["last"]) == (1, 2)  # noop passes the turn
    assert s[12]["tag"] == 3 and s[12]["paint"][0] == 2
    assert [t["last"] for t in s] == [-1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 2, 1]
    # no chance in step: the key may be left out, on both backends
    key = jax.random.PRNGKey(5)
    assert_same(g.jax_env.step(g.init(key), 1), g.py_env.step(g.py_env.init(np.asarray(key)), 1), {}, "no key")


# ------------------------------------------------------ chance

CHANCE = """\
specc: 1
name: chance
players: 2
state:
  coin: {type: bool, init: "flip()"}
  die: {type: int32, init: "roll(6)"}
  u: {type: float32, init: "uniform(-1.0, 1.0)"}
  rolls: {type: "int32[5]", init: 0}
  us: {type: "float32[3]", init: 0.0}
  flips: {type: "bool[4]", init: false}
  again: {type: int32, init: 0}
  dice: {type: int32, init: 0}
  d8: {type: int8, init: 0}
init: |
  again = roll(100)
  for i in 0..5:
      rolls[i] = roll(1000)
actions:
  shake:
    params: {n: "2..5"}
    effect: |
      die = roll(n) + 1
      coin = flip()
      u = uniform(0, n)
      for i in 0..3:
          us[i] = uniform(-2.0, 2.0)
          if flip():
              flips[i] = not flips[i]
      for i in 0..5:
          rolls[i] = roll(1000)
      dice = sum(i in 0..4: roll(6) + 1)
      d8 = roll(50)
      current_player = roll(PLAYERS)
observe:
  type: "float32[3]"
  value: us
"""


def test_chance_draws_identically_on_both_backends(game) -> None:
    """flip, roll and uniform in field inits, the init block and step, inside for loops
    and a reduction: both backends draw the very same values from the same key; each
    loop iteration draws afresh; the values lie in their ranges; a seed replays."""
    g = game(CHANCE)
    actions = [0, 1, 2, 2, 0, 1, 1, 0]
    runs = {seed: g.play(actions, seed=seed) for seed in (0, 1, 2)}
    state = g.init(jax.random.PRNGKey(0))
    for env, start in ((g.jax_env, state), (g.py_env, g.py_env.init(np.asarray(jax.random.PRNGKey(0))))):
        with pytest.raises(ValueError, match="pass a key"):  # chance in step: a key is required
            env.step(start, 0)
    for states in runs.values():
        for s, n in zip(states[1:], [a + 2 for a in actions]):
            assert 1 <= s["die"] <= n and 0 <= s["u"] < n and 0 <= s["d8"] < 50
            assert np.all((-2 <= s["us"]) & (s["us"] < 2)) and 4 <= s["dice"] <= 24
            assert len(set(s["rolls"].tolist())) >= 4  # five draws of 0..999: a fresh key per iteration
            assert len(set(s["us"].tolist())) == 3
        assert len(set(states[0]["rolls"].tolist())) >= 4  # the init block's loop too
    assert not np.array_equal(runs[0][-1]["rolls"], runs[1][-1]["rolls"])  # seeds differ
    again = g.play(actions, seed=1)
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(again, runs[1]) for k in a)  # a seed replays


def test_chance_distribution(game) -> None:
    """Many inits at once (vmap): flip is fair, roll(6) covers 0..5 evenly, uniform fills
    [-1, 1); and the first 20 inits match the Python reference exactly."""
    g = game(CHANCE)
    keys = jax.random.split(jax.random.PRNGKey(7), 4000)
    batch = jax.jit(jax.vmap(g.jax_env.init))(keys)
    coin, die, u = (np.asarray(getattr(batch, n)) for n in ("coin", "die", "u"))
    assert 0.45 < coin.mean() < 0.55
    assert sorted(set(die.tolist())) == list(range(6)) and np.bincount(die).min() > 550
    assert -1 <= u.min() < -0.99 and 0.99 < u.max() < 1 and abs(u.mean()) < 0.05
    for i in range(20):
        one = jax.tree_util.tree_map(lambda x, i=i: x[i], batch)
        assert_same(one, g.py_env.init(np.asarray(keys[i])), {}, f"init {i}")


# ------------------------------------------------------ outcomes and episode ends

OUTCOMES = """\
specc: 1
name: outcomes
players: 3
max_steps: 6
state:
  score: {type: "float32[3]", init: 0.0}
  moves: {type: int32, init: 0}
actions:
  pass_turn:
    effect: |
      moves += 1
      current_player = (current_player + 1) % PLAYERS
  win_now:
    effect: |
      win(current_player)
  lose_now:
    effect: |
      lose(current_player)
  draw_now:
    effect: |
      reward(0, 5.0)
      draw()
  stop:
    effect: |
      reward(0.5)
      reward(2, -0.25)
      terminate()
  cut:
    effect: |
      reward(1, 1.5)
      truncate()
  pay:
    params: {who: "0..3"}
    legal: who != current_player
    effect: |
      reward(who, 1.0)
      reward(who, 1.0)
      score[who] += 2.0
rewards: {range: [-1, 5]}
observe:
  type: "float32[3]"
  value: score
"""
PASS, WIN, LOSE, DRAW, STOP, CUT = range(6)


def pay(who: int) -> int:
    return 6 + who


@pytest.mark.parametrize(
    ("actions", "rewards", "terminated", "truncated"),
    [
        ([PASS, WIN], [-1, 1, -1], True, False),  # win(p): +1 for p, -1 for the others
        ([PASS, PASS, LOSE], [1, 1, -1], True, False),  # lose(p): the opposite
        ([DRAW], [0, 0, 0], True, False),  # draw() zeroes what was paid before it
        ([STOP], [0.5, 0, -0.25], True, False),  # reward(v) pays the mover (player 0); reward(p, v) pays p
        ([CUT], [0, 1.5, 0], False, True),
        ([pay(1)], [0, 2, 0], False, False),  # rewards add up within a step
        ([pay(1), PASS], [0, 0, 0], False, False),  # and are reset by the next one
        # illegal by its guard: the range's low end for the mover, 0 for the others (not zero-sum)
        ([pay(0)], [-1, 0, 0], True, False),
        ([PASS, 99], [0, -1, 0], True, False),  # an index past the end
        ([PASS, PASS, -1], [0, 0, -1], True, False),  # a negative index
        ([PASS] * 5, [0, 0, 0], False, False),
        ([PASS] * 6, [0, 0, 0], False, True),  # max_steps: truncated after the 6th step
    ],
    ids=["win", "lose", "draw", "terminate", "truncate", "reward", "reward-resets", "illegal-guard", "illegal-index",
         "illegal-negative", "before-max-steps", "max-steps"],
)  # fmt: skip
def test_outcomes(game, actions: list[int], rewards: list[float], terminated: bool, truncated: bool) -> None:
    states = game(OUTCOMES).play(actions)
    last = states[-1]
    assert last["rewards"].tolist() == rewards
    assert (bool(last["terminated"]), bool(last["truncated"])) == (terminated, truncated)
    assert last["legal_action_mask"].any() == (not (terminated or truncated))  # no legal action once over
    assert last["step_count"] == len(actions)


def test_finished_episode_absorbs(game) -> None:
    """Once terminated or truncated, any action, legal or not, changes nothing and pays
    nothing (on both backends: `play` compares them at every step)."""
    g = game(OUTCOMES)
    for ending in ([WIN], [pay(2), CUT], [pay(0)], [PASS] * 6):
        states = g.play(ending + [PASS, pay(1), WIN, 1000, -5])
        end = states[len(ending)]
        for s in states[len(ending) + 1 :]:
            assert s["rewards"].tolist() == [0, 0, 0]
            for name in end:
                if name != "rewards":
                    assert np.array_equal(s[name], end[name]), name


# ------------------------------------------------------ loops with chance and outcomes inside

LOOPS = """\
specc: 1
name: loops
players: 2
state:
  grid: {type: "int32[3,3]", init: 0}
  total: {type: int32, init: 0}
  first: {type: int32, init: -1}
  seen: {type: "bool[3]", init: false}
actions:
  fill:
    params: {v: "1..4"}
    effect: |
      for r in 0..3:
          for c in 0..3:
              grid[r, c] = grid[r, c] + roll(5) * v + r * 3 + c
              if grid[r, c] > 20 and first < 0:
                  first = r * 3 + c
                  reward(current_player, 0.5)
          seen[r] = flip()
      total = sum(grid)
      for r in 0..3:
          if total > 100 + r * 10:
              win(current_player)
              current_player = 1 - current_player
      current_player = 1 - current_player
  never:
    legal: "false"
    effect: pass
  idle:
    effect: pass
observe:
  type: "int32[3,3]"
  value: "grid * (player + 1)"
"""


def test_nested_loops_with_chance_and_outcomes(game) -> None:
    """Nested for loops (fori_loop in fori_loop) drawing per (row, column), a reward and
    an outcome inside an if inside a loop, a guard that is always false, and an action
    whose effect is `pass`. A model replays each step from what the draws must have been."""
    g = game(LOOPS)
    ended = 0
    for seed in range(4):
        actions = [0, 4, 2, 1, 2, 0, 2]
        states = g.play(actions, seed=seed)
        for action, before, s in zip(actions, states, states[1:]):
            assert not s["legal_action_mask"][3]  # `never`
            if before["terminated"]:
                continue
            if action == 4:  # `idle`: nothing but the step count moves
                assert all(np.array_equal(s[k], before[k]) for k in ("grid", "current_player", "first", "seen"))
                continue
            v, player, first = action + 1, int(before["current_player"]), int(before["first"])
            rewards = np.zeros(2, np.float32)
            for r in range(3):
                for c in range(3):
                    drawn, rest = divmod(int(s["grid"][r, c] - before["grid"][r, c]) - (r * 3 + c), v)
                    assert rest == 0 and 0 <= drawn < 5  # roll(5) * v + r * 3 + c
                    if s["grid"][r, c] > 20 and first < 0:
                        first = r * 3 + c
                        rewards[player] += 0.5
            total = int(s["grid"].sum())
            for r in range(3):
                if total > 100 + r * 10:
                    rewards = np.where(np.arange(2) == player, 1.0, -1.0)
                    player = 1 - player
            assert (s["total"], s["first"], s["current_player"]) == (total, first, 1 - player)
            assert s["rewards"].tolist() == rewards.tolist() and bool(s["terminated"]) == (total > 100)
            ended += total > 100
        draws = [s["grid"] - b["grid"] for b, s in zip(states, states[1:]) if not b["terminated"]]
        assert len({d.tobytes() for d in draws}) > 2  # each cell, step and seed draws afresh
    assert ended >= 2  # the games do reach the outcome branch


# ------------------------------------------------------ jit and vmap


def test_jit_and_vmap_of_step(game) -> None:
    """A batch of games stepped at once with jax.jit(jax.vmap(step)): each game equals
    the same game stepped alone by the Python reference."""
    g = game(LOOPS)
    games, steps = 16, 5
    keys = jax.random.split(jax.random.PRNGKey(3), games)
    init, step = jax.jit(jax.vmap(g.jax_env.init)), jax.jit(jax.vmap(g.jax_env.step))
    batch = init(keys)
    refs = [g.py_env.init(np.asarray(k)) for k in keys]
    rng = np.random.default_rng(0)
    for t in range(steps):
        actions = rng.choice([0, 1, 2, 4, 0, 1, 2, 4, 3, 9, -1], size=games).astype(np.int32)  # some illegal
        step_keys = jax.vmap(lambda k, t=t: jax.random.fold_in(k, t))(keys)
        batch = step(batch, jnp.asarray(actions), step_keys)
        refs = [g.py_env.step(r, int(a), np.asarray(k)) for r, a, k in zip(refs, actions, step_keys)]
        for i, ref in enumerate(refs):
            assert_same(jax.tree_util.tree_map(lambda x, i=i: x[i], batch), ref, {}, f"game {i}, step {t + 1}")


# ------------------------------------------------------ determinism and freshness


def test_compiling_twice_gives_identical_files(tmp_path: Path) -> None:
    """Same spec, same bytes: in one process, and in two with different hash seeds
    (no set or dict order leaks into the output)."""
    spec = tmp_path / "flow.yaml"
    spec.write_text(FLOW)
    first, second = compile_spec(spec), compile_spec(spec)
    assert first.files == second.files and set(first.files) >= {"env.py", "reference.py", "manifest.json"}
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-m", "specc.cli", "compile", "flow.yaml", "--out", str(out)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]


def test_compile_check_reports_stale_output(tmp_path: Path, monkeypatch, capsys) -> None:
    """`specc compile --check`: exit 0 while the output matches the spec, 1 (naming the
    stale files) once the spec changes, 0 again after compiling."""
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(OUTCOMES)
    assert main(["compile", "spec.yaml", "--out", "gen"]) == 0
    written = {p.name: p.read_bytes() for p in Path("gen").iterdir()}
    capsys.readouterr()
    assert main(["compile", "spec.yaml", "--out", "gen", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    Path("spec.yaml").write_text(OUTCOMES.replace("max_steps: 6", "max_steps: 7"))
    assert main(["compile", "spec.yaml", "--out", "gen", "--check"]) == 1
    err = capsys.readouterr().err
    assert "stale" in err and "env.py" in err and "manifest.json" in err
    assert {p.name: p.read_bytes() for p in Path("gen").iterdir()} == written  # --check writes nothing
    assert main(["compile", "spec.yaml", "--out", "gen"]) == 0
    assert main(["compile", "spec.yaml", "--out", "gen", "--check"]) == 0
