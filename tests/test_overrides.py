"""`specc compile --set NAME=VALUE`: a variant of a spec with some constants given other values
(specc.make(..., overrides=...); `specc verify --generated DIR` reads them from DIR's manifest)."""

from __future__ import annotations

import json

import jax
import pytest

import specc
from specc.cli import main
from specc.errors import SpecError
from specc.loader import load, parse_overrides

SPEC = "specs/connect_four.yaml"
COUNTER = """\
specc: 1
name: counter
players: 1
constants:
  START: 3
  LIMIT: START * 2
state:
  n: {type: int32, init: START, range: [0, 100]}
actions:
  up:
    legal: n < LIMIT
    effect: n += 1
observe: {type: "int32[1]", value: "[n]"}
"""


def test_a_constant_takes_the_value_given(tmp_path):
    spec = tmp_path / "counter.yaml"
    spec.write_text(COUNTER)
    env = specc.make(spec, backend="python", out_dir=tmp_path / "own")
    variant = specc.make(spec, backend="python", out_dir=tmp_path / "five", overrides={"START": "5"})
    assert int(env.init(jax.random.PRNGKey(0)).n) == 3 and int(variant.init(jax.random.PRNGKey(0)).n) == 5
    # a constant defined from it follows (LIMIT = START * 2), and an expression may be the value
    s = variant.init(jax.random.PRNGKey(0))
    for _ in range(5):
        s = variant.step(s, 0)
    assert int(s.n) == 10 and not bool(s.legal_action_mask[0])
    assert load(spec, {"LIMIT": "START + 1"})[2].spec_hash != load(spec)[2].spec_hash


def test_unknown_names_and_bad_values_are_clear_errors():
    with pytest.raises(SpecError, match=r"--set ROW: the spec has no constant 'ROW' \(did you mean 'ROWS'\?\)"):
        load(SPEC, {"ROW": "5"})
    with pytest.raises(SpecError, match=r"unknown name 'COLZ'.*\(with --set ROWS=COLZ\)"):
        load(SPEC, {"ROWS": "COLZ"})
    with pytest.raises(SpecError, match="--set takes NAME=VALUE"):
        parse_overrides(["ROWS"])


def test_compile_set_needs_out_and_writes_the_variant(tmp_path, capsys):
    assert main(["compile", SPEC, "--set", "ROWS=5"]) == 2
    assert "--set compiles a variant of one spec: give it --out DIR" in capsys.readouterr().err
    out = tmp_path / "c4_5rows"
    assert main(["compile", SPEC, "--set", "ROWS=5", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["overrides"] == {"ROWS": "5"}
    assert (out / "reference.py").read_text() != specc.compiler.compile_spec(SPEC).files["reference.py"]
