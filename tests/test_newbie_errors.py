"""What a newcomer's mistakes and edge values found (tests/test_newbie_liars_dice.py has the game):
literals that would wrap where they land, clear messages for bools mixed with numbers, procedure
locals named as written, two backend divergences (fixed: where() of literals on JAX, weak int32
arithmetic in the reference) and a level-1 gap (fixed: the legal mask is checked for hidden information)."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from pair import NATIVE, fault, pair, play

SPEC = """\
specc: 1
name: edges
players: 2
state:
  x: {{type: int32, init: 5}}
  h: {{type: "int8[2]", init: [3, 4], range: [-128, 120]}}
  z: {{type: "int32[3]", init: 0}}
procedures:
  twice:
    params: [h]
    returns: int32
    body: |
      return h * 2
actions:
  go:
    effect: |
      {body}
observe: {{type: "int32[1]", value: "[x]"}}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # a literal takes the dtype it lands in and must fit it, also inside an array literal or a
        # literal-only value (it used to wrap: [1, 300] stored 1, 44)
        ("h = [1, @@300]", "300 is out of range for 'h' of type int8 (-128..127)"),
        ("h = [@@-200, 1]", "-200 is out of range for 'h' of type int8"),
        ("h = [1, @@121]", "121 is out of the declared range [-128, 120] of 'h'"),
        ("h[0] = (@@200 if x > 0 else 0) // h[1]", "200 does not fit in int8 (-128..127), the type it is used as here"),
        ("h[0] = 3 if x > 0 else @@999", "999 is out of range for 'h' of type int8"),
        # abs, min, max and clip of literals are computed when checked, as a + b is
        ("h[0] = @@abs(-128) + h[0]", "128 does not fit in int8"),
        ("h[0] = @@max(200, 0) + h[0]", "200 does not fit in int8"),
        ("h[0] = @@clip(200, 0, 300) // h[1]", "200 does not fit in int8"),
        ("x = @@abs(-2147483647 - 1) + x", "2147483648 does not fit in int32"),
        # a bool with a number: named by what joins them, not as an arithmetic '+' nobody wrote
        ("z = [1, 2, @@x > 0]", "an array literal needs all bools or all numbers, not int32 and bool"),
        ("x = @@where(x > 0, true, 1)", "where() needs all bools or all numbers, not bool and int32"),
        ("x = clip(@@true, 0, 1)", "clip() needs a number, not bool"),
        ("x = stack(z, @@z > 0)[0, 0]", "stack() needs all bools or all numbers, not int32[3] and bool[3]"),
        ("x = @@True", "unknown name 'True' (specc's bools are true and false)"),
        ("x = @@z.size", "'z' is a value, not an enum or a table: z.size means nothing"),
        ("x = @@Colour.red", "unknown enum or table 'Colour'"),
    ],
)
def test_newcomer_mistakes_are_clear_errors(tmp_path, body: str, message: str) -> None:
    assert message in fault(SPEC.format(body=body), tmp_path)


def test_a_procedure_parameter_is_named_as_written(tmp_path) -> None:
    """twice's parameter h (shadowing the field h) is an int32 scalar; indexing it is the fault,
    and the message names it h, not the hidden name the compiler gives the local."""
    text = SPEC.format(body="x = twice(x)").replace("return h * 2", "return @@h[0] * 2")
    got = fault(text, tmp_path)
    assert got.startswith("too many indices: 'h' has type int32 (in twice(h: int32), called at "), got


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return pair(tmp_path_factory.mktemp("newbie"))


def _after(build, body: str) -> dict[str, np.ndarray]:
    """The state after one `go` on every backend (play() checks that they agree)."""
    jax_env, py_env = build(SPEC.format(body=body))
    return play(jax_env, py_env, [0])[1]


def test_signed_and_folded_literals_on_every_backend(build) -> None:
    s = _after(build, "z = [-2147483648, abs(-5) * x, clip(-5, 0, 100)]\n      h = [-128, max(7, -3)]")
    assert s["z"].tolist() == [-(2**31), 25, 0] and s["h"].tolist() == [-128, 7]


def test_a_literal_only_value_that_fits_means_the_same_everywhere(build) -> None:
    s = _after(build, "h[0] = (100 if x > 0 else -1) // h[1]\n      h[1] = where(x > 0, 100, 0) // h[0]")
    assert s["h"].tolist() == [25, 4]  # 100 // 4, then 100 // 25


def _each_backend(build, body: str) -> dict[str, list[int]]:
    """h and x after one `go` on each backend separately (they may disagree: that is the bug)."""
    jax_env, py_env = build(SPEC.format(body=body))
    key = jax.random.PRNGKey(0)
    out = {"jit": jax.jit(jax_env.step)(jax_env.init(key), 0, key), "eager": jax_env.step(jax_env.init(key), 0, key)}
    out["python"] = py_env.step(py_env.init(np.asarray(key)), 0, np.asarray(key))
    c_env = NATIVE[id(py_env)]
    out["c"] = c_env.step(c_env.init(np.asarray(key)), 0, np.asarray(key))
    return {name: np.asarray(s.h).tolist() + [int(s.x)] for name, s in out.items()}


def test_where_of_literals_keeps_the_ir_dtype_on_jax(build) -> None:
    """where() of two literals is int32 in the IR: 200 // 3 = 66 (JAX kept jnp.where's weak type,
    so 200 wrapped into h's int8 first: -56 // 3 = -19)."""
    got = _each_backend(build, "h[0] = where(x > 0, 200, 0) // h[0]")
    assert got == {name: [66, 4, 5] for name in ("jit", "eager", "python", "c")}, got


def test_literal_only_int32_arithmetic_wraps_on_the_reference(build) -> None:
    """Weak integers are int32 and wrap: 4000000000 is -294967296, // 3 (the reference
    computed in Python ints, which never wrap)."""
    got = _each_backend(build, "x = ((2000000000 if x > 0 else 0) + (2000000000 if x > 0 else 0)) // 3")
    assert got == {name: [3, 4, -98322432] for name in ("jit", "eager", "python", "c")}, got


def test_level_1_catches_a_legal_mask_that_shows_a_hidden_hand(tmp_path) -> None:
    """A guard that reads the foe's hidden hand leaks it through the legal mask the mover is
    handed: level 1 scrambles what the mover may not see and compares the mask."""
    from pathlib import Path

    from specc.cli import main

    spec = Path(__file__).resolve().parent / "data" / "newbie" / "peek_mask.yaml"
    out, report = tmp_path / "gen", tmp_path / "r.json"
    assert main(["compile", str(spec), "--out", str(out)]) == 0
    args = ["--level", "1", "--backends", "python", "--examples", "5", "--generated", str(out), "--report", str(report)]
    assert main(["verify", str(spec), *args]) == 1


SCENARIO = """\
specc: 1
name: scen
players: 2
state:
  h: {type: "int8[2]", init: 0}
actions:
  go:
    params: {n: "0..3"}
    effect: h[0] = n
observe: {type: "int8[2]", value: h}
scenarios:
  - name: odd
"""


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ('    play: [@@"go(3)"]', "scenario 'odd': parameter n of go must be in 0..3 (half-open), got 3"),
        ('    play: [@@"og(1)"]', "scenario 'odd': unknown action kind 'og' (kinds: go)"),
        ("    play: [@@4]", "scenario 'odd': action 4 is out of range 0..2"),
        ("    setup: {hh: @@[1, 2]}", "scenario 'odd': unknown field 'hh' in setup"),
        ("    setup: {h: @@[1, 300]}", "scenario 'odd': setup h: [1, 300] does not fit int8[2]"),
        ("    expect: {h: @@[1, 2, 3]}", "scenario 'odd': expect h: [1, 2, 3] does not fit int8[2]"),
        ("    expect: {hx: @@1}", "scenario 'odd': unknown field 'hx' in expect"),
        ('    expect: {legal: @@"go(1)"}', "scenario 'odd': expect legal is a list of actions, not 'go(1)'"),
        ('    expect: {illegal: [@@"go(x)"]}', "scenario 'odd': parameter n of go must be a whole number, got 'x'"),
    ],
)
def test_a_scenario_typo_is_a_spec_fault_when_checked(tmp_path, scenario: str, message: str) -> None:
    """specc check and compile (every load) check the scenarios, not only specc verify's level 2."""
    assert fault(SCENARIO + scenario + "\n", tmp_path) == message
