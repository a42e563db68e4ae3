"""What both backends share: the flat action table, emitted-code helpers, formatting."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jinja2

from .. import choices, ir

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # package data
OUTCOME_VARS = ("rewards", "terminated", "truncated")
_FORMAT = [True]  # render() formats with ruff unless inside unformatted()


@contextlib.contextmanager
def unformatted() -> Iterator[None]:
    """Generate code without formatting inside this block: the same code, faster (the fuzzer
    compiles thousands of specs in memory and never shows them)."""
    _FORMAT.append(False)
    try:
        yield
    finally:
        _FORMAT.pop()


def action_table(program: ir.Program) -> list[tuple[int, tuple[int, ...]]]:
    """Flat action index -> (kind index, parameter values), row-major over parameters."""
    rows = []
    for a in program.actions:
        ranges = [range(p.lo, p.hi) for p in a.params]
        for values in itertools.product(*ranges):
            rows.append((a.index, tuple(values)))
    return rows


def action_labels(program: ir.Program) -> list[str]:
    """A readable name per flat action: "place(4)", "end_turn"."""
    names = [a.name for a in program.actions]
    labels = []
    for kind, values in action_table(program):
        labels.append(f"{names[kind]}({', '.join(map(str, values))})" if values else names[kind])
    return labels


def max_params(program: ir.Program) -> int:
    return max((len(a.params) for a in program.actions), default=0) or 1


def assigned(block: ir.Block) -> list[str]:
    """Names a block may assign (state, builtins, locals and outcome variables), in order."""
    from ..procedures import statements

    out: dict[str, None] = {}
    for s in statements(block):
        if isinstance(s, ir.Assign):
            out[s.name] = None
        elif isinstance(s, ir.CallStmt):
            out.update(dict.fromkeys(OUTCOME_TARGETS[s.func]))
    return list(out)


OUTCOME_TARGETS = {
    "win": ("rewards", "terminated"),
    "lose": ("rewards", "terminated"),
    "draw": ("rewards", "terminated"),
    "terminate": ("terminated",),
    "truncate": ("truncated",),
    "reward": ("rewards",),
}


class Emitter:
    """Collects indented lines of Python."""

    def __init__(self, indent: int = 0):
        self.lines: list[str] = []
        self.indent = indent

    def line(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def text(self) -> str:
        return "\n".join(self.lines)


# ruff's formatter (black's style, in Rust): a 5,000-statement effect formats in well under
# a second, where black took about a minute. Options fixed here, so a project's own
# configuration cannot change what specc generates.
RUFF_FORMAT = ("format", "--isolated", "--line-length", "100", "--config", "format.skip-magic-trailing-comma = true")


def format_python(code: str) -> str:
    """Generated Python, formatted by ruff (the same text for the same input, always).
    Raises RuntimeError with ruff's message if the code does not parse (a backend bug)."""
    from ruff.__main__ import find_ruff_bin

    done = subprocess.run(
        [find_ruff_bin(), *RUFF_FORMAT, "--stdin-filename", "generated.py", "-"],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff could not format generated code: {done.stderr.strip()}")
    return done.stdout


def render(template: str, **context: object) -> str:
    """Fill a template and format it with ruff (see RUFF_FORMAT)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pyrepr"] = repr
    code = env.get_template(template).render(**context)
    return format_python(code) if _FORMAT[-1] else code


@functools.cache
def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of an IR node class that may hold other nodes."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in ("pos", "type"))


def render_text(template: str, **context: object) -> str:
    """A template rendered as it is (the C backend formats its own lines)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pyrepr"] = repr
    return env.get_template(template).render(**context)


def chance_sites(*nodes: object, loop: str | None = None) -> list[int]:
    """Chance call sites outside loops in these IR nodes (`loop` given: those whose innermost
    loop is the one with that variable), by site id; `shuffle`, which draws a key, left out.

    A function (init, or one action's effect) draws one vector of random words
    from its key, `bits(key, (n,))`; the k-th of these sites uses word k, so both
    backends see the same numbers whatever branches run. Sites inside loops draw
    from fold_in(fold_in(key, site), index) instead (see the templates).
    """
    found: set[int] = set()
    stack = list(nodes)
    while stack:  # a loop, not recursion: a chain of a thousand elifs or `+` is fine
        node = stack.pop()
        if isinstance(node, ir.Call) and node.site >= 0 and node.func != "shuffle":
            innermost = node.loop_vars[-1] if node.loop_vars else None
            if innermost == loop:
                found.add(node.site)
        if isinstance(node, tuple):
            stack.extend(node)
        elif isinstance(node, (ir.Expr, ir.Stmt)):
            stack.extend(getattr(node, name) for name in _child_fields(type(node)))
    return sorted(found)


# ---------------------------------------------------------------- expressions, depth-safe

# operators of one precedence level, left-associative in Python as in specc's grammar
_LEVELS = ({"+", "-"}, {"*", "/", "//", "%"})
_OPERAND = r"-?(?:[\w.]+(?:[eE][+-]\d+)?|\(\))(?:\(\)|\[\])*"


def _chain_re(level: set[str]) -> re.Pattern:
    ops = "|".join(re.escape(op) for op in sorted(level, key=len, reverse=True))  # `//` before `/`
    return re.compile(rf"^\s*{_OPERAND}(?:\s*(?:{ops})\s*{_OPERAND})*\s*$")


_CHAIN_RE = {frozenset(level): _chain_re(level) for level in _LEVELS}


def _skeleton(text: str) -> str | None:
    """`text` with what every bracket holds left out, `f(a)[i] + (b)` -> `f()[] + ()`;
    None if its brackets do not balance."""
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            if depth == 0:
                out.append(ch)
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                out.append(ch)
        elif depth == 0:
            out.append(ch)
    return "".join(out) if depth == 0 else None


def _one_chain(text: str, level: frozenset) -> bool:
    """Whether `text` is `(a op b op c ...)`, one parenthesised chain of this level's operators."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    outer = _skeleton(text)
    inner = _skeleton(text[1:-1])
    return outer == "()" and inner is not None and bool(_CHAIN_RE[level].match(inner))


class ExprGen:
    """What each backend's expression generator shares: dispatch on the node class
    (`visit_<ClassName>`), without deep recursion on long chains `a + b + c ...`
    (their left spine is generated bottom up), and printed flat, `(a + b + c)`, rather than
    `((a + b) + c)`: Python refuses 200 nested brackets, and formatters recurse on them."""

    def gen(self, e: ir.Expr) -> str:
        done: dict[int, tuple[ir.Expr, str, frozenset | None]] = self.__dict__.setdefault("_done", {})
        hit = done.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        if isinstance(e, ir.Binary):
            spine, node = [], e.left
            while isinstance(node, ir.Binary) and id(node) not in done:
                spine.append(node)
                node = node.left
            for node in reversed(spine):  # each finds its left operand done: no recursion
                self.gen(node)
        text = getattr(self, f"visit_{type(e).__name__}")(e)
        level = next((frozenset(lv) for lv in _LEVELS if isinstance(e, ir.Binary) and e.op in lv), None)
        chain = None
        if level is not None:
            left = done.get(id(e.left))
            head = None if left is None else f"({left[1]} {e.op} "
            if left is not None and left[0] is e.left and left[2] == level and text.startswith(head):
                rest = text[len(head) : -1]
                if text.endswith(")") and _CHAIN_RE[level].match(_skeleton(rest) or "+"):
                    text, chain = f"({left[1][1:-1]} {e.op} {rest})", level
            if chain is None and _one_chain(text, level):
                chain = level
        done[id(e)] = (e, text, chain)
        return text


def illegal_rewards(program: ir.Program) -> tuple[float, float, float]:
    """The rewards of an illegal action: (the mover's, each other player's, everyone's when
    current_player is no player). They keep rewards.range and zero_sum (see specc.builtins)."""
    low, high = program.reward_range
    neutral = min(max(0.0, low), high)
    if program.zero_sum:
        if program.players == 1:
            return 0.0, 0.0, 0.0
        return low, -low / (program.players - 1), neutral
    return low, neutral, neutral


Bounds = dict[str, tuple[int, int]]


def constant_bounds(program: ir.Program) -> Bounds:
    """The least and greatest value of every integer array constant."""
    out: Bounds = {}
    for c in program.constants:
        if c.type.is_int:
            flat = list(_leaves(c.value))
            out[c.name] = (min(flat), max(flat))
    return out


def _leaves(value: object):
    if isinstance(value, tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def int_range(e: ir.Expr, known: Bounds) -> tuple[int, int] | None:
    """The least and greatest value an integer expression can take, or None if unknown.

    `known` gives the ranges of parameters, loop variables and constants (inclusive).
    Backends use it to skip guards (index clamps, zero divisors) that cannot fire; a
    result that might wrap around its dtype is unknown.
    """
    t = e.type
    if t is None or not t.is_int:
        return None
    r = _int_range(e, known)
    if r is None:
        return None
    lo, hi = ir.INT_BOUNDS[t.dtype]
    return r if lo <= r[0] and r[1] <= hi else None


def _int_range(e: ir.Expr, known: Bounds) -> tuple[int, int] | None:
    if isinstance(e, ir.Literal) and isinstance(e.value, int) and not isinstance(e.value, bool):
        return e.value, e.value
    if isinstance(e, ir.Name) and e.kind in ("param", "loop", "const", "builtin"):
        return known.get(e.name)
    if isinstance(e, ir.Name) and e.kind == "local":  # see specc.backends.ranges
        return known.get(f"local {e.name}")
    if isinstance(e, ir.Index) and isinstance(e.base, ir.Name) and e.base.kind == "const":
        return known.get(e.base.name)
    if isinstance(e, ir.Binary) and e.op == "%":  # a positive divisor: the result is 0..m-1
        m = int_range(e.right, known)
        return (0, m[1] - 1) if m is not None and m[0] > 0 else None
    if isinstance(e, ir.Call) and e.func == "roll" and isinstance(e.args[0], ir.Literal):
        return 0, e.args[0].value - 1
    if isinstance(e, ir.Cond):
        a, b = int_range(e.then, known), int_range(e.orelse, known)
        return (min(a[0], b[0]), max(a[1], b[1])) if a is not None and b is not None else None
    if isinstance(e, ir.Binary) and e.op in ("+", "-", "*", "**"):
        a, b = int_range(e.left, known), int_range(e.right, known)
        if a is None or b is None:
            return None
        if e.op == "+":
            return a[0] + b[0], a[1] + b[1]
        if e.op == "-":
            return a[0] - b[1], a[1] - b[0]
        if e.op == "*":
            products = [x * y for x in a for y in b]
            return min(products), max(products)
        if a[0] >= 0 and b[0] >= 0 and b[1] <= 64:  # **: monotone for a non-negative base
            return a[0] ** b[0], a[1] ** b[1]
    return None


def float_fields(program: ir.Program) -> list[ir.StateField]:
    """The float state fields: every backend flushes their subnormal values as step and observe
    read them (docs/language.md, Semantics: subnormal floats)."""
    return [f for f in program.fields if f.type.is_float]


def player_always_valid(program: ir.Program) -> bool:
    """Whether current_player is a player (0..players-1) in every state init and step reach:
    it starts at 0, and every assignment to it provably gives a player when it was one.
    The backends then skip the observer check when refreshing the observation."""
    hypothesis = {**constant_bounds(program), "current_player": (0, program.players - 1)}

    def valid(block: ir.Block, known: Bounds) -> bool:
        todo = [(block, known)]  # a work list, not recursion: elif chains may be 1,000 deep
        while todo:
            stmts, bounds = todo.pop()
            for s in stmts:
                if isinstance(s, ir.Assign) and s.name == "current_player":
                    r = int_range(s.value, bounds)
                    if r is None or r[0] < 0 or r[1] >= program.players:
                        return False
                elif isinstance(s, ir.If):
                    todo += [(s.then, bounds), (s.orelse, bounds)]
                elif isinstance(s, ir.For):
                    todo.append((s.body, {**bounds, s.var: (s.lo.value, s.hi.value - 1)}))
        return True

    actions = all(valid(a.effect, {**hypothesis, **{p.name: (p.lo, p.hi - 1) for p in a.params}})
                  for a in program.actions)  # fmt: skip
    return valid(program.init, hypothesis) and actions


def fits(e: ir.Expr, size: int, known: Bounds) -> bool:
    """Whether the index `e` is provably within 0..size-1."""
    r = int_range(e, known)
    return r is not None and 0 <= r[0] and r[1] < size


def nonzero(e: ir.Expr, known: Bounds) -> bool:
    """Whether the integer `e` can never be 0."""
    r = int_range(e, known)
    return r is not None and (r[0] > 0 or r[1] < 0)


def router(program: ir.Program) -> dict | None:
    """The synthetic choice action's routes (see ir.Action.routes), or None without choices."""
    for a in program.actions:
        if a.routes:
            return {"kind": a.index, "routes": list(a.routes), "field": choices.PENDING}
    return None
