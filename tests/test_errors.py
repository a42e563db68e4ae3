"""Bad input: every fault a person can make in a spec or on the command line ends as
one line `FILE:LINE:COL: what is wrong` on stderr, exit code 2, no traceback, and
nothing written.

Each case takes a small valid spec (VALID), breaks one thing, and marks the exact
place of the fault with "@@" (removed before the file is written), so the expected
line and column sit next to the fault itself, also inside expression strings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from specc.cli import main

MARK = "@@"

VALID = """\
specc: 1
name: counter
players: 2
constants:
  LIMIT: 5
  TABLE: [1, 2, 3]
enums:
  Color: [red, green, blue]
state:
  total: {type: int8, init: 0, range: [0, 100]}
  flag: {type: bool, init: false}
  cells: {type: "int8[3]", init: 0}
procedures:
  bump:
    params: [amount]
    body: |
      total += amount
actions:
  add:
    params: {n: "1..3"}
    legal: total + n <= LIMIT
    effect: |
      bump(n)
      if total >= LIMIT:
          if flag:
              win(current_player)
      current_player = 1 - current_player
  paint:
    params: {c: Color}
    legal: "not flag"
    effect: |
      cells[c] = 1
      flag = true
observe:
  type: "int32[3]"
  value: "[total, cells[0], current_player]"
"""


def broken(old: str, new: str) -> str:
    """VALID with `old` replaced by `new` (which carries the @@ mark); exactly one match."""
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def position(marked: str) -> tuple[str, int, int]:
    """The text without its mark, and the mark's 1-based line and column."""
    at = marked.index(MARK)
    line = marked.count("\n", 0, at) + 1
    col = at - (marked.rfind("\n", 0, at) + 1) + 1
    return marked.replace(MARK, "", 1), line, col


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """specc's CLI in-process: (exit code, stdout, stderr). argparse faults exit via SystemExit."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), f"want exactly one line on stderr, got {err!r}"
    return lines[0]


def assert_fails(spec: Path, line: int, col: int, words: str, capsys, tmp_path: Path) -> None:
    """`specc check` and `specc compile --out` both refuse `spec` at line:col, and write nothing."""
    out_dir = tmp_path / "out"
    for args in (["check", str(spec)], ["compile", str(spec), "--out", str(out_dir)]):
        code, out, err = run_cli(args, capsys)
        message = assert_one_line(err)
        assert code == 2, (args, err)
        assert message.startswith(f"{spec}:{line}:{col}: "), f"want {spec}:{line}:{col}:, got {message!r}"
        assert words in message, message
        assert out == "", out
    assert not out_dir.exists() or not any(out_dir.iterdir()), "a failed compile wrote files"


# (id, old text in VALID, new text with the fault marked by @@, words the message must hold)
SPEC_FAULTS = [
    # ---- malformed YAML: PyYAML notices at the ':' after the unclosed flow sequence
    ("yaml-unclosed-flow", "players: 2\nconstants:", "players: [2\nconstants@@:", "malformed YAML"),
    ("yaml-tab-indent", "  LIMIT: 5\n", "@@\tLIMIT: 5\n", "malformed YAML"),
    ("yaml-bad-mapping", "  LIMIT: 5\n", "  LIMIT: 5\n  X: a@@: b: c\n", "malformed YAML"),
    ("yaml-duplicate-key", "  LIMIT: 5\n", "  LIMIT: 5\n  @@LIMIT: 6\n", "duplicate key 'LIMIT'"),
    ("yaml-bool-key", "  flag: {type", "  @@yes: {type", "quote it"),
    ("yaml-unknown-tag", "  LIMIT: 5\n", "  LIMIT: @@!!python/object:os.system 5\n", "malformed YAML value"),
    # ---- structure
    ("unknown-top-level-key", "players: 2\n", "players: 2\n@@playerz: 3\n", "unknown key 'playerz'"),
    ("unknown-field-key", "flag: {type: bool, init: false}", "flag: {type: bool, @@intt: false}", "unknown key 'intt'"),
    ("missing-observe", "specc: 1", "@@specc: 1", "needs 'observe'"),  # observe removed below
    ("missing-field-type", "total: {type: int8, init: 0, range: [0, 100]}", "total: @@{init: 0}", "needs 'type'"),
    ("wrong-kind-of-value", "players: 2", "players: @@two", "players"),
    ("section-not-a-mapping", "total: {type: int8, init: 0, range: [0, 100]}", "total: @@[1]", "expected a mapping"),
    ("bad-type-string", 'cells: {type: "int8[3]"', 'cells: {type: @@"int9[3]"', "bad type 'int9[3]'"),
    ("constant-bad-type", "  LIMIT: 5\n", "  LIMIT: 5\n  X: {type: @@int9, value: 3}\n", "bad type 'int9'"),
    ("range-reversed", "range: [0, 100]", "range: @@[100, 0]", "[low, high]"),
    ("enum-repeats-member", "Color: [red, green, blue]", "Color: [red, green, @@red]", "repeats the member 'red'"),
    # ---- unknown names
    ("unknown-name-guard", "legal: total + n", "legal: @@totl + n", "unknown name 'totl' (did you mean 'total'?)"),
    ("unknown-name-quoted-guard", 'legal: "not flag"', 'legal: "not @@flg"', "unknown name 'flg'"),
    (
        "unknown-name-deep-in-block",
        "              win(current_player)",
        "              win(@@curent_player)",
        "unknown name 'curent_player'",
    ),
    ("unknown-name-procedure-body", "      total += amount", "      total += @@amont", "unknown name 'amont'"),
    ("unknown-name-observe", "[total, cells[0], current_player]", "[total, cells[0], @@player0]", "'player0'"),
    (
        "unknown-name-multi-line-plain-scalar",  # YAML folds the two lines into one string
        "legal: total + n <= LIMIT",
        "legal: total + n\n      <= LIMIT and @@frob",
        "unknown name 'frob'",
    ),
    (
        "unknown-name-multi-line-quoted-scalar",
        'legal: "not flag"',
        'legal: "not flag\n      and not @@flg"',
        "unknown name 'flg'",
    ),
    ("unknown-enum-member", "      cells[c] = 1", "      cells[c] = @@Color.purple", "no member 'purple'"),
    (
        "field-init-uses-a-field",
        'cells: {type: "int8[3]", init: 0}',
        'cells: {type: "int8[3]", init: "@@total"}',
        "init",
    ),
    # ---- type errors
    ("assign-bool-to-int8", "      flag = true", "      total = @@true", "cannot assign bool to 'total' of type int8"),
    ("add-bool-to-int", "      flag = true", "      total = @@total + flag", "arithmetic '+' on a bool"),
    ("assign-float-to-int", "      flag = true", "      total = @@1.5", "cannot assign float32"),
    ("guard-not-bool", "legal: total + n <= LIMIT", "legal: @@total + n", "a guard must be a single bool"),
    ("not-of-int", 'legal: "not flag"', 'legal: "@@not total"', "'not' needs a bool"),
    ("if-on-int", "      if total >= LIMIT:", "      if @@total:", "an if condition must be a single bool"),
    ("shapes-differ", "      flag = true", "      flag = any(@@cells + [1, 2] > 0)", "shapes [3] and [2] do not match"),
    ("assign-to-constant", "      flag = true", "      @@LIMIT = 3", "cannot assign to 'LIMIT' (a constant)"),
    ("assign-to-parameter", "      flag = true", "      @@c = 2", "(an action parameter)"),
    ("chance-in-guard", 'legal: "not flag"', 'legal: "@@flip()"', "chance (flip) is not allowed"),
    ("outcome-in-init", "procedures:", "init: |\n  @@win(0)\nprocedures:", "win() is not allowed in init"),
    # ---- syntax errors inside expression strings
    ("syntax-one-line", "legal: total + n <= LIMIT", "legal: total + @@* n <= LIMIT", "syntax error: unexpected '*'"),
    ("syntax-quoted", 'legal: "not flag"', 'legal: "not flag@@)"', "syntax error: unexpected ')'"),
    ("syntax-end-of-text", "legal: total + n <= LIMIT", "legal: total + n <=@@", "unexpected end of text"),
    ("syntax-in-block", "      cells[c] = 1", "      cells[c] = @@= 1", "syntax error: unexpected '='"),
    ("syntax-unclosed-bracket", "      flag = true", "      flag = cells@@[0 > 1", "'[' is never closed"),
    (
        "syntax-unclosed-call-spills-over",  # the next line joins the open call: blame the '('
        "      flag = true",
        "      flag = any@@(i in 0..3: true\n      flag = true",
        "'(' is never closed",
    ),
    (
        "syntax-inside-a-bracket-spanning-lines",  # the open '(' is fine: it closes later
        "      flag = true",
        "      flag = any(i in 0..3:\n              i + @@* 2 > 0)",
        "syntax error: unexpected '*'",
    ),
    ("syntax-missing-colon", "      if total >= LIMIT:", "      if total >= LIMIT@@", "unexpected line break"),
    ("syntax-unexpected-indent", "      flag = true", "      flag = true\n          @@flag = false", "indentation"),
    (
        "syntax-bad-dedent",
        "          if flag:\n              win(current_player)",
        "          if flag:\n              win(current_player)\n        @@flag = true",
        "indentation matches no enclosing block",
    ),
    ("syntax-unicode-name", "      flag = true", "      flag = t@@ötal > 0", "unexpected character 'ö'"),
    ("syntax-in-constant", "  LIMIT: 5\n", "  LIMIT: 5\n  X: 1 @@2\n", "syntax error"),
    # ---- constants out of range
    ("init-300-for-int8", "init: 0, range: [0, 100]", "init: @@300", "300 is out of range for 'total' of type int8"),
    ("init-list-item-300", "init: 0}\nprocedures", "init: [1, 2, @@300]}\nprocedures", "300 is out of range"),
    ("assign-outside-declared-range", "      flag = true", "      total = @@101", "out of the declared range [0, 100]"),
    ("typed-constant-300", "  LIMIT: 5\n", "  LIMIT: 5\n  X: {type: int8, value: @@300}\n", "300 is out of range"),
    ("literal-does-not-fit-int8", "      flag = true", "      total = total + @@300", "300 does not fit in int8"),
    ("compare-with-unfittable", "      flag = true", "      flag = total == @@1000", "1000 does not fit in int8"),
    ("literal-beyond-int32", "      flag = true", "      flag = c < @@3000000000", "does not fit in int32"),
    ("constant-division-by-zero", "  LIMIT: 5\n", "  LIMIT: 5\n  X: @@1 // 0\n", "division by zero"),
    ("int-negative-power", "      flag = true", "      total = total ** @@-1", "negative power"),
    # ---- action parameters
    ("domain-unknown-bound", 'params: {n: "1..3"}', 'params: {n: "0..@@x"}', "unknown name 'x'"),
    ("domain-not-a-range", 'params: {n: "1..3"}', 'params: {n: @@"abc"}', "bad parameter domain 'abc'"),
    ("domain-empty", 'params: {n: "1..3"}', 'params: {n: @@"3..3"}', "empty parameter domain 3..3"),
    ("domain-float-bound", 'params: {n: "1..3"}', 'params: {n: "@@1.5..3"}', "constant integer"),
    ("domain-bool", 'params: {n: "1..3"}', "params: {n: @@true}", "expected a string or a whole number, not true"),
    ("param-reserved-name", 'params: {n: "1..3"}', 'params: {@@player: "1..3"}', "'player' is reserved"),
    ("param-duplicates-field", 'params: {n: "1..3"}', 'params: {@@total: "1..3"}', "'total' is already defined"),
    ("param-of-another-action", "      flag = true", "      flag = @@n > 0", "a parameter of action 'add'"),
    # ---- functions, indices, shapes, procedures
    ("unknown-function", "      flag = true", "      flag = @@frob(1) > 0", "unknown function 'frob'"),
    ("unknown-statement", "      flag = true", "      @@frobnicate(1)", "unknown statement 'frobnicate'"),
    ("wrong-argument-count", "      flag = true", "      flag = @@abs(1, 2) > 0", "abs() takes 1 argument(s), got 2"),
    ("procedure-argument-count", "      bump(n)", "      @@bump(n, 2)", "bump() takes 1 argument(s), got 2"),
    ("outcome-argument-count", "win(current_player)", "@@win()", "win() takes 1 argument(s), got 0"),
    (
        "index-out-of-range",
        "      cells[c] = 1",
        "      cells[@@3] = 1",
        "index 3 is out of range for axis 0 of size 3",
    ),
    ("index-out-of-range-in-observe", "cells[0], current", "cells[@@5], current", "index 5 is out of range"),
    ("too-many-indices", "      cells[c] = 1", "      @@cells[c, 0] = 1", "too many indices"),
    ("observation-shape", 'value: "[total', 'value: "@@[total', "observe.type says int32[4]"),  # type edited below
    ("recursion", "      total += amount", "      total += amount\n      @@bump(amount)", "recursion is not allowed"),
    # a flat sum of 150 terms is fine (tests/test_long_code.py); 150 nested ones are not
    ("nesting-too-deep", "      flag = true", "      @@total = " + "1 + (" * 150 + "1" + ")" * 150, "nests too deeply"),
    # ---- names the generated Python would choke on: keywords, its own globals and helpers, State's methods
    ("name-python-keyword", "  LIMIT: 5\n", "  LIMIT: 5\n  @@class: 3\n", "'class' is reserved"),
    ("name-None", "  LIMIT: 5\n", "  LIMIT: 5\n  @@None: 3\n", "'None' is reserved"),
    ("name-generated-global", "  LIMIT: 5\n", "  LIMIT: 5\n  @@State: 3\n", "'State' is reserved"),
    ("field-named-replace", "  flag: {type: bool", "  @@replace: {type: bool", "'replace' is reserved"),
    ("param-python-keyword", 'params: {n: "1..3"}', 'params: {@@lambda: "1..3"}', "'lambda' is reserved"),
    ("name-leading-underscore", "  LIMIT: 5\n", "  LIMIT: 5\n  @@_KIND: 3\n", "names starting with _ are reserved"),
    ("local-leading-underscore", "      cells[c] = 1", "      @@_roll = 1\n      cells[c] = 1", "'_roll' is reserved"),
    ("range-nan", "range: [0, 100]", "range: @@[0, .nan]", "bounds must be numbers, not NaN"),
]

EXTRA_EDITS = {  # a second edit some cases need besides the marked one
    "missing-observe": ('observe:\n  type: "int32[3]"\n  value: "[total, cells[0], current_player]"\n', ""),
    "observation-shape": ('type: "int32[3]"', 'type: "int32[4]"'),
}


@pytest.mark.parametrize(("old", "new", "words"), [c[1:] for c in SPEC_FAULTS], ids=[c[0] for c in SPEC_FAULTS])
def test_spec_fault(old: str, new: str, words: str, request, capsys, tmp_path: Path) -> None:
    text = broken(old, new)
    extra = EXTRA_EDITS.get(request.node.callspec.id)
    if extra:
        assert text.count(extra[0]) == 1
        text = text.replace(*extra)
    text, line, col = position(text)
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert_fails(spec, line, col, words, capsys, tmp_path)


def test_valid_spec_passes(capsys, tmp_path: Path) -> None:
    """The base of every case above is itself fine, so each case tests its one fault."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(VALID)
    code, out, err = run_cli(["check", str(spec)], capsys)
    assert code == 0 and err == "" and "ok" in out


# ---- faults of the file itself, at a fixed place


@pytest.mark.parametrize(
    ("data", "line", "col", "words"),
    [
        (b"", 1, 1, "the spec is empty"),
        (b"  \n\n\t \n", 1, 1, "the spec is empty"),
        (b"# only a comment\n", 1, 1, "the spec is empty"),
        (b"specc: 1\nname: x\x00\x01\x02", 2, 8, "binary data"),  # the first NUL byte
        (b"specc: 1\nname: caf\xe9\n", 2, 10, "not a UTF-8 text file"),  # Latin-1 e-acute
        (
            "specc: 1\nname: \u00e9t\u00e9 ".encode() + b"\xff\n",
            2,
            11,
            "not a UTF-8 text file",
        ),  # columns count characters
        (b"- just\n- a list\n", 1, 1, "must be a YAML mapping"),
        (b"hello\n", 1, 1, "must be a YAML mapping"),
    ],
    ids=[
        "empty",
        "whitespace-only",
        "comment-only",
        "binary",
        "not-utf8",
        "not-utf8-after-utf8",
        "list-at-top",
        "scalar-at-top",
    ],
)
def test_file_fault(data: bytes, line: int, col: int, words: str, capsys, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(data)
    assert_fails(spec, line, col, words, capsys, tmp_path)


def test_missing_file(capsys, tmp_path: Path) -> None:
    assert_fails(tmp_path / "nope.yaml", 1, 1, "no such file", capsys, tmp_path)


def test_directory_instead_of_file(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    assert_fails(folder, 1, 1, "is a directory", capsys, tmp_path)


def test_one_bad_spec_among_several_writes_nothing(capsys, tmp_path: Path, monkeypatch) -> None:
    """`specc compile good bad` checks all before writing any: the good one is not written either."""
    monkeypatch.chdir(tmp_path)  # the default output folder, generated/, is relative
    Path("good.yaml").write_text(VALID)
    Path("bad.yaml").write_text(VALID.replace("legal: total + n", "legal: totl + n"))
    code, _, err = run_cli(["compile", "good.yaml", "bad.yaml"], capsys)
    assert code == 2 and assert_one_line(err).startswith("bad.yaml:21:12: unknown name 'totl'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "good.yaml"]


# ---- command-line faults


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["bench", "{spec}", "--batch", "x"], "--batch: expected comma-separated whole numbers"),
        (["bench", "{spec}", "--batch", "0"], "batch sizes must be positive"),
        (["bench", "{spec}", "--steps", "many"], "--steps: invalid int value"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required: command"),
        (["check"], "required: spec"),
        (["compile", "{spec}", "--bogus"], "unrecognized arguments: --bogus"),
        (["verify", "{spec}", "--seed", "-1"], "--seed: must be 0 or more, got '-1'"),
        (["verify", "{spec}", "--examples", "0"], "--examples: must be at least 1, got '0'"),
        (["verify", "{spec}", "--train-seeds", "0"], "--train-seeds: must be at least 1"),
        (["verify", "{spec}", "--train-budget", "nan"], "--train-budget: must be a positive number of seconds"),
        (["replay", "{spec}", "--episode", "-1"], "--episode: must be 0 or more, got '-1'"),
        (["play", "{spec}", "--seed", "-5"], "--seed: must be 0 or more, got '-5'"),
        (["mutate", "{spec}", "--examples", "-3"], "--examples: must be at least 1, got '-3'"),
        (["bench", "{spec}", "--python-seconds", "-1"], "--python-seconds: must be a positive number of seconds"),
        (["train", "{spec}", "--time-budget", "0"], "--time-budget: must be a positive number of seconds, got '0'"),
        (["train", "{spec}", "--total-steps", "0"], "--total-steps: must be at least 1, got '0'"),
    ],
    ids=[
        "batch-not-a-number",
        "batch-zero",
        "steps-not-a-number",
        "unknown-command",
        "no-command",
        "no-spec",
        "unknown-flag",
        "verify-negative-seed",
        "verify-no-examples",
        "verify-no-train-seeds",
        "verify-nan-budget",
        "replay-negative-episode",
        "play-negative-seed",
        "mutate-negative-examples",
        "bench-negative-python-seconds",
        "train-no-time",
        "train-no-steps",
    ],
)
def test_bad_cli_argument(args: list[str], words: str, capsys, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(VALID)
    code, out, err = run_cli([a.format(spec=spec) for a in args], capsys)
    message = assert_one_line(err)
    assert code == 2 and message.startswith("specc") and "error:" in message and words in message, message


def test_compile_out_is_a_file(capsys, tmp_path: Path) -> None:
    """An output path that cannot be a folder is the user's fault too: one line, exit 2."""
    spec, out = tmp_path / "spec.yaml", tmp_path / "taken"
    spec.write_text(VALID)
    out.write_text("not a folder")
    code, _, err = run_cli(["compile", str(spec), "--out", str(out)], capsys)
    assert code == 2 and assert_one_line(err).startswith(str(out))


def test_two_specs_with_one_name_are_refused_both_named(capsys, tmp_path: Path, monkeypatch) -> None:
    """The second would overwrite the first's generated/NAME/ (and --check then call it stale)."""
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(VALID)
    Path("b.yaml").write_text(VALID.replace("LIMIT: 5", "LIMIT: 6"))
    for extra in ([], ["--check"]):
        code, out, err = run_cli(["compile", *extra, "a.yaml", "b.yaml"], capsys)
        message = assert_one_line(err)
        assert code == 2 and out == "", err
        assert message == ("b.yaml:2:7: name 'counter' is also the name of a.yaml: both would compile into "
                           "generated/counter/ (rename one, or compile each with --out)")  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]
    code, out, err = run_cli(["compile", "a.yaml", "./a.yaml", str(tmp_path / "a.yaml")], capsys)
    assert code == 0 and err == "" and out.count("wrote") == 1, out  # one file named three ways: compiled once


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "{spec}", "--level", "3", "--against", "pgx:nope"], "pgx:nope: pgx has no environment 'nope'"),
        (["verify", "{spec}", "--level", "3", "--against", "gymnax:nope"], "gymnax:nope: gymnax has no environment"),
        (["verify", "{spec}", "--level", "3", "--against", "openspiel:nope"], "openspiel:nope: openspiel has no game"),
        (["bench", "{spec}", "--vs", "pgx:nope"], "pgx:nope: pgx has no environment 'nope'"),
        (["verify", "{spec}", "--level", "4", "--against", "openspiel:kuhn_poker"],
         "level 4 compares against pgx:ID or gymnax:ID, not 'openspiel:kuhn_poker'"),
    ],
    ids=["verify-pgx", "verify-gymnax", "verify-openspiel", "bench-pgx", "level-4-openspiel"],
)  # fmt: skip
def test_unknown_outside_implementation(args: list[str], message: str, capsys, tmp_path: Path, monkeypatch) -> None:
    """Each library raises its own error for an unknown id (and pyspiel prints all its games):
    one line naming it, before any level runs or anything is compiled."""
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(VALID)
    code, _, err = run_cli([a.format(spec="spec.yaml") for a in args], capsys)
    assert code == 2 and assert_one_line(err) == message if message.endswith("'") else message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


@pytest.mark.parametrize("value", ["[1, 2]", "x", "[1, 2, 300]"], ids=["wrong-shape", "not-a-number", "overflow"])
def test_a_scenario_setup_that_does_not_fit_its_field(value: str, capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    text, line, col = position(VALID + f"scenarios:\n  - name: odd\n    setup: {{cells: @@{value}}}\n")
    Path("spec.yaml").write_text(text)
    code, _, err = run_cli(["verify", "spec.yaml", "--level", "2"], capsys)
    shown = repr(yaml.safe_load(value))
    want = f"spec.yaml:{line}:{col}: scenario 'odd': setup cells: {shown} does not fit int8[3]"
    assert code == 2 and assert_one_line(err) == want, err


def test_bench_on_a_game_that_gets_stuck(capsys, tmp_path: Path, monkeypatch) -> None:
    """VALID can reach a state with no legal action before its end (total at LIMIT, flag set,
    no win): bench's Python timing says so instead of failing to draw from no actions."""
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(VALID)
    args = ["bench", "spec.yaml", "--batch", "1", "--steps", "10", "--repeats", "1", "--python-seconds", "0.1"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and assert_one_line(err).startswith("counter: a game has no legal action before its end"), err


def test_a_checkpoint_that_is_not_one_or_for_another_game(capsys, tmp_path: Path, monkeypatch) -> None:
    import flax.serialization
    import jax

    from specc.policy import init_params

    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(VALID)  # 3 observation features, 5 actions
    Path("notes.txt").write_text("not a checkpoint")
    params = init_params(jax.random.PRNGKey(0), 2, (4,), (8,))  # CartPole's shapes
    Path("cartpole.msgpack").write_bytes(flax.serialization.to_bytes(params))
    for args, message in [
        (["play", "spec.yaml", "--opponent", "notes.txt"],
         "notes.txt: not a policy checkpoint written by `specc train`"),
        (["play", "spec.yaml", "--opponent", "cartpole.msgpack"],
         "cartpole.msgpack: a policy for 4 observation features and 2 actions; counter has 3 and 5"),
        (["verify", "spec.yaml", "--level", "4", "--checkpoint", "cartpole.msgpack"],
         "cartpole.msgpack: a policy for 4 observation features and 2 actions; counter has 3 and 5"),
    ]:  # fmt: skip
        code, _, err = run_cli(args, capsys)
        assert code == 2 and assert_one_line(err) == message, err


# ---- the real program, as a user runs it: no traceback from the interpreter either


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["check", "{bad}"], "{bad}:21:12: unknown name 'totl'"),
        (["compile", "{binary}", "--out", "{out}"], "{binary}:1:9: not a text file"),
        (["bench", "{bad}", "--batch", "x"], "specc bench: error: argument --batch"),
    ],
    ids=["unknown-name", "binary-file", "bad-argument"],
)
def test_subprocess(args: list[str], prefix: str, tmp_path: Path) -> None:
    paths = {"bad": tmp_path / "bad.yaml", "binary": tmp_path / "bin.yaml", "out": tmp_path / "out"}
    paths["bad"].write_text(VALID.replace("legal: total + n", "legal: totl + n"))
    paths["binary"].write_bytes(b"specc: 1\x00")
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("SPECC_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "specc.cli", *(a.format(**paths) for a in args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    message = assert_one_line(proc.stderr)
    assert proc.returncode == 2, proc.stderr
    assert message.startswith(prefix.format(**paths)), message
    assert not paths["out"].exists() or not any(paths["out"].iterdir())
