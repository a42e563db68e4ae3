"""What both backends share: the flat action table, emitted-code helpers, formatting."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import black
import jinja2

from .. import ir

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
OUTCOME_VARS = ("rewards", "terminated", "truncated")
_FORMAT = [True]  # render() formats with black unless inside unformatted()


@contextlib.contextmanager
def unformatted() -> Iterator[None]:
    """Generate code without black inside this block: the same code, faster (the fuzzer
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
    out: list[str] = []

    def add(name: str) -> None:
        if name not in out:
            out.append(name)

    def walk(stmts: ir.Block) -> None:
        for s in stmts:
            if isinstance(s, ir.Assign):
                add(s.name)
            elif isinstance(s, ir.If):
                walk(s.then)
                walk(s.orelse)
            elif isinstance(s, ir.For):
                walk(s.body)
            elif isinstance(s, ir.CallStmt):
                for v in OUTCOME_TARGETS[s.func]:
                    add(v)

    walk(block)
    return out


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


def nested(value: object) -> str:
    """A constant's nested tuple as a Python list literal."""
    if isinstance(value, tuple):
        return "[" + ", ".join(nested(v) for v in value) + "]"
    return repr(value)


def render(template: str, **context: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pyrepr"] = repr
    code = env.get_template(template).render(**context)
    if not _FORMAT[-1]:
        return code
    return black.format_str(code, mode=black.Mode(line_length=100, magic_trailing_comma=False))


def chance_sites(*nodes: object) -> list[int]:
    """Chance call sites outside loops in these IR nodes, by site id.

    A function (init, or one action's effect) draws one vector of random words
    from its key, `bits(key, (n,))`; the k-th of these sites uses word k, so both
    backends see the same numbers whatever branches run. Sites inside loops draw
    from fold_in(fold_in(key, site), index) instead (see the templates).
    """
    import dataclasses

    found: set[int] = set()

    def walk(node: object) -> None:
        if isinstance(node, ir.Call) and node.site >= 0 and not node.loop_vars and node.func != "shuffle":
            found.add(node.site)
        if isinstance(node, tuple):
            for item in node:
                walk(item)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                walk(getattr(node, f.name))

    for n in nodes:
        walk(n)
    return sorted(found)
