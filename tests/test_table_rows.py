"""Table reads through shared rows (specc/backends/jax_tables.py): several columns read at one
index are one gather of the row, and each read keeps the meaning of `T.c[i]` (docs/language.md,
Semantics: a[i]): a negative index counts from the end, then clamps. The spec reads bool, int8,
int16, int32, enum, float and row columns at indexes out of range on both sides, at an index
rebound at the effect's top level (the old row must not be reused), in a loop body, a
comprehension, a procedure and the guard and observation; every backend must agree."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest
from pair import pair, play

CSV = """\
name,flag,small,mid,big,kind,weight,next
a,true,-3,300,100000,x,0.5,c
b,false,7,-200,-7,y,-1.25,a
c,true,127,32000,2000000000,z,3.0,
d,false,-128,-32000,-5,x,1e-3,b
e,true,1,2,3,,-0.0,e
"""

SPEC = """\
specc: 1
name: rows
players: 1
enums:
  K: [x, y, z]
tables:
  T:
    file: rows.csv
    columns: {flag: bool, small: int8, mid: int16, big: int32, kind: K, weight: float32, next: row}
procedures:
  both:
    params: [r]
    returns: int32
    body: |
      return T.small[r] + T.mid[r] + T.small[T.next[r]]
state:
  i: {type: int32, init: 0}
  acc: {type: "int32[8]", init: 0}
  f: {type: float32, init: 0.0}
  b8: {type: int8, init: 0}
actions:
  go:
    params: {d: "0..7"}
    legal: T.flag[i + d - 9] or T.small[i + d - 9] != 0
    effect: |
      x = i + d - 9
      acc[0] = T.small[x] + T.mid[x]
      acc[1] = T.big[x] + (1 if T.flag[x] else 0)
      x = x + 3
      acc[2] = T.small[x] + T.kind[x]
      if T.flag[x]:
          x = x * 2 - 1
          acc[3] = T.mid[x]
      acc[4] = T.big[x] + T.next[T.next[x]] + T.mid[T.next[x]]
      for k in 0..3:
          x = x + k
          acc[5] += T.small[x] + T.mid[x - k]
      acc[6] = sum(j in 0..8: T.small[j - 2] * T.mid[j - 2]) + both(x) + both(d - 1)
      b8 = b8 + 1
      acc[7] = T.small[b8] + T.mid[b8] + T.big[d]
      f = f + T.weight[x] + T.weight[i - 7]
      i = (i + d) % 14
observe:
  type: "int32[2]"
  value: "[acc[0] + T.small[i - 3] + T.mid[i - 3], acc[6]]"
rewards: {range: [-1, 1], zero_sum: false}
max_steps: 60
"""


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("rows")
    (folder / "rows.csv").write_text(CSV)
    return pair(folder)(SPEC)


def legal_actions(py_env, seed: int, steps: int) -> list[int]:
    """A random run of legal actions on the reference (shorter if the episode ends)."""
    rng = np.random.default_rng(seed)
    s = py_env.init(np.asarray(jax.random.PRNGKey(seed)))
    out: list[int] = []
    for t in range(steps):
        legal = np.flatnonzero(np.asarray(s.legal_action_mask))
        if len(legal) == 0 or s.terminated or s.truncated:
            break
        out.append(int(rng.choice(legal)))
        s = py_env.step(s, out[-1], np.asarray(jax.random.PRNGKey(t)))
    return out


def test_rows_are_gathered_once_per_index(envs) -> None:
    jax_env, _ = envs
    code = Path(jax_env.module.__file__).read_text()
    assert "_ROWS_T = jnp.array(" in code and "_ROWS_T_F = jnp.array(" in code
    assert code.count("= _ROWS_T[x]") == 2  # x rebound at the top level: a second row, not the first


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backends_agree_on_row_reads_out_of_range(envs, seed: int) -> None:
    jax_env, py_env = envs
    actions = legal_actions(py_env, seed, 25)
    assert len(actions) >= 5
    play(jax_env, py_env, actions, seed)
