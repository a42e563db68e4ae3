"""Random statement blocks of specc's language (effects, init, procedure bodies), drawn with hypothesis."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from .exprs import DTYPES, INTS, RANK, Ex, ExprGen, Scope, Sig, Var, clip_guard, int_literal
from .frag import Frag, Guard, cat, render

SHAPES = ((), (), (2,), (3,), (4,), (2, 3))


class BlockGen:
    """Draws statement blocks over a scope; tracks locals and approximate floats.

    `procs`: the procedures callable as statements and as whole right sides here.
    `pure`: no state field, current_player or outcome is touched (a function's body).
    `straight`: only whole locals are assigned, no if/for/chance (a function callable anywhere).
    `choices`: `x = choice(player, options)` may be drawn (an action's effect, loops included).
    """

    def __init__(self, draw: Callable, players: int, *, outcomes: bool, procs: tuple[Sig, ...] = (),
                 prefix: str = "v", exact_only: bool = False, pure: bool = False, straight: bool = False,
                 choices: bool = False):  # fmt: skip
        self.draw = draw
        self.players = players
        self.outcomes = outcomes and not pure
        self.procs = procs
        self.prefix = prefix
        self.exact_only = exact_only
        self.pure = pure or straight
        self.straight = straight
        self.choices = choices and not self.pure
        self.counter = 0

    def pick(self, options: list):
        return self.draw(st.sampled_from(options))

    def block(self, scope: Scope, indent: int, size: int, depth: int) -> list[Frag]:
        lines: list[Frag] = []
        for _ in range(size):
            lines += self.stmt(scope, indent, depth)
        return lines or [" " * indent + "pass\n"]

    def line(self, indent: int, *parts: Frag) -> list[Frag]:
        return [cat(" " * indent, *parts, "\n")]

    def stmt(self, scope: Scope, indent: int, depth: int) -> list[Frag]:
        kinds = ["assign", "assign", "index", "aug", "local", "local", "chance", "zone"]
        if depth > 0:
            kinds += ["if", "if", "for", "repeat"]
        if self.choices:
            kinds += ["choice", "choice"]
        if self.outcomes:
            kinds += ["outcome", "current"]
        if self.procs:
            kinds.append("call")
        if any(p.returns for p in self.procs):
            kinds += ["rhs", "rhs"]
        if self.straight:
            kinds = ["local", "local", "assign"]
        kind = self.pick(kinds)
        g = ExprGen(self.draw, scope, depth=self.draw(st.integers(1, 2)))
        writable = self.writable(scope)
        if kind == "rhs":
            return self.rhs(g, scope, writable, indent)
        if kind in ("assign", "index", "aug") and writable:
            v = self.pick(writable)
            if kind == "index" and v.shape:
                return self.assign_index(g, v, indent)
            if kind == "aug" and v.dtype != "bool" and not v.approx:
                op = self.pick(["+=", "-=", "*=", "//=", "%="] if v.dtype != "float32" else ["+=", "-="])
                value = g.expr(
                    self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]] if v.dtype in INTS else ["float32", "int8"])
                )
                frag = value.frag
                if op in ("//=", "%="):
                    frag = Guard("division-overflow", op[:-1], frag, "where({x} == -1, 1, {x})")
                    frag = Guard("zero-divisor", op[:-1], frag, "where({x} == 0, 1, {x})")
                    if value.literal:
                        frag = self.pick(["3", "(-2)"])
                return self.line(indent, f"{v.name} {op} ", frag)
            return self.assign(g, v, indent)
        if kind == "local" or (kind in ("assign", "index", "aug") and not writable):
            self.counter += 1
            name = f"{self.prefix}{self.counter}"
            dtype, shape = self.pick(list(DTYPES)), self.pick(list(SHAPES))
            value = g.value(dtype, shape) if not self.exact_only else g.expr(dtype, shape)
            if value.literal and dtype in INTS:
                value = Ex(f"{dtype}({render(value.frag)})", dtype)  # a bare literal would be a weak int32
            scope.vars[name] = Var(name, value.dtype, shape, "local", approx=value.approx)
            return self.line(indent, f"{name} = ", value.frag)
        if kind == "if":
            return self.if_stmt(scope, g, indent, depth)
        if kind == "for":
            g2, var = g.with_loop_var()
            lo = self.draw(st.integers(-1, 1))
            hi = lo + self.draw(st.integers(1, 3))
            inner = BlockGen(self.draw, self.players, outcomes=self.outcomes, procs=self.procs,
                             prefix=f"{self.prefix}f", exact_only=True, pure=self.pure,
                             choices=self.choices)  # fmt: skip
            inner.counter = self.counter
            body = inner.block(g2.scope, indent + 4, self.draw(st.integers(1, 2)), depth - 1)
            self.counter = inner.counter
            return self.line(indent, f"for {var} in {f'({lo})' if lo < 0 else lo}..{hi}:") + body
        if kind == "repeat":
            return self.repeat(g, scope, indent, depth)
        if kind == "choice":
            return self.choice(g, scope, indent)
        if kind == "outcome":
            return self.outcome(g, indent)
        if kind == "current":
            p = g.expr(self.pick(list(INTS)))
            return self.line(
                indent, "current_player = ", Guard("current-player", "=", p.frag, f"clip({{x}}, 0, {self.players - 1})")
            )
        if kind == "call":  # any procedure; a returned value is dropped
            return self.line(indent, g.call_frag(self.pick(list(self.procs))))
        if kind == "zone":
            return self.zone(g, scope, indent)
        return self.chance_stmt(g, scope, indent)

    def repeat(self, g: ExprGen, scope: Scope, indent: int, depth: int) -> list[Frag]:
        """`repeat up to N while COND:`, COND often a coin (drawn before each iteration)."""
        n = self.draw(st.integers(1, 4))
        kind = self.pick(["flip", "expr", "both"])
        cond: Frag = "flip()" if kind == "flip" else g.expr("bool").frag
        if kind == "both":
            cond = cat("(", cond, ") and flip()")
        inner = BlockGen(self.draw, self.players, outcomes=self.outcomes, procs=self.procs,
                         prefix=f"{self.prefix}r", exact_only=True, pure=self.pure,
                         choices=self.choices)  # fmt: skip
        inner.counter = self.counter
        body = inner.block(scope.child(), indent + 4, self.draw(st.integers(1, 2)), depth - 1)
        self.counter = inner.counter
        return self.line(indent, f"repeat up to {n} while ", cond, ":") + body

    def choice(self, g: ExprGen, scope: Scope, indent: int) -> list[Frag]:
        """`vN = choice(player, options)`: a new int32 local, the pick (or -1)."""
        self.counter += 1
        name = f"{self.prefix}{self.counter}"
        p = g.expr(self.pick(list(INTS)))
        who = Guard("current-player", "=", p.frag, f"clip({{x}}, 0, {self.players - 1})")
        options = g.expr("bool", (self.pick([2, 3, 4]),))
        scope.vars[name] = Var(name, "int32", (), "local")
        return self.line(indent, f"{name} = choice(", who, ", ", options.frag, ")")

    def writable(self, scope: Scope) -> list[Var]:
        """The variables a statement here may assign (a pure body: its own locals only)."""
        kinds = ("local",) if self.pure else ("state", "local")
        return [v for v in scope.vars.values() if v.kind in kinds]

    def rhs(self, g: ExprGen, scope: Scope, writable: list[Var], indent: int) -> list[Frag]:
        """`x = f(...)`, `x[i] = f(...)` or a new local: f any procedure with `returns:`."""
        sig = self.pick([p for p in self.procs if p.returns])
        assert sig.returns is not None
        dtype, shape = sig.returns
        call = g.call_frag(sig)

        def takes(v: Var, shape_of: tuple[int, ...]) -> bool:
            if (dtype == "bool") != (v.dtype == "bool") or (dtype == "float32" and v.dtype != "float32"):
                return False
            return RANK[dtype] <= RANK[v.dtype] and (shape == shape_of or shape == ())

        whole = [v for v in writable if takes(v, v.shape)]
        element = [v for v in writable if v.shape and takes(v, v.shape[1:])]
        kind = self.pick(["new"] + ["whole"] * 2 * bool(whole) + ["element"] * bool(element))
        if kind == "whole":
            return self.line(indent, f"{self.pick(whole).name} = ", call)
        if kind == "element":
            v = self.pick(element)
            i = g.sub(1).expr(self.pick(list(INTS)))
            n = v.shape[0]
            idx = str(self.draw(st.integers(0, n - 1))) if i.literal else clip_guard("index-write", "[]=", i, n)
            return self.line(indent, f"{v.name}[", idx, "] = ", call)
        self.counter += 1
        name = f"{self.prefix}{self.counter}"
        scope.vars[name] = Var(name, dtype, shape, "local")
        return self.line(indent, f"{name} = ", call)

    def assign(self, g: ExprGen, v: Var, indent: int) -> list[Frag]:
        dtype = (
            v.dtype
            if v.dtype in ("bool", "float32")
            else self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]] + [v.dtype])
        )
        if v.dtype == "float32" and self.draw(st.booleans()):
            dtype = self.pick(["int8", "int32"])  # an int stored into a float
        shape = v.shape if not v.shape or self.straight or self.draw(st.integers(0, 3)) else ()
        value = g.value(dtype, shape) if not self.exact_only else g.expr(dtype, shape)
        if value.literal and v.dtype in INTS:
            value = Ex(int_literal(self.draw, v.dtype), v.dtype, literal=True)
        if value.approx:
            v.approx = True
        return self.line(indent, f"{v.name} = ", value.frag)

    def assign_index(self, g: ExprGen, v: Var, indent: int) -> list[Frag]:
        keep = self.draw(st.integers(0, len(v.shape) - 1))
        axes = v.shape[: len(v.shape) - keep]
        parts: list[Frag] = [f"{v.name}["]
        for k, n in enumerate(axes):
            i = g.sub(1).expr(self.pick(list(INTS)))
            idx = i.frag if i.literal else Guard("index-write", "[]=", i.frag, f"clip({{x}}, 0, {n - 1})")
            if i.literal:
                idx = str(self.draw(st.integers(0, n - 1)))
            parts += [", " if k else "", idx]
        dtype = v.dtype if v.dtype in ("bool", "float32") else self.pick([d for d in INTS if RANK[d] <= RANK[v.dtype]])
        value = g.expr(dtype, v.shape[len(axes) :] if self.draw(st.booleans()) else ())
        if value.literal and v.dtype in INTS:
            value = Ex(int_literal(self.draw, v.dtype), v.dtype, literal=True)
        return self.line(indent, *parts, "] = ", value.frag)

    def if_stmt(self, scope: Scope, g: ExprGen, indent: int, depth: int) -> list[Frag]:
        lines = self.line(indent, "if ", g.expr("bool").frag, ":")
        lines += self.block(scope.child(), indent + 4, self.draw(st.integers(1, 2)), depth - 1)
        for _ in range(self.draw(st.integers(0, 1))):
            lines += self.line(indent, "elif ", g.expr("bool").frag, ":")
            lines += self.block(scope.child(), indent + 4, 1, depth - 1)
        if self.draw(st.booleans()):
            lines += self.line(indent, "else:")
            lines += self.block(scope.child(), indent + 4, self.draw(st.integers(1, 2)), depth - 1)
        return lines

    def outcome(self, g: ExprGen, indent: int) -> list[Frag]:
        kind = self.pick(["win", "lose", "draw", "terminate", "truncate", "reward", "reward2"])
        player = Guard(
            "player", kind.rstrip("2"), g.expr(self.pick(list(INTS))).frag, f"clip({{x}}, 0, {self.players - 1})"
        )
        if kind in ("win", "lose"):
            return self.line(indent, f"{kind}(", player, ")")
        if kind == "reward":
            return self.line(indent, "reward(", g.expr(self.pick(["float32", "int16"])).frag, ")")
        if kind == "reward2":
            return self.line(indent, "reward(", player, ", ", g.expr(self.pick(["float32", "int8"])).frag, ")")
        return self.line(indent, f"{kind}()")

    def zone(self, g: ExprGen, scope: Scope, indent: int) -> list[Frag]:
        zones = [v for v in self.writable(scope) if v.dtype in INTS and len(v.shape) == 1]
        if not zones:
            return self.chance_stmt(g, scope, indent)
        zone = self.pick(zones)
        z = zone.name
        kind = self.pick(["push", "push", "remove", "shuffle"])
        if kind == "shuffle":
            return self.line(indent, f"{z} = shuffle({z})")
        arg = g.expr(self.pick(list(INTS)))
        if kind == "push" and arg.literal:  # a literal card must fit the zone's dtype (a computed one wraps)
            arg = g.literal(zone.dtype)
        return self.line(indent, f"{z} = {kind}({z}, ", arg.frag, ")")

    def chance_stmt(self, g: ExprGen, scope: Scope, indent: int) -> list[Frag]:
        self.counter += 1
        name = f"{self.prefix}{self.counter}"
        kind = self.pick(["roll", "flip", "choose"] + ([] if self.exact_only else ["uniform"]))
        if kind == "roll":
            n = g.expr(self.pick(list(INTS)))
            if n.literal:
                frag: Frag = str(self.draw(st.integers(1, 6)))
            else:
                frag = Guard("roll-range", "roll", n.frag, "max({x}, 1)")
            value, dtype = cat("roll(", frag, ")"), "int32"
        elif kind == "flip":
            value, dtype = "flip()", "bool"
        elif kind == "choose":
            value, dtype = cat("choose(", g.expr("bool", (self.pick([2, 3, 4]),)).frag, ")"), "int32"
        else:
            value, dtype = cat("uniform(", g.expr("float32").frag, ", ", g.expr("int8").frag, ")"), "float32"
        scope.vars[name] = Var(name, dtype, (), "local", approx=kind == "uniform")
        return self.line(indent, f"{name} = ", value)
