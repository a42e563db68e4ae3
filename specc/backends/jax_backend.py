"""The JAX backend: IR -> generated/NAME/env.py, pure and jit/vmap-able.

Statements become straight-line array code: an `if` computes both branches and
merges every scalar either assigns with `jnp.where`. Arrays are not merged: a write to one
inside a branch is predicated where it happens (an element write goes out of range, and so is
dropped, where the branch is not taken; a whole assignment is a `jnp.where`). So an element
write costs one scatter in place, not a copy of the array kept for the merge and a select of
all of it. `for` becomes `lax.fori_loop`; comprehensions become `jax.vmap` over `jnp.arange`;
action kinds dispatch with `lax.switch`, whose vmap is the template's own rule (`_dispatch`:
each effect on the environments that chose it, without copying the tables to each).
"""

from __future__ import annotations

from .. import __version__, ir
from .common import (
    OUTCOME_TARGETS,
    Bounds,
    Emitter,
    ExprGen,
    action_labels,
    action_table,
    assigned,
    chance_sites,
    constant_bounds,
    float_fields,
    illegal_rewards,
    int_range,
    max_params,
    nonzero,
    player_always_valid,
    render,
    router,
)
from .literals import py_constants, py_list, py_scalar, py_statement
from .ranges import effect_bounds
from .subnormal import fields_flushed_by_step

JNP_DTYPE = {
    "bool": "jnp.bool_",
    "int8": "jnp.int8",
    "int16": "jnp.int16",
    "int32": "jnp.int32",
    "float32": "jnp.float32",
}
MATH = {"sqrt", "sin", "cos", "tan", "exp", "log", "floor"}
CASTS = {"int": "int32", "int8": "int8", "int16": "int16", "int32": "int32", "float": "float32"}


class JaxExpr(ExprGen):
    """Expression -> JAX source text. `names` maps IR names to Python expressions."""

    def __init__(
        self, names: dict[str, str], words: dict[int, str] | None = None, key: str = "key", known: Bounds | None = None
    ):
        self.names = names
        self.words = words or {}
        self.key = key
        self.known = known or {}  # ranges of params, loop variables and constants (see common.int_range)

    def visit_Literal(self, e: ir.Literal) -> str:
        return repr(e.value)

    def visit_Name(self, e: ir.Name) -> str:
        if e.kind == "const":
            return e.name
        return self.names.get(e.name, e.name)

    def visit_Index(self, e: ir.Index) -> str:
        # JAX's own indexing is the meaning: negative indexes count from the end, reads clamp
        base = self.gen(e.base)
        if all(i.type.is_scalar for i in e.indices) and all(self.nonnegative(i) for i in e.indices):
            if all(isinstance(i, ir.Literal) for i in e.indices):  # static: a slice
                return f"{base}[{', '.join(str(i.value) for i in e.indices)}]"
            # never negative: JAX's clamped read without its negative-index step
            return f"_get({base}, {', '.join(self.gen(i) for i in e.indices)})"
        return f"{base}[{', '.join(self.index(i, n) for i, n in zip(e.indices, e.base.type.shape))}]"

    def nonnegative(self, i: ir.Expr) -> bool:
        """Whether an index is surely >= 0 (see common.int_range)."""
        r = int_range(i, self.known)
        return r is not None and r[0] >= 0

    def index(self, i: ir.Expr, size: int) -> str:
        """An index into an axis of `size`: a narrow one widened where JAX's i + size would overflow it."""
        text = self.gen(i)
        if i.type.dtype in ("int8", "int16") and size > ir.INT_BOUNDS[i.type.dtype][1]:
            return f"jnp.asarray({text}, jnp.int32)"
        return text

    def visit_Unary(self, e: ir.Unary) -> str:
        x = self.gen(e.operand)
        return f"jnp.logical_not({x})" if e.op == "not" else f"(-{x})"

    def visit_Binary(self, e: ir.Binary) -> str:
        left, right = self.gen(e.left), self.gen(e.right)
        if e.op == "**" and left.startswith("-"):  # (-2) ** n, not -(2 ** n)
            left = f"({left})"
        if e.op == "and":
            return f"jnp.logical_and({left}, {right})"
        if e.op == "or":
            return f"jnp.logical_or({left}, {right})"
        shift = _power_of_two(e.right)
        if e.type.is_int and e.op in ("//", "%") and shift is not None:  # exact in two's complement
            if e.op == "//":  # floor division by 2**k: an arithmetic shift right
                return f"jnp.right_shift({self.typed(left, e)}, {shift})"
            return f"jnp.bitwise_and({self.typed(left, e)}, {2**shift - 1})"  # the floor remainder
        if e.type.is_int and e.op in ("//", "%") and not nonzero(e.right, self.known):
            return f"{'_floordiv' if e.op == '//' else '_mod'}({left}, {right})"  # x // 0 == x % 0 == 0
        if e.type.is_int and e.op == "**" and isinstance(e.left, ir.Literal) and e.left.value == 2:
            return f"_pow2({right}, {JNP_DTYPE[e.type.dtype]})"  # a shift, not _ipow's 31 squarings
        if e.type.is_int and e.op == "**" and not _small_power(e.right, self.known):
            return f"_ipow(jnp.asarray({left}, {JNP_DTYPE[e.type.dtype]}), {right})"
        if e.op == "*" and e.left == e.right:  # a square: see _square
            return f"_square({self.typed(left, e)}, {self.typed(right, e)})"
        if e.op == "**" and _even_literal(e.right):
            return f"_even_power({self.typed(left, e)}, {right})"
        return f"({left} {e.op} {right})"

    def typed(self, text: str, e: ir.Expr) -> str:
        """`text` as a JAX value of e's dtype (a bare Python literal has none)."""
        return f"jnp.asarray({text}, {JNP_DTYPE[e.type.dtype]})"

    def visit_Cond(self, e: ir.Cond) -> str:
        return f"jnp.where({self.gen(e.test)}, {self.gen(e.then)}, {self.gen(e.orelse)})"

    def visit_Let(self, e: ir.Let) -> str:  # a procedure's argument or local, evaluated once
        return f"(lambda {e.name}: {self.gen(e.body)})({self.gen(e.value)})"

    def visit_ArrayLit(self, e: ir.ArrayLit) -> str:
        items = ", ".join(self.gen(i) for i in e.items)
        return f"jnp.stack([jnp.asarray(x, {JNP_DTYPE[e.type.dtype]}) for x in ({items},)])"

    def visit_Reduce(self, e: ir.Reduce) -> str:
        inner = JaxExpr(self.names, self.words, self.key, {**self.known, e.var: (e.lo.value, e.hi.value - 1)})
        body = inner.gen(e.body)
        values = f"jax.vmap(lambda {e.var}: {body})(jnp.arange({self.gen(e.lo)}, {self.gen(e.hi)}, dtype=jnp.int32))"
        if e.op in ("min", "max"):  # NaN kept (see the template's _reduce)
            return f"_reduce(jnp.{e.op}, {values}, axis=0)"
        if e.op in ("any", "all"):
            return f"jnp.{e.op}({values}, axis=0)"
        if e.op in ("sum", "count"):
            return f"jnp.sum({values}, axis=0, dtype={JNP_DTYPE[e.type.dtype]})"
        return f"(jnp.{e.op}({values}, axis=0).astype(jnp.int32) + {self.gen(e.lo)})"  # argmax/argmin

    def visit_Call(self, e: ir.Call) -> str:
        args = [self.gen(a) for a in e.args]
        f = e.func
        if f == "abs":
            return f"_abs({args[0]})"
        if f in MATH:
            return (
                f"jnp.{f}({args[0]})"
                if e.args[0].type.is_float or f == "abs"
                else f"jnp.{f}(jnp.asarray({args[0]}, jnp.float32))"
            )
        if f in ("min", "max"):
            if len(args) == 1:
                return f"_reduce(jnp.{f}, {args[0]})"
            return f"jnp.{'minimum' if f == 'min' else 'maximum'}({args[0]}, {args[1]})"
        if f == "clip":
            return f"jnp.clip({args[0]}, {args[1]}, {args[2]})"
        if f == "where":
            chosen = f"jnp.where({args[0]}, {args[1]}, {args[2]})"
            if e.args[1].type.weak and e.args[2].type.weak and not e.type.weak:  # where() is strong in the IR
                return f"{chosen}.astype({JNP_DTYPE[e.type.dtype]})"
            return chosen
        if f in CASTS:
            if e.args[0].type.is_float and CASTS[f] in ir.INT_BOUNDS:  # saturating (see _f2i)
                return f"_f2i({args[0]}, {JNP_DTYPE[CASTS[f]]})"
            return f"jnp.asarray({args[0]}).astype({JNP_DTYPE[CASTS[f]]})"
        if f in ("any", "all"):
            return f"jnp.{f}({args[0]})"
        if f in ("sum", "count"):
            return f"jnp.sum({args[0]}, dtype={JNP_DTYPE[e.type.dtype]})"
        if f in ("argmax", "argmin"):
            return f"jnp.{f}(jnp.ravel({args[0]})).astype(jnp.int32)"
        if f == "stack":
            return f"jnp.stack([{', '.join(args)}], axis=-1)"
        if f == "reshape":
            return f"jnp.reshape({args[0]}, ({', '.join(args[1:])},))"
        if f == "concat":
            dtype = JNP_DTYPE[e.type.dtype]
            return f"jnp.concatenate([{', '.join(f'jnp.atleast_1d(jnp.asarray({a}, {dtype}))' for a in args)}])"
        if f == "one_hot":  # an index outside 0..n-1 matches no slot
            return f"(jnp.asarray({args[0]})[..., None] == jnp.arange({args[1]}))"
        if f in ("size", "push", "remove"):
            return f"_{f}({', '.join(args)})"
        path = "".join(", " + self.names.get(v, v) for v in e.loop_vars)
        if f == "shuffle":  # many words: a key of its own
            return f"_shuffle({args[0]}, _site_key({self.key}, {e.site}{path}))"
        word = self.words.get(e.site)
        if word is None:  # inside a loop: a key per site and iteration
            word = f"jax.random.bits(_site_key({self.key}, {e.site}{path}), (), jnp.uint32)"
        return f"_{f}({', '.join([word] + args)})"


def _power_of_two(divisor: ir.Expr) -> int | None:
    """k where the divisor is the literal 2**k (1, 2, 4, ...), else None."""
    v = divisor.value if isinstance(divisor, ir.Literal) else None
    if isinstance(v, int) and not isinstance(v, bool) and v >= 1 and v & (v - 1) == 0:
        return v.bit_length() - 1
    return None


def _even_literal(exponent: ir.Expr) -> bool:
    """Whether x ** exponent is a product of squares (an even literal power, 2 or more)."""
    v = exponent.value if isinstance(exponent, ir.Literal) else None
    return isinstance(v, int) and not isinstance(v, bool) and v >= 2 and v % 2 == 0


def _small_power(exponent: ir.Expr, known: Bounds) -> bool:
    """Whether JAX's own integer ** is exact here: a literal, or provably in 0..63."""
    r = int_range(exponent, known)
    return r is not None and 0 <= r[0] and r[1] <= 63


class JaxBlock:
    """Statements -> JAX source lines, rebinding variables functionally."""

    def __init__(
        self,
        out: Emitter,
        names: dict[str, str],
        words: dict[int, str],
        players: int,
        known: Bounds,
        arrays: frozenset[str] = frozenset(),
    ):
        self.out = out
        self.names = dict(names)
        self.words = words
        self.players = players
        self.known = dict(known)
        self.counter = 0
        self.depth = 0
        # whether each name's variable now in scope is an array (written predicated, never
        # merged): per binding, since a local's name may come back later as a scalar
        self.is_array = dict.fromkeys(arrays, True)
        self.pred: str | None = None  # where the statements now emitted take effect (None: always)
        self.loops: list[str] = []  # the variables of the loops now open, outermost first

    def fresh(self, name: str) -> str:
        self.counter += 1
        return f"{name}__{self.counter}"

    def bind(self, name: str) -> str:
        """The identifier a new value of `name` goes to: fresh inside branches."""
        ident = self.fresh(name) if self.depth > 0 else name
        self.names[name] = ident
        return ident

    def bind_array(self, name: str, value: str) -> str:
        """`name = value` for an array: under a branch, where it is taken (a new local has no old value)."""
        old = self.names.get(name)
        if self.pred is not None and old is not None:
            value = f"jnp.where({self.pred}, {value}, {old})"
        return f"{self.bind(name)} = {value}"

    def expr(self, e: ir.Expr) -> str:
        return JaxExpr(self.names, self.words, known=self.known).gen(e)

    def block(self, stmts: ir.Block) -> None:
        for s in stmts:
            getattr(self, f"visit_{type(s).__name__}")(s)

    def visit_Assign(self, s: ir.Assign) -> None:
        value = self.expr(s.value)
        dtype = JNP_DTYPE[s.type.dtype]
        if s.name not in self.names:  # a new local (a name out of scope may come back with another type)
            self.is_array[s.name] = bool(s.type.shape)
        if s.indices:  # .at[].set is the meaning: negative indexes count from the end, writes outside drop
            base = self.names[s.name]
            gen = JaxExpr(self.names, self.words, known=self.known)
            idx = [gen.index(i, n) for i, n in zip(s.indices, s.type.shape)]
            if self.pred is not None:  # not taken: the first index is its axis' size, out of range, dropped
                idx[0] = f"jnp.where({self.pred}, {idx[0]}, {s.type.shape[0]})"
            self.out.line(f"{self.bind(s.name)} = {base}.at[{', '.join(idx)}].set(jnp.asarray({value}, {dtype}))")
        elif s.type.shape:
            whole = f"jnp.broadcast_to(jnp.asarray({value}, {dtype}), {s.type.shape})"
            self.out.line(f"{self.bind_array(s.name, whole)}")
        elif s.value.type == s.type:  # already the right dtype: no cast needed
            self.out.line(f"{self.bind(s.name)} = {value}")
        else:
            self.out.line(f"{self.bind(s.name)} = jnp.asarray({value}, {dtype})")

    def visit_CallStmt(self, s: ir.CallStmt) -> None:
        args = [self.expr(a) for a in s.args]
        f = s.func
        if f in ("win", "lose"):
            self.set_outcome("rewards", f"_outcome({args[0]}, {1.0 if f == 'win' else -1.0})")
        elif f == "draw":
            self.set_outcome("rewards", f"jnp.zeros({self.players}, jnp.float32)")
        elif f == "reward":
            who = args[0] if len(args) == 2 else "s.current_player"  # reward(x): the mover, who began the step
            self.set_outcome("rewards", f"_pay({self.names['rewards']}, {who}, {args[-1]})")
        for target in OUTCOME_TARGETS[f]:
            if target in ("terminated", "truncated"):
                self.set_outcome(target, "jnp.bool_(True)")

    def set_outcome(self, name: str, value: str) -> None:
        if self.is_array.get(name):  # rewards
            self.out.line(self.bind_array(name, value))
        else:
            self.out.line(f"{self.bind(name)} = {value}")

    def visit_If(self, s: ir.If) -> None:
        chain = [s]  # the if and its elifs, in a loop rather than recursion (a thousand elifs)
        while len(chain[-1].orelse) == 1 and isinstance(chain[-1].orelse[0], ir.If):
            chain.append(chain[-1].orelse[0])
        before = dict(self.names)
        arrays = {n for n in before if self.is_array.get(n)}  # declared before the if: the ones that outlive it
        outer = self.pred
        rest = outer  # where no branch so far is taken
        branches = []
        for k, link in enumerate(chain):
            # scalars start from their values before the if; arrays go on from the last branch's
            # writes, which changed nothing where this branch can be taken (its own locals end with it)
            self.names = {**before, **{n: self.names[n] for n in arrays}}
            cond = self.fresh("cond")
            self.out.line(f"{cond} = {self.expr(link.test)}")
            self.pred = self.conjoin(rest, cond)
            if k + 1 < len(chain) or chain[-1].orelse:  # a later branch needs it
                rest = self.conjoin(rest, f"jnp.logical_not({cond})", always_name=True)
            self.depth += 1
            self.block(link.then)
            branches.append((cond, self.names))
        self.names = {**before, **{n: self.names[n] for n in arrays}}
        self.pred = rest
        self.block(chain[-1].orelse)
        self.pred = outer
        after_else = self.names
        for cond, after_then in reversed(branches):  # merge the scalars from the last elif out
            self.depth -= 1
            self.names = dict(before)
            for name in before:
                if name in arrays:
                    self.names[name] = after_else[name]  # already right in every case
                    continue
                t, e = after_then[name], after_else[name]
                if t != e:
                    self.out.line(f"{self.bind(name)} = jnp.where({cond}, {t}, {e})")
            after_else = self.names

    def conjoin(self, pred: str | None, cond: str, always_name: bool = False) -> str:
        """A name for `pred and cond` (`cond` itself at the top, where it is a name already)."""
        if pred is None and not always_name:
            return cond
        name = self.fresh("pred")
        self.out.line(f"{name} = {cond if pred is None else f'jnp.logical_and({pred}, {cond})'}")
        return name

    def visit_For(self, s: ir.For) -> None:
        carried = [n for n in assigned(s.body) if n in self.names]
        if not carried:  # it assigns only its own locals: nothing outlives an iteration
            return
        sites = chance_sites(s.body, loop=s.var)
        if sites:  # every iteration's words at once: one vectorised hash, not three per site and iteration
            words = self.fresh("loop_words")
            path = "".join(self.names.get(v, v) + ", " for v in self.loops)
            self.out.line(f"{words} = _loop_words(key, {tuple(sites)}, {s.lo.value}, {s.hi.value}, ({path}))")
            outer_words = self.words
            here = {site: f"{words}[{s.var} - {s.lo.value}, {j}]" for j, site in enumerate(sites)}
            self.words = {**outer_words, **here}
        fn = self.fresh("loop_body")
        self.out.line(f"def {fn}({s.var}, _carry):")
        self.out.indent += 1
        before = dict(self.names)
        self.out.line(f"({''.join(n + ', ' for n in carried)}) = _carry")
        # the index is int32 as the IR types it: fori_loop's own is weakly typed (from the Python
        # bounds), and `i // int8(x)` would then be int8 and change a carried value's dtype
        self.out.line(f"{s.var} = jnp.asarray({s.var}, jnp.int32)")
        for n in carried:
            self.names[n] = n
        self.names[s.var] = s.var
        outer = self.known
        self.known = {**outer, s.var: (s.lo.value, s.hi.value - 1)}
        self.depth += 1
        self.loops.append(s.var)
        self.block(s.body)
        self.loops.pop()
        self.depth -= 1
        self.known = outer
        if sites:
            self.words = outer_words
        self.out.line(f"return ({''.join(self.names[n] + ', ' for n in carried)})")
        self.out.indent -= 1
        self.names = before
        init = "".join(before[n] + ", " for n in carried)  # before bind() renames them
        result = ", ".join(self.bind(n) for n in carried)
        self.out.line(f"({result},) = jax.lax.fori_loop({self.expr(s.lo)}, {self.expr(s.hi)}, {fn}, ({init}))")


def _state_names(program: ir.Program, prefix: str = "s.") -> dict[str, str]:
    names = {f.name: f"{prefix}{f.name}" for f in program.fields}
    names.update({n: f"{prefix}{n}" for n in ("current_player", "step_count", *OUTCOME_VARS_ALL)})
    return names


OUTCOME_VARS_ALL = ("rewards", "terminated", "truncated")


def draw_words(out: Emitter, *nodes: object) -> dict[int, str]:
    """Emit the function's one draw of random words; map each chance site to its word."""
    sites = chance_sites(*nodes)
    if sites:
        out.line(f"_words = jax.random.bits(key, ({len(sites)},), jnp.uint32)")
    return {site: f"_words[{i}]" for i, site in enumerate(sites)}


def run_block(
    out: Emitter, program: ir.Program, block: ir.Block, names: dict[str, str], words: dict[int, str], known: Bounds
) -> str:
    """Unpack what `block` writes from `s`, run it, and return the `s.replace(...)` text."""
    names = dict(names)
    written = [n for n in assigned(block) if n in _state_names(program)]
    for n in written:
        out.line(f"{n} = s.{n}")
        names[n] = n
    arrays = frozenset(f.name for f in program.fields if f.type.shape) | {"rewards"}
    gen = JaxBlock(out, names, words, program.players, known, arrays)
    gen.block(block)
    if not written:
        return "s"
    return f"s.replace({', '.join(f'{n}={gen.names[n]}' for n in written)})"


def effect_function(program: ir.Program, action: ir.Action) -> str:
    """The body of `_effect_NAME(s, _params, key)`."""
    out = Emitter(1)
    names = _state_names(program)
    for i, p in enumerate(action.params):
        out.line(f"{p.name} = _params[{i}]")
        names[p.name] = p.name
    if action.pick:  # the params' extra last column: k for choice(k), -1 for every other action
        out.line(f"{action.pick} = _params[{max_params(program)}]")
        names[action.pick] = action.pick
    words = draw_words(out, action.effect)
    known = effect_bounds(program, action)  # constants, parameters and proven locals
    out.line(f"return {run_block(out, program, action.effect, names, words, known)}")
    return out.text()


def init_function(program: ir.Program) -> str:
    """The body of `init(key)`: field values, then the spec's init rules."""
    out = Emitter(1)
    names = _state_names(program)
    words = draw_words(out, tuple(f.init for f in program.fields), program.init)
    known = constant_bounds(program)
    out.line("s = State(")
    out.line("    current_player=jnp.int32(0),")
    out.line("    observation=jnp.zeros(OBSERVATION_SHAPE, OBSERVATION_DTYPE),")
    out.line("    legal_action_mask=jnp.zeros(NUM_ACTIONS, jnp.bool_),")
    out.line("    rewards=jnp.zeros(NUM_PLAYERS, jnp.float32),")
    out.line("    terminated=jnp.bool_(False),")
    out.line("    truncated=jnp.bool_(False),")
    out.line("    step_count=jnp.int32(0),")
    for f in program.fields:
        value = JaxExpr(names, words, known=known).gen(f.init)
        dtype = JNP_DTYPE[f.type.dtype]
        if f.type.shape:
            out.line(f"    {f.name}=jnp.broadcast_to(jnp.asarray({value}, {dtype}), {f.type.shape}),")
        else:
            out.line(f"    {f.name}=jnp.asarray({value}, {dtype}),")
    out.line(")")
    final = run_block(out, program, program.init, names, words, known)
    out.line(f"return refresh({final})")
    return out.text()


def generate(program: ir.Program) -> str:
    """The whole env.py for `program`."""
    table = action_table(program)
    width = max_params(program)
    params_rows = [list(values) + [0] * (width - len(values)) for _, values in table]
    routes = router(program)
    if routes:  # the pick an effect resumes with: k for choice(k), -1 for the other actions
        params_rows = [row + [values[0] if kind == routes["kind"] else -1]
                       for row, (kind, values) in zip(params_rows, table)]  # fmt: skip
    names = _state_names(program)
    known = constant_bounds(program)
    actions = []
    for a in program.actions:
        guard_names = dict(names, **{p.name: p.name for p in a.params})
        guard_known = {**known, **{p.name: (p.lo, p.hi - 1) for p in a.params}}
        actions.append(
            {
                "name": a.name,
                "params": a.params,
                "guard": JaxExpr(guard_names, known=guard_known).gen(a.legal),
                "effect": effect_function(program, a),
            }
        )
    obs_names = dict(names, player="player")
    return render(
        "jax_env.py.j2",
        program=program,
        float_fields=[f.name for f in float_fields(program)],
        step_flushed=fields_flushed_by_step(program),
        version=__version__,
        labels_code=py_list("ACTION_LABELS", [py_scalar(label) for label in action_labels(program)]),
        jnp_dtype=JNP_DTYPE,
        constants_code=py_constants(program.constants, "jnp.array", JNP_DTYPE),
        kinds_code=py_statement("_KIND = jnp.array(", tuple(k for k, _ in table), ", dtype=jnp.int32)"),
        params_code=py_statement("_PARAMS = jnp.array(", tuple(map(tuple, params_rows)), ", dtype=jnp.int32)"),
        router=routes,
        actions=actions,
        init_body=init_function(program),
        observe=JaxExpr(obs_names, known=known).gen(program.observe),
        invariants=[JaxExpr(names, known=known).gen(inv) for inv in program.invariants],
        illegal_rewards=illegal_rewards(program),
        player_proven=player_always_valid(program),
    )
