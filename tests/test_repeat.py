"""`repeat up to N while COND:` on every backend (JAX jitted and eager, the reference, C).

Its meaning (docs/language.md, Semantics: repeat): COND is evaluated before each
iteration, the failing check included, and at most N times; the block runs while it holds.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from pair import fault, pair, play

HEADS = """\
specc: 1
name: heads
players: 1
state:
  heads: {type: int32, init: 0}
  flips: {type: int32, init: 0}
  left: {type: int32, init: 5}
  ran: {type: int32, init: 0}
actions:
  flip_until_tails:
    effect: |
      n = 0
      repeat up to 16 while flip():
          n += 1
      heads = n
  count_down:
    params: {start: 0..4}
    effect: |
      left = start
      ran = 0
      repeat up to 3 while left > 0:
          left -= 1
          ran += 1
          if ran == 2:
              flips = roll(100)
observe: {type: "int32[2]", value: "[heads, left]"}
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return pair(tmp_path_factory.mktemp("repeat"))


def _heads_expected(seed: int, t: int) -> int:
    """What `repeat up to 16 while flip()` gives, computed from the documented keys: the
    condition's site draws fold_in(fold_in(step key, site), i) for iteration i."""
    key = jax.random.PRNGKey(seed)
    step_key = jax.random.fold_in(jax.random.fold_in(key, t + 1), np.uint32(0x80000000 | (t + 1)))
    n = 0
    for i in range(16):
        site_key = jax.random.fold_in(jax.random.fold_in(step_key, 1), i)
        if not int(jax.random.bits(site_key, (), np.uint32)) < 0x80000000:
            break
        n += 1
    return n


def test_flip_until_tails_counts_heads_on_every_backend(build) -> None:
    jax_env, py_env = build(HEADS)
    states = play(jax_env, py_env, [0] * 12, seed=3)  # lock-steps JAX (jit, eager), Python and C
    heads = [int(s["heads"]) for s in states[1:]]
    assert heads == [_heads_expected(3, t) for t in range(12)]
    assert max(heads) >= 1 and min(heads) == 0  # both outcomes of the first check happen here


@pytest.mark.parametrize(("start", "left", "ran"), [(0, 0, 0), (2, 0, 2), (3, 0, 3), (1, 0, 1)])
def test_condition_false_at_once_and_the_cap(build, start: int, left: int, ran: int) -> None:
    """COND false at once: zero iterations; the cap of 3 stops the loop even while COND holds."""
    jax_env, py_env = build(HEADS)
    s = play(jax_env, py_env, [1 + start])[1]
    assert (int(s["left"]), int(s["ran"])) == (left, ran)


def test_the_cap_stops_a_condition_that_still_holds(build) -> None:
    text = HEADS.replace("left = start", "left = start + 5")  # 5..8 left: 3 iterations, then the cap
    jax_env, py_env = build(text)
    s = play(jax_env, py_env, [1 + 2])[1]
    assert (int(s["left"]), int(s["ran"])) == (4, 3)


def test_chance_in_the_body_draws_per_iteration(build) -> None:
    jax_env, py_env = build(HEADS)
    rolled = {int(play(jax_env, py_env, [1 + 3], seed=seed)[1]["flips"]) for seed in range(6)}
    assert len(rolled) > 1 and all(0 <= r < 100 for r in rolled)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("repeat up to @@k while true:\n          pass", "N must be a constant integer"),
        ("repeat up to @@0 while true:\n          pass", "N must be at least 1, not 0"),
        ("repeat up to 3 while @@k:\n          pass", "a repeat condition must be a single bool"),
    ],
)
def test_bad_repeats_are_clear_errors(tmp_path, body: str, message: str) -> None:
    text = f"""\
specc: 1
name: bad
players: 1
state:
  x: {{type: int32, init: 0}}
actions:
  go:
    effect: |
      k = 2
      {body}
observe: {{type: "int32[1]", value: "[x]"}}
"""
    assert message in fault(text, tmp_path)
