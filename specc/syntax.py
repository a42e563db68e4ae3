"""Parse specc's language (grammar/specc.lark) into untyped IR nodes.

Positions are mapped back into the YAML file through a `locate` callback, so an
error inside an expression string names the file's own line and column.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import Indenter

from . import ir
from .errors import SpecError

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar" / "specc.lark"

Locate = Callable[[int, int], ir.Pos]


class _Indenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text()


@lru_cache(maxsize=None)
def _parser(start: str) -> Lark:
    postlex = _Indenter() if start == "block" else None
    return Lark(
        grammar_text(),
        parser="lalr",
        start=start,
        postlex=postlex,
        propagate_positions=True,
        maybe_placeholders=False,
    )


_BINOPS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%", "pow": "**"}


class _ToIR(Transformer):
    """Lark tree -> untyped IR nodes, one small method per rule."""

    def __init__(self, locate: Locate):
        super().__init__()
        self.locate = locate

    def _pos(self, meta) -> ir.Pos:
        if getattr(meta, "empty", True):
            return self.locate(1, 1)
        return self.locate(meta.line, meta.column)

    def _tok_pos(self, tok: Token) -> ir.Pos:
        return self.locate(tok.line or 1, tok.column or 1)

    # ---- statements
    @v_args(meta=True)
    def block(self, meta, stmts):
        return tuple(stmts)

    @v_args(meta=True)
    def suite(self, meta, stmts):
        return tuple(stmts)

    @v_args(meta=True)
    def target(self, meta, children):
        name, *rest = children
        return (name, tuple(rest[0]) if rest else ())

    @v_args(meta=True)
    def assign(self, meta, children):
        (name, indices), op, value = children
        return ir.Assign(self._tok_pos(name), name=str(name), indices=indices, value=value, op=str(op))

    @v_args(meta=True)
    def call_stmt(self, meta, children):
        name, *rest = children
        args = tuple(rest[0]) if rest and rest[0] is not None else ()
        return ir.CallStmt(self._tok_pos(name), func=str(name), args=args)

    @v_args(meta=True)
    def pass_stmt(self, meta, children):
        return ir.Pass(self._pos(meta))

    @v_args(meta=True)
    def if_stmt(self, meta, children):
        test, then, *clauses = children
        orelse: tuple = ()
        for clause in reversed(clauses):
            kind, ctest, body = clause
            if kind == "else":
                orelse = body
            else:
                orelse = (ir.If(ctest.pos, test=ctest, then=body, orelse=orelse),)
        return ir.If(self._pos(meta), test=test, then=then, orelse=orelse)

    def elif_clause(self, children):
        return ("elif", children[0], children[1])

    def else_clause(self, children):
        return ("else", None, children[0])

    @v_args(meta=True)
    def for_stmt(self, meta, children):
        var, (lo, hi), body = children
        return ir.For(self._pos(meta), var=str(var), lo=lo, hi=hi, body=body)

    def range(self, children):
        return (children[0], children[1])

    def args(self, children):
        return list(children)

    # ---- expressions
    @v_args(meta=True)
    def number(self, meta, children):
        text = str(children[0])
        value = float(text) if any(c in text for c in ".eE") else int(text)
        return ir.Literal(self._pos(meta), value=value)

    @v_args(meta=True)
    def true(self, meta, children):
        return ir.Literal(self._pos(meta), value=True)

    @v_args(meta=True)
    def false(self, meta, children):
        return ir.Literal(self._pos(meta), value=False)

    @v_args(meta=True)
    def name(self, meta, children):
        return ir.Name(self._pos(meta), name=str(children[0]))

    @v_args(meta=True)
    def enum_ref(self, meta, children):
        return ir.EnumRef(self._pos(meta), enum=str(children[0]), member=str(children[1]))

    @v_args(meta=True)
    def call(self, meta, children):
        name, *rest = children
        args = tuple(rest[0]) if rest and rest[0] is not None else ()
        return ir.Call(self._pos(meta), func=str(name), args=args)

    @v_args(meta=True)
    def reduce(self, meta, children):
        op, var, (lo, hi), body = children
        return ir.Reduce(self._pos(meta), op=str(op), var=str(var), lo=lo, hi=hi, body=body)

    @v_args(meta=True)
    def array(self, meta, children):
        return ir.ArrayLit(self._pos(meta), items=tuple(children[0]))

    @v_args(meta=True)
    def index(self, meta, children):
        base, indices = children
        return ir.Index(self._pos(meta), base=base, indices=tuple(indices))

    @v_args(meta=True)
    def cond(self, meta, children):
        then, test, orelse = children
        return ir.Cond(self._pos(meta), test=test, then=then, orelse=orelse)

    @v_args(meta=True)
    def neg(self, meta, children):
        return ir.Unary(self._pos(meta), op="neg", operand=children[0])

    @v_args(meta=True)
    def not_(self, meta, children):
        return ir.Unary(self._pos(meta), op="not", operand=children[0])

    @v_args(meta=True)
    def compare(self, meta, children):
        left, op, right = children
        return ir.Binary(self._pos(meta), op=str(op), left=left, right=right)

    @v_args(meta=True)
    def and_(self, meta, children):
        return ir.Binary(self._pos(meta), op="and", left=children[0], right=children[1])

    @v_args(meta=True)
    def or_(self, meta, children):
        return ir.Binary(self._pos(meta), op="or", left=children[0], right=children[1])

    def __default__(self, data, children, meta):
        if data in _BINOPS:
            return ir.Binary(self._pos(meta), op=_BINOPS[data], left=children[0], right=children[1])
        return super().__default__(data, children, meta)


def _describe(err: UnexpectedInput) -> str:
    if isinstance(err, UnexpectedCharacters):
        return f"unexpected character {err.char!r}"
    if isinstance(err, UnexpectedEOF):
        return "unexpected end of text"
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            return "unexpected end of text"
        if tok.type in ("_NL", "_INDENT", "_DEDENT"):
            what = {"_NL": "line break", "_INDENT": "indentation", "_DEDENT": "dedent"}[tok.type]
            return f"unexpected {what}"
        return f"unexpected {str(tok)!r}"
    return "syntax error"


def parse(text: str, start: str, locate: Locate) -> object:
    """Parse `text` as a `block` or an `expr`; raise SpecError at the file position."""
    source = text if start == "expr" else text.rstrip() + "\n"
    try:
        tree = _parser(start).parse(source)
    except UnexpectedInput as err:
        line = getattr(err, "line", None) or 1
        col = getattr(err, "column", None) or 1
        if line == -1 or col == -1:  # end of input
            lines = source.rstrip("\n").split("\n")
            line, col = len(lines), len(lines[-1]) + 1
        raise SpecError(f"syntax error: {_describe(err)}", locate(line, col)) from None
    return _ToIR(locate).transform(tree)


def parse_expr(text: str, locate: Locate) -> ir.Expr:
    return parse(text, "expr", locate)  # type: ignore[return-value]


def parse_block(text: str, locate: Locate) -> ir.Block:
    return parse(text, "block", locate)  # type: ignore[return-value]
