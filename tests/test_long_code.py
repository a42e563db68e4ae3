"""Code as people write it: expressions over several lines in any YAML style, long
but ordinary code (a sum of 300 terms, an if/elif chain of 1,000 branches), and
5,000-statement effects, on both backends (JAX jitted and eager), with the right values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pair import fault, pair, play

from specc.backends import common
from specc.check_expr import Binding, Context, ExprChecker, Scope
from specc.compiler import compile_spec
from specc.ir import INT32
from specc.source import Source
from specc.syntax import parse_expr


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    """envs(text): the spec on the JAX and the Python backend, compiled once per module."""
    return pair(tmp_path_factory.mktemp("long"))

MULTILINE = """\
specc: 1
name: lines
players: 1
constants:
  K: |
    (1 +
     2) * 3     # a comment on the way: 9
  L: >
    K +
    1
state:
  x: {type: int32, init: 0}
  y: {type: "int32[3]", init: 0}
invariants:
  - |-
    x >= 0
    or x < 0
actions:
  go:
    legal: |
      x < 100 and
        (x >= 0 or  # never negative
         x < 0)
    effect: |
      x += K + L
      y = [x,
           x + 1,
           x + 2]
  stop:
    legal: >
      x >= 19
      and x < 1000
    effect: pass
observe:
  type: "int32[3]"
  value: |-
    [y[0],
     y[1] + K,
     y[2]]
"""


def test_expressions_span_lines_in_every_yaml_style(envs) -> None:
    jax_env, py_env = envs(MULTILINE)
    s = play(jax_env, py_env, [0, 0, 1])
    assert [t["x"].item() for t in s] == [0, 19, 38, 38]  # K = 9 and L = 10, formulas over lines
    assert s[2]["y"].tolist() == [38, 39, 40]
    assert [t["legal_action_mask"].tolist() for t in s[:3]] == [[True, False], [True, True], [True, True]]
    assert np.asarray(py_env.observe(py_env.step(py_env.init(np.zeros(2, np.uint32)), 0), 0)).tolist() == [19, 29, 21]
    assert py_env.module.invariants(py_env.init(np.zeros(2, np.uint32))).tolist() == [True]


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("         x < 0)", "         x < 0 +@@)", "syntax error: unexpected ')'"),
        ("(x >= 0 or  # never", "(x >= 0 or bogus @@x  # never", "syntax error: unexpected 'x'"),
        ("    K +\n    1\n", "    K +\n    @@kk\n", "unknown name 'kk'"),
        ("     y[1] + K,", "     @@y[1] + true,", "arithmetic '+' on a bool"),
        ("      x >= 19\n      and", "      x >= 19\n      and @@(", "'(' is never closed"),
    ],
)
def test_faults_in_multiline_expressions_keep_their_place(old: str, new: str, words: str, tmp_path: Path) -> None:
    assert MULTILINE.count(old) == 1
    message = fault(MULTILINE.replace(old, new), tmp_path)
    assert words in message, message


N_TERMS, N_BRANCHES = 300, 1000


def long_spec(terms: int = N_TERMS, branches: int = N_BRANCHES) -> str:
    """A guard, an effect and an observation each a flat sum of `terms` terms, and an
    if/elif chain of `branches` branches."""
    total = " + ".join(f"x[{i % 4}] * {i}" if i % 2 else f"{i} - x[{i % 4}]" for i in range(terms))
    chain = "\n".join(
        f"      {'if' if i == 0 else 'elif'} x[0] == {i}:\n          y = {3 * i}" for i in range(branches)
    )
    return f"""\
specc: 1
name: long
players: 1
state:
  x: {{type: "int32[4]", init: [1, 2, 3, 4]}}
  y: {{type: int32, init: 0}}
  total: {{type: int32, init: 0}}
actions:
  go:
    legal: {total} != 1
    effect: |
      total = {total}
{chain}
      else:
          y = -1
      x[0] += 7
observe:
  type: int32
  value: -({total})
"""


def flat_sum(x: list[int], terms: int = N_TERMS) -> int:
    return sum(x[i % 4] * i if i % 2 else i - x[i % 4] for i in range(terms))


def test_a_sum_of_300_terms_and_1000_elifs(envs) -> None:
    jax_env, py_env = envs(long_spec())
    s = play(jax_env, py_env, [0, 0, 0])
    xs = [[1, 2, 3, 4], [8, 2, 3, 4], [15, 2, 3, 4]]
    assert [t["total"].item() for t in s[1:]] == [flat_sum(x) for x in xs]
    assert [t["y"].item() for t in s[1:]] == [3, 24, 45]  # the branch x[0] == 1, then 8, then 15
    assert s[3]["observation"].item() == -flat_sum([22, 2, 3, 4])
    assert s[3]["legal_action_mask"].tolist() == [True]
    # past the last branch: the else
    spec = long_spec(10, 1000).replace("init: [1, 2, 3, 4]", "init: [995, 2, 3, 4]")
    s = play(*envs(spec), [0, 0])
    assert [t["y"].item() for t in s[1:]] == [2985, -1]


def test_generated_code_prints_chains_flat() -> None:
    """`a + b + c` is printed without a bracket per term (Python refuses 200 nested ones);
    `a - (b - c)` and mixed levels keep theirs."""
    from specc.backends.jax_backend import JaxExpr
    from specc.backends.python_backend import PyExpr

    def text(gen, src: str) -> str:
        ctx = Context(Source("t.yaml", src))
        scope = Scope([{n: Binding("local", INT32) for n in "abcd"}])
        e = ExprChecker(ctx, scope, "test", False).check(parse_expr(src, lambda line, col: None))
        return gen({}).gen(e)

    for gen in (JaxExpr, PyExpr):
        assert text(gen, "a + b - c + d") == "(a + b - c + d)"
        assert text(gen, "a * b // 3 % 5") == "(a * b // 3 % 5)"  # literal divisors: no zero guard
        if gen is JaxExpr:  # a literal power of 2: a mask (a shift for //)
            assert text(gen, "a * b // 3 % 4") == "jnp.bitwise_and(jnp.asarray((a * b // 3), jnp.int32), 3)"
        if gen is JaxExpr:  # c may be 0: the guarded helper (NumPy gives x // 0 == 0 itself)
            assert "_floordiv(" in text(gen, "a * b // c % d")
        assert text(gen, "a - (b - c)") == "(a - (b - c))"
        assert text(gen, "a * b + c * d - a") == "((a * b) + (c * d) - a)"
        assert text(gen, "(a + b) * c") == "((a + b) * c)"
        assert text(gen, "a ** b ** c").count("_ipow(") == 2  # right-assoc; a run-time exponent: exact helper


def test_genuinely_deep_nesting_is_refused_clearly(tmp_path: Path) -> None:
    deep = "x + (" * 120 + "x" + ")" * 120  # right-nested: each level a bracket deeper
    text = MULTILINE.replace("      x += K + L\n", f"      @@x += {deep}\n")  # the statement holding it
    assert "nests too deeply (more than 100 levels)" in fault(text, tmp_path)


def test_generated_code_is_formatted_the_same_every_time(tmp_path: Path) -> None:
    """Formatting (ruff's, with options fixed by specc) gives the same text twice, and
    what it gives is formatted (formatting it again changes nothing)."""
    body = "\n".join(f"      x[{i % 4}] = x[{(i * 3) % 4}] + {i % 7}" for i in range(60))
    spec = tmp_path / "many.yaml"
    spec.write_text(long_spec(5, 5).replace("      x[0] += 7\n", body + "\n"))
    first, second = compile_spec(spec).files, compile_spec(spec).files
    assert first == second
    for name in ("env.py", "reference.py"):
        assert common.format_python(first[name]) == first[name], name
    assert "    x = x.at[0].set(" in first["env.py"]


@pytest.mark.slow
def test_a_5000_statement_effect_compiles_in_seconds(tmp_path: Path) -> None:
    """The size the issue measured (82 s before, 36 s of CPU of it in black): now a few
    seconds of CPU (the parse and the check of 5,000 statements; ruff formats in well under
    one); CPU time of this process and its children (ruff), as the machine is shared."""
    import resource
    import time

    def cpu() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    lines = [
        f"      x[{i % 4}] = x[{(i * 3) % 4}] + {i % 7}" if i % 3 else f"      if x[{i % 4}] > 9:\n          y += 1"
        for i in range(5000)
    ]
    spec = tmp_path / "big.yaml"
    spec.write_text(long_spec(3, 3).replace("      x[0] += 7\n", "\n".join(lines) + "\n"))
    start = cpu()
    files = compile_spec(spec).files
    assert cpu() - start < 30
    assert files["env.py"].count("\n") > 5000
