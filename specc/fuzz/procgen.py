"""Random procedures of specc's language: plain ones, and ones that declare `returns:`.

Four kinds are drawn (see docs/language.md, Procedures):

- a plain procedure (no `returns:`) that may change the state and call outcomes;
- an *effectful* one with `returns:` (changes the state too): called only as a statement or
  as the whole right side of an assignment (`x = f(...)`, `x[i] = f(...)`);
- a *function* with statements (if, for, chance, element stores of its own locals): called
  inside effect expressions too, never in guards, observe or reductions;
- a *straight-line* function (whole locals assigned, then `return`): called anywhere.

Parameters are untyped names, bound to their argument's type at each call. A "loose"
parameter is cast on entry (`aK_c = int16(aK)`), so calls pass it any dtype and the cast of
arguments is exercised; the returned expression's dtype differs from `returns:` (a narrower
or wider integer, an integer for a float), so the cast of the result is exercised too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from .blocks import BlockGen
from .exprs import BOUNDS, DTYPES, INTS, Ex, ExprGen, Param, Scope, Sig, Var, int_literal
from .frag import Frag, Guard, cat

RETURN_SHAPES = ((), (), (), (3,), (2, 3))
PARAM_DTYPES = ("int32", "int8", "int16", "bool", "float32")


@dataclass(frozen=True)
class ProcPlan:
    """One procedure as rendered: its parameter names, `returns:` type text, body lines."""

    name: str
    params: tuple[str, ...]
    returns: str | None
    body: tuple[Frag, ...]  # one fragment per line, indentation included


def type_text(dtype: str, shape: tuple[int, ...]) -> str:
    """`int8`, `float32[3]`, `bool[2,3]`."""
    return dtype + (f"[{','.join(map(str, shape))}]" if shape else "")


def entry_cast(p: Param) -> Frag:
    """The first line of a body for a loose parameter: its argument cast to the planned dtype."""
    if p.dtype == "bool":
        value: Frag = f"({p.name} != 0)"
    elif p.dtype == "float32":
        value = f"float({p.name})"
    else:  # a float argument may be NaN or out of range: the float-to-int edge
        lo, hi = BOUNDS[p.dtype]
        top = float(hi) if p.dtype != "int32" else 2.1e9
        wrap = f"where({{x}} == {{x}}, clip({{x}}, {float(lo)}, {top}), 0.0)"
        value = cat(f"{p.dtype}(", Guard("float-to-int", p.dtype, p.name, wrap), ")")
    return cat(f"{p.name}_c = ", value, "\n")


def _params(draw: Callable, p: int, kind: str) -> tuple[Param, ...]:
    out = []
    for k in range(draw(st.integers(0 if kind == "proc" else 1, 2))):
        dtype = draw(st.sampled_from(PARAM_DTYPES))
        loose = draw(st.integers(0, 2)) == 0
        shape = () if loose or draw(st.integers(0, 4)) else draw(st.sampled_from([(3,), (2,)]))
        out.append(Param(f"a{p}_{k}", dtype, shape, loose))
    return tuple(out)


def _returned(draw: Callable, g: ExprGen, dtype: str, shape: tuple[int, ...]) -> Ex:
    """The `return` expression: of `returns:`'s shape, of a dtype that casts to `dtype`."""
    if dtype == "bool":
        src = "bool"
    elif dtype == "float32":
        src = draw(st.sampled_from(["float32", "float32", "int8", "int32"]))
    else:
        src = draw(st.sampled_from(list(INTS)))
    value = g.expr(src, shape)
    if value.literal and dtype in INTS:  # a literal must fit the declared type
        value = Ex(int_literal(draw, dtype), dtype, literal=True)
    return value


def procedures(draw: Callable, scope: Scope, players: int) -> tuple[ProcPlan, ...]:
    """Draw 0..3 procedures over the spec's base `scope`; each one's signature joins
    `scope.funcs`, so later procedures and every block of the spec may call it."""
    plans = []
    for p in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["proc", "proc", "effect", "let", "let", "func"]))
        params = _params(draw, p, kind)
        pscope = scope.fresh(calls="let" if kind == "let" else "all")
        body: list[Frag] = []
        for a in params:
            if a.loose:
                body.append(entry_cast(a))
                pscope.vars[f"{a.name}_c"] = Var(f"{a.name}_c", a.dtype, (), "param")
            else:
                pscope.vars[a.name] = Var(a.name, a.dtype, a.shape, "param")
        earlier = scope.funcs if kind in ("proc", "effect") else tuple(f for f in scope.funcs if f.kind != "proc")
        prefix = f"p{p}_"
        if kind == "let":
            gen = BlockGen(draw, players, outcomes=False, prefix=prefix, exact_only=True, straight=True)
            for _ in range(draw(st.integers(0, 3))):
                body += gen.stmt(pscope, 0, 0)
        else:
            gen = BlockGen(draw, players, outcomes=kind != "func", procs=earlier, prefix=prefix, exact_only=True,
                           pure=kind == "func")  # fmt: skip
            body += gen.block(pscope, 0, draw(st.integers(1, 3)), 1)
        returns = None
        if kind != "proc":
            returns = (draw(st.sampled_from(DTYPES)), draw(st.sampled_from(RETURN_SHAPES)))
            value = _returned(draw, ExprGen(draw, pscope, depth=2), *returns)
            body.append(cat("return ", value.frag, "\n"))
        name = f"proc{p}"
        sig_kind = {"let": "let", "func": "func"}.get(kind, "proc")
        scope.funcs = scope.funcs + (Sig(name, params, returns, sig_kind),)
        plans.append(ProcPlan(name, tuple(a.name for a in params), returns and type_text(*returns), tuple(body)))
    return tuple(plans)
