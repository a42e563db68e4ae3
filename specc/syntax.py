"""Parse specc's language (specc/grammar/specc.lark) into untyped IR nodes.

Positions are mapped back into the YAML file through a `locate` callback, so an
error inside an expression string names the file's own line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import DedentError, Indenter
from lark.visitors import Transformer_NonRecursive

from . import ir
from .errors import SpecError

GRAMMAR_PATH = Path(__file__).resolve().parent / "grammar" / "specc.lark"  # package data

Locate = Callable[[int, int], ir.Pos]


class _Indenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]
    CLOSE_PAREN_types = ["RPAR", "RSQB"]
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4

    def handle_NL(self, token: Token):
        try:
            yield from super().handle_NL(token)
        except DedentError:  # lark's message has no position: keep the line it is about
            raise _BadDedent(token.end_line or 1, token.end_column or 1) from None


class _BadDedent(Exception):
    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.line, self.column = line, column


MAX_DEPTH = 100  # nesting of one expression or block; deeper is surely a mistake (and would recurse)
_BRACKETS = {"(": ")", "[": "]"}


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text()


@cache
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


class _ToIR(Transformer_NonRecursive):
    """Lark tree -> untyped IR nodes, one small method per rule (without recursing: a chain
    of a thousand `+` is as deep as a tree gets)."""

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
    def return_stmt(self, meta, children):
        return ir.Return(self._pos(meta), value=children[0])

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

    @v_args(meta=True)
    def repeat_stmt(self, meta, children):
        count, test, body = children
        return ir.Repeat(self._pos(meta), count=count, test=test, body=body)

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


def _never_closed(text: str) -> list[tuple[str, int]]:
    """The brackets the text opens and never closes: (char, offset), outermost first."""
    stack: list[tuple[str, int]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#":  # a comment runs to the end of the line
            i = text.find("\n", i)
            if i < 0:
                break
        elif ch in _BRACKETS:
            stack.append((ch, i))
        elif ch in ")]" and stack and _BRACKETS[stack[-1][0]] == ch:
            stack.pop()
        i += 1
    return stack


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    return sum(len(t) + 1 for t in lines[: line - 1]) + col - 1


def _syntax_error(err: UnexpectedInput, source: str, locate: Locate) -> SpecError:
    """One message at the place a person would fix: the token, the end of the text,
    or a bracket never closed."""
    tok = getattr(err, "token", None)
    at_end = isinstance(err, UnexpectedEOF) or (tok is not None and tok.type == "$END")
    if at_end:
        offset = len(source.rstrip())
    elif tok is not None and tok.type in ("_INDENT", "_DEDENT") and tok.end_line:
        offset = _offset(source, tok.end_line, tok.end_column)  # the start of the line at fault
    else:
        offset = _offset(source, getattr(err, "line", None) or 1, getattr(err, "column", None) or 1)
    # a bracket never closed swallows the lines after it: blame the bracket, not where it ends
    before = [o for o in _never_closed(source) if o[1] < offset]
    open_ = before[-1] if before else None
    if open_ is not None and (at_end or _line_col(source, open_[1])[0] < _line_col(source, offset)[0]):
        line, col = _line_col(source, open_[1])
        return SpecError(f"syntax error: {open_[0]!r} is never closed", locate(line, col))
    message = _describe(err)
    if at_end and source.rstrip().endswith(":"):
        message += " (an indented block must follow ':')"
    return SpecError(f"syntax error: {message}", locate(*_line_col(source, offset)))


# left-associative chains of one precedence level, `a + b - c + ...`: every stage handles
# them without recursing (and the backends print them flat), so they do not count as nesting
_CHAINS = ({"add", "sub"}, {"mul", "div", "floordiv", "mod"})


def _check_depth(tree: Tree, locate: Locate) -> None:
    """Refuse absurdly deep nesting before anything recurses over the tree; the
    message points at the statement or expression that holds it."""
    stack = [(tree, 1, tree)]
    while stack:
        node, depth, anchor = stack.pop()
        if depth > MAX_DEPTH:
            meta = anchor.meta
            line, col = (1, 1) if getattr(meta, "empty", True) else (meta.line, meta.column)
            raise SpecError(f"this nests too deeply (more than {MAX_DEPTH} levels): split it up", locate(line, col))
        for i, child in enumerate(node.children):
            if isinstance(child, Tree):
                chained = i == 0 and any(node.data in c and child.data in c for c in _CHAINS)
                stack.append((child, depth if chained else depth + 1, child if depth < 2 else anchor))


def _one_line(text: str, locate: Locate) -> tuple[str, Locate]:
    """An expression is one expression whatever its lines: each line break becomes a space
    (as inside Python's brackets), so a guard may span lines in any YAML style (`|`, `>`,
    `|-`, `>-`). Offsets are kept, so positions map back to the original line and column."""
    if "\n" not in text:
        return text, locate
    # a comment runs to its line's end: keep it there by ending it before the line break
    flat = re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0)), text).replace("\n", " ")

    def relocate(line: int, col: int) -> ir.Pos:
        return locate(*_line_col(text, min(_offset(flat, line, col), len(text))))

    return flat, relocate


def parse(text: str, start: str, locate: Locate) -> object:
    """Parse `text` as a `block` or an `expr`; raise SpecError at the file position."""
    if start == "expr":
        text, locate = _one_line(text, locate)
    source = text if start == "expr" else text.rstrip() + "\n"
    try:
        tree = _parser(start).parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(err, source, locate) from None
    except _BadDedent as err:
        message = "syntax error: this line's indentation matches no enclosing block"
        raise SpecError(message, locate(err.line, err.column)) from None
    _check_depth(tree, locate)
    return _ToIR(locate).transform(tree)


def parse_expr(text: str, locate: Locate) -> ir.Expr:
    return parse(text, "expr", locate)  # type: ignore[return-value]


def parse_block(text: str, locate: Locate) -> ir.Block:
    return parse(text, "block", locate)  # type: ignore[return-value]
