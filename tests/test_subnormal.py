"""Subnormal floats in a hand-made state (docs/language.md, Semantics: subnormal floats): the
JAX step flushes only the fields whose subnormal bits would otherwise show
(specc/backends/subnormal.py), and every mode still gives the same bits as the reference and
C, which flush every field."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest
from test_semantics import MODES, Pair, value

import specc
from specc.backends.subnormal import fields_flushed_by_step
from specc.compiler import compile_spec

FIELDS = "abcdefghk"

SPEC = """\
specc: 1
name: subnormal_flow
players: 1
state:
{fields}
actions:
  go:
    effect: |
      a = a * 2.0
      b = sin(b) * 3.0
      c = sin(c)
      d = d * 1.0
      t = e
      e = t + 1.5
      f = 0.0 - f
      g = 0.0 ** g
      h = h ** 2
      if a > 1e30:
          terminate()
observe:
  type: "float32[9]"
  value: "[a, b, c, d, e, f, g, h, k]"
"""
TEXT = SPEC.format(fields="\n".join(f"  {n}: {{type: float32, init: 0.5}}" for n in FIELDS))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    folder = tmp_path_factory.mktemp("subnormal")
    (folder / "spec.yaml").write_text(TEXT)
    return Pair(*(specc.make(folder / "spec.yaml", backend=b, out_dir=folder / "out") for b in ("jax", "python", "c")))


def test_the_step_flushes_the_fields_whose_bits_would_show(tmp_path: Path) -> None:
    """a, b, e, h: read only through arithmetic (sin's value too, before `* 3.0`; e through the
    local t, then `+`). c: sin's value stored. d, f: a copy and a negation to XLA's simplifier.
    g: pow's exponent. k: never assigned, so copied."""
    (tmp_path / "spec.yaml").write_text(TEXT)
    assert fields_flushed_by_step(compile_spec(tmp_path / "spec.yaml").program) == list("cdfgk")
    assert fields_flushed_by_step(compile_spec("specs/cartpole.yaml").program) == []


def bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float32).view(np.uint32)


@pytest.mark.parametrize("sign", [1, -1])
def test_every_mode_gives_the_same_bits(pair: Pair, sign: int) -> None:
    tiny = np.float32(sign * 1e-40)
    start = {n: tiny for n in FIELDS}
    states = pair.run(0, **start)
    want = {n: bits(value(states["python"], n)) for n in FIELDS}
    zeros = [n for n in FIELDS if n not in "eg"]
    assert all(want[n] & np.uint32(0x7FFFFFFF) == 0 for n in zeros)  # zeros, of either sign
    assert want["e"] == bits(np.float32(1.5)) and want["g"] == bits(np.float32(1.0))  # 0 + 1.5, 0 ** 0
    for mode, state in states.items():
        for n in FIELDS:
            assert bits(value(state, n)) == want[n], (mode, n)
        assert np.array_equal(bits(value(state, "observation")), bits(value(states["python"], "observation"))), mode


def test_a_finished_episode_keeps_its_state_flushed(pair: Pair) -> None:
    key = jax.random.PRNGKey(0)
    tiny = np.float32(-1e-40)
    for mode in MODES:
        state = pair.start(mode, key, terminated=True, **{n: tiny for n in FIELDS})
        new = pair.step(mode, state, 0, key)
        for n in FIELDS:
            assert bits(value(new, n)) == bits(np.float32(-0.0)), (mode, n)
