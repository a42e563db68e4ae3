"""specc's standard library: built-in functions, reductions, chance and outcomes.

Each entry gives the typing rule; the backends give the lowering. This table is
also the source of the language reference.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ir
from .errors import SpecError
from .ir import BOOL, FLOAT32, INT32, Pos, Type
from .types import binary_type, broadcast, common_type


def _arity(name: str, args, n: int | tuple[int, ...], pos: Pos) -> None:
    ns = (n,) if isinstance(n, int) else n
    if len(args) not in ns:
        want = " or ".join(map(str, ns))
        raise SpecError(f"{name}() takes {want} argument(s), got {len(args)}", pos)


def _numeric(name: str, a: ir.Expr) -> None:
    if a.type.is_bool:
        raise SpecError(f"{name}() needs a number, not {a.type}", a.pos)


def _math(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        _numeric(name, args[0])
        return Type("float32", args[0].type.shape, args[0].type.weak)

    return rule


def _abs(args, pos):
    _arity("abs", args, 1, pos)
    _numeric("abs", args[0])
    return args[0].type


def _minmax(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, (1, 2), pos)
        if len(args) == 1:  # reduce a whole array
            _numeric(name, args[0])
            return Type(args[0].type.dtype)
        _numeric(name, args[0])
        _numeric(name, args[1])
        return binary_type("+", args[0].type, args[1].type, pos)

    return rule


def _clip(args, pos):
    _arity("clip", args, 3, pos)
    for a in args:
        _numeric("clip", a)
    t = binary_type("+", args[0].type, args[1].type, pos)
    return binary_type("+", t, args[2].type, pos)


def _where(args, pos):
    _arity("where", args, 3, pos)
    if not args[0].type.is_bool:
        raise SpecError(f"where() needs a bool condition, not {args[0].type}", args[0].pos)
    a, b = args[1].type, args[2].type
    t = common_type("where()", a, b, pos)
    shape = broadcast(broadcast(a.shape, b.shape, pos), args[0].type.shape, pos)
    return Type(t.dtype, shape)


def _cast(dtype: str) -> Callable:
    def rule(args, pos):
        _arity(dtype, args, 1, pos)
        return Type(dtype, args[0].type.shape)

    return rule


def _array_reduce(name: str, result: Callable[[Type], Type]) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        if args[0].type.is_scalar:
            raise SpecError(f"{name}() of a single value: use {name}(i in a..b: ...) or pass an array", pos)
        return result(args[0].type)

    return rule


def _needs_bool(name: str) -> Callable[[Type], Type]:
    def result(t: Type) -> Type:
        if not t.is_bool:
            raise SpecError(f"{name}() needs bools, not {t}", None)
        return BOOL if name in ("any", "all") else INT32

    return result


def _sum_type(t: Type) -> Type:
    return FLOAT32 if t.is_float else INT32


def _stack(args, pos):
    if len(args) < 1:
        raise SpecError("stack() needs at least one argument", pos)
    t = args[0].type
    for a in args[1:]:
        if a.type.shape != t.shape:
            raise SpecError(f"stack() needs one shape, not {t} and {a.type}", a.pos)
        t = common_type("stack()", t, a.type, a.pos)
    return Type(t.dtype, t.shape + (len(args),))


def _reshape(args, pos):
    if len(args) < 2:
        raise SpecError("reshape(x, d1, d2, ...) needs an array and its new dimensions", pos)
    dims = []
    for a in args[1:]:
        if not isinstance(a, ir.Literal) or isinstance(a.value, bool) or not isinstance(a.value, int) or a.value < 1:
            raise SpecError("reshape() dimensions must be positive constant integers", a.pos)
        dims.append(a.value)
    size = 1
    for d in args[0].type.shape:
        size *= d
    want = 1
    for d in dims:
        want *= d
    if size != want:
        raise SpecError(f"cannot reshape {args[0].type} ({size} values) to {dims} ({want} values)", pos)
    return Type(args[0].type.dtype, tuple(dims))


def _concat(args, pos):
    if not args:
        raise SpecError("concat() needs at least one argument", pos)
    shapes = [a.type.shape or (1,) for a in args]  # a scalar counts as a length-1 array
    t = args[0].type
    for a, shape in zip(args[1:], shapes[1:]):
        if a.type.is_bool != t.is_bool:
            raise SpecError(f"concat() needs all bools or all numbers, not {args[0].type} and {a.type}", a.pos)
        if shape[1:] != shapes[0][1:]:
            raise SpecError(f"concat() needs one shape after the first axis, not {args[0].type} and {a.type}", a.pos)
        # the common dtype only: the parts' lengths differ, so their shapes do not broadcast
        scalars = Type(t.dtype, (), t.weak), Type(a.type.dtype, (), a.type.weak)
        t = t if (t.is_bool and a.type.is_bool) else binary_type("+", *scalars, pos)
    return Type(t.dtype, (sum(s[0] for s in shapes),) + shapes[0][1:])


def _one_hot(args, pos):
    _arity("one_hot", args, 2, pos)
    if not args[0].type.is_int:
        raise SpecError(f"one_hot(i, n) needs integer indexes, not {args[0].type}", args[0].pos)
    n = args[1]
    if not isinstance(n, ir.Literal) or isinstance(n.value, bool) or not isinstance(n.value, int) or n.value < 1:
        raise SpecError("one_hot(i, n) needs a constant positive integer n", n.pos)
    return Type("bool", args[0].type.shape + (n.value,))


def _size(args, pos):
    _arity("size", args, 1, pos)
    _zone("size", args[0])
    return INT32


def _push(args, pos):
    _arity("push", args, 2, pos)
    _zone("push", args[0])
    if not (args[1].type.is_int and args[1].type.is_scalar):
        raise SpecError(f"push(zone, card) needs a card id, not {args[1].type}", args[1].pos)
    return Type(args[0].type.dtype, args[0].type.shape)


def _remove(args, pos):
    _arity("remove", args, 2, pos)
    _zone("remove", args[0])
    if not (args[1].type.is_int and args[1].type.is_scalar):
        raise SpecError(f"remove(zone, index) needs an index, not {args[1].type}", args[1].pos)
    return Type(args[0].type.dtype, args[0].type.shape)


# Zones: fixed-capacity card arrays, cards packed at the front, -1 marking empty slots.
ZONES = {"size": _size, "push": _push, "remove": _remove}

FUNCTIONS: dict[str, Callable] = {
    **ZONES,
    "reshape": _reshape,
    "abs": _abs,
    "sqrt": _math("sqrt"),
    "sin": _math("sin"),
    "cos": _math("cos"),
    "tan": _math("tan"),
    "exp": _math("exp"),
    "log": _math("log"),
    "floor": _math("floor"),
    "min": _minmax("min"),
    "max": _minmax("max"),
    "clip": _clip,
    "where": _where,
    "int": _cast("int32"),
    "int8": _cast("int8"),
    "int16": _cast("int16"),
    "int32": _cast("int32"),
    "float": _cast("float32"),
    "any": _array_reduce("any", _needs_bool("any")),
    "all": _array_reduce("all", _needs_bool("all")),
    "count": _array_reduce("count", _needs_bool("count")),
    "sum": _array_reduce("sum", _sum_type),
    "argmax": _array_reduce("argmax", lambda t: INT32),
    "argmin": _array_reduce("argmin", lambda t: INT32),
    "stack": _stack,
    "concat": _concat,
    "one_hot": _one_hot,
}


def _flip(args, pos):
    _arity("flip", args, 0, pos)
    return BOOL


def _roll(args, pos):
    _arity("roll", args, 1, pos)
    if not (args[0].type.is_int and args[0].type.is_scalar):
        raise SpecError(f"roll(n) needs an integer n, not {args[0].type}", args[0].pos)
    if isinstance(args[0], ir.Literal) and args[0].value < 1:
        raise SpecError("roll(n) needs n >= 1", args[0].pos)
    return INT32


def _uniform(args, pos):
    _arity("uniform", args, 2, pos)
    for a in args:
        if not (a.type.is_scalar and not a.type.is_bool):
            raise SpecError(f"uniform(low, high) needs numbers, not {a.type}", a.pos)
    return FLOAT32


# Chance: each call site draws from fold_in(key, site) (DESIGN.md), on both backends.
def _zone(name: str, z: ir.Expr) -> None:
    if not (z.type.is_int and len(z.type.shape) == 1):
        raise SpecError(f"{name}() needs a zone: a 1-D integer array (card ids, -1 for empty), not {z.type}", z.pos)


def _shuffle(args, pos):
    _arity("shuffle", args, 1, pos)
    _zone("shuffle", args[0])
    return Type(args[0].type.dtype, args[0].type.shape)


def _choose(args, pos):
    _arity("choose", args, 1, pos)
    if not (args[0].type.is_bool and len(args[0].type.shape) == 1):
        raise SpecError(f"choose(mask) needs a 1-D bool array, not {args[0].type}", args[0].pos)
    return INT32


# Chance: each call site draws from the step's key (DESIGN.md), the same on both backends.
# shuffle(zone): a uniform permutation of the zone's cards (its non-negative prefix);
# choose(mask): a uniform index among the True entries (-1 if there is none).
CHANCE: dict[str, Callable] = {
    "flip": _flip,
    "roll": _roll,
    "uniform": _uniform,
    "shuffle": _shuffle,
    "choose": _choose,
}


def call_type(func: str, args: tuple[ir.Expr, ...], pos: Pos) -> Type:
    rule = FUNCTIONS.get(func) or CHANCE[func]
    try:
        return rule(args, pos)
    except SpecError as err:
        if err.pos is None:
            raise SpecError(err.message, pos) from None
        raise


def _reduction(name: str) -> Callable[[Type, Pos], Type]:
    def rule(body: Type, pos: Pos) -> Type:
        if name in ("any", "all", "count"):
            if not body.is_bool:
                raise SpecError(f"{name}(...) needs a bool body, not {body}", pos)
            return Type("bool" if name != "count" else "int32", body.shape)
        if body.is_bool:
            raise SpecError(f"{name}(...) needs a number, not {body}", pos)
        if name == "sum":
            return Type(_sum_type(body).dtype, body.shape)
        if name in ("argmax", "argmin"):
            return Type("int32", body.shape)
        return Type(body.dtype, body.shape)  # min, max

    return rule


REDUCTIONS: dict[str, Callable[[Type, Pos], Type]] = {
    name: _reduction(name) for name in ("any", "all", "sum", "count", "min", "max", "argmax", "argmin")
}


def _player_arg(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 1, pos)
        if not (args[0].type.is_int and args[0].type.is_scalar):
            raise SpecError(f"{name}(player) needs a player number, not {args[0].type}", args[0].pos)

    return rule


def _no_args(name: str) -> Callable:
    def rule(args, pos):
        _arity(name, args, 0, pos)

    return rule


def _reward(args, pos):
    _arity("reward", args, (1, 2), pos)
    if len(args) == 2 and not (args[0].type.is_int and args[0].type.is_scalar):
        raise SpecError(f"reward(player, value) needs a player number, not {args[0].type}", args[0].pos)
    value = args[-1]
    if value.type.is_bool or not value.type.is_scalar:
        raise SpecError(f"reward() needs a number, not {value.type}", value.pos)


# Statements that end the game or pay rewards. win/lose pay +1/-1 (the rest the opposite).
OUTCOMES: dict[str, Callable] = {
    "win": _player_arg("win"),
    "lose": _player_arg("lose"),
    "draw": _no_args("draw"),
    "terminate": _no_args("terminate"),
    "truncate": _no_args("truncate"),
    "reward": _reward,
}


# What every construct gives at the edges of its domain: one meaning, computed exactly by
# every backend, jitted or not (docs/language.md's "Semantics" section is generated from
# this table; tests/test_semantics.py checks each row on every backend). Operators are
# keyed by their symbol, built-ins by name; docs.py fails if a built-in has no row.
SEMANTICS: dict[str, str] = {
    "+ - * (integers)": "wrap around in the result's dtype (two's complement), as int8/int16/int32 hardware "
    "does: `int8 127 + 1 == -128`",
    "- x (integers)": "wraps: `-(-128)` is -128 in int8",
    "+ - * / (floats)": "IEEE float32: overflow gives ±inf, `0.0 / 0.0` and `inf - inf` give NaN. Each "
    "operation rounds once, as the reference, C (built with `-ffp-contract=off`) and eager JAX do; under "
    "jit, XLA on CPU always fuses `a * b + c` into one multiply-add (one rounding for two: no flag turns "
    "it off), so a jitted step's floats may differ in the last bits, within the field's `tolerance`. A "
    "comparison of such floats may then fall either way at a threshold: level 3 checks each step from the "
    "reference's floats, reports the largest gap, and reports a branch decided differently as a divergence",
    "/": "always float32 (integers are converted first): `x / 0` is ±inf, `0 / 0` is NaN",
    "// (integers)": "floor division; `x // 0 == 0` (as NumPy); `INT_MIN // -1` wraps to INT_MIN",
    "% (integers)": "the remainder with the divisor's sign, `a - (a // b) * b`; `x % 0 == 0`",
    "// % (floats)": "NumPy's floor division and remainder: `7.0 // 0.0` is inf, `7.0 % 0.0` is NaN, "
    "`0.0 // 0.0` is NaN",
    "** (integers)": "wraps in the result's dtype; a negative exponent (at run time; a literal one is "
    "rejected) gives `1 / x ** -n` truncated: 1 for x = 1, ±1 for x = -1, 0 otherwise (also for x = 0)",
    "constant expressions": "an operation on literals and constants only is computed when the spec is "
    "checked, as the `constants:` section is (so are `abs`, `min`, `max` and `clip` of literals): "
    "integers exactly (a result that does not fit the dtype it is used as, or a division by a literal 0, "
    "is an error; so is a literal that does not fit where it lands, also as an array literal's item or "
    "a branch of a literal-only `a if c else b`: `h[0] = [1, 300]` with h int8), floats in double "
    "precision, comparisons "
    "included, and the result is rounded once to float32 where it is used: `(0.1 + 0.2) > 0.3` is true "
    "(in float32 arithmetic it would be false)",
    "literal-only values at run time": "a value only literals feed but the spec cannot fold (`2000000000 "
    "if x > 0 else 0`) is an int32 that takes the dtype of what it meets, as a literal does, and its "
    "arithmetic wraps in int32: `(2000000000 if c else 0) + (2000000000 if c else 0)` is -294967296 "
    "when c; `where(c, 200, 0)` is a plain int32 (`where(c, 200, 0) // h` with h int8 is int32: 66 for h = 3)",
    "subnormal floats": "count as zero (flush to zero), as XLA computes on CPU: a float32 of magnitude "
    "below 2**-126 (e.g. `1e-40`) is read as 0.0 (sign kept) by every operation and comparison, and an "
    "operation whose result would be one gives 0.0 (`1e-40 > 0.0` is false; `x * 1e-20` with x = 1e-20 "
    "is 0.0; `0.0 ** x` with x = 1e-40 in the state is 1.0). Literals, constants and table values are "
    "flushed when the spec is checked. The reference and C flush the state's float fields as step and "
    "observe read them (the CPU's denormals-are-zero mode does not reach XLA's pow or the C library); "
    "JAX's observe does too, and its step flushes the fields whose bits would otherwise reach the new "
    "state or a pow (specc/backends/subnormal.py): the same bits. The reference flushes each float "
    "result, C sets the CPU's flush modes. No backend gives a subnormal, even by copying one out of "
    "a hand-made state. Limit: on a GPU, XLA flushes only with "
    "`XLA_FLAGS=--xla_gpu_ftz=true`",
    "** (floats)": "the C library's `powf`: `(-8.0) ** 0.5` is NaN, `0.0 ** -1` is inf; to a literal "
    "integer power, by repeated squaring as `lax.integer_pow` (`x ** 3` is `x * (x * x)`, each product "
    "rounded)",
    "== != < <= > >=": "on floats IEEE: any comparison with NaN is false except `!=`; an integer compared "
    "with a float is converted to float32 first",
    "a[i] (read)": "a negative index counts from the end (`a[-1]` is the last element), then an index "
    "still outside the axis is clamped to it: `a[9]` of an int32[4] is `a[3]`, `a[-9]` is `a[0]`; "
    "the same for each index of `a[i, j]` and for every element of an index array",
    "a[i] = v (write)": "a negative index counts from the end; a write outside the array after that is "
    "dropped (nothing changes). An index array may only be written with one value for all its elements",
    "abs": "`abs(INT_MIN)` wraps to INT_MIN; `abs(NaN)` is NaN",
    "sqrt": "NaN for x < 0",
    "sin": "the C library's `sinf` (XLA on CPU calls it too: the same bits on every backend); NaN for ±inf",
    "cos": "the C library's `cosf`, as `sin`; NaN for ±inf",
    "tan": "the C library's `tanf`, as `sin`; NaN for ±inf",
    "exp": "the C library's `expf` in the reference and C; XLA's own approximation in JAX, within an ulp "
    "(the field's `tolerance`); overflow gives inf",
    "log": "the C library's `logf` in the reference and C; XLA's own in JAX, within an ulp; `log(0)` is "
    "-inf, NaN for x < 0",
    "floor": "`floor(±inf)` is ±inf, NaN stays NaN",
    "min": "NaN if either value (or any element) is NaN",
    "max": "NaN if either value (or any element) is NaN",
    "clip": "`min(max(x, lo), hi)`: hi when lo > hi; NaN stays NaN",
    "where": "no edge: both branches are computed, the condition picks",
    "int": "from float: truncates toward zero, saturates at the dtype's limits (inf and out-of-range "
    "values give the nearest limit), NaN gives 0; from a wider integer: wraps (keeps the low bits)",
    "int8": "as int(x), into int8",
    "int16": "as int(x), into int16",
    "int32": "as int(x), into int32",
    "float": "rounds to the nearest float32",
    "any": "no edge",
    "all": "no edge",
    "count": "no edge",
    "sum": "integer sums wrap in int32; float sums are float32 (NaN if any element is NaN)",
    "argmax": "the first greatest element; a NaN counts as greatest (the first NaN wins)",
    "argmin": "the first least element; a NaN counts as least (the first NaN wins)",
    "stack": "no edge: a literal takes the common dtype",
    "reshape": "no edge (sizes are checked)",
    "concat": "no edge: a scalar counts as a length-1 array, every part takes the common dtype",
    "one_hot": "an index outside 0..n-1 (negative ones included) gives all false",
    "size": "counts the slots >= 0",
    "push": "a full zone is unchanged; a computed card wraps into the zone's dtype (a literal one must fit it)",
    "remove": "an index outside 0..capacity-1 (negative ones included) leaves the zone unchanged",
    "flip": "no edge",
    "roll": "n < 1 at run time gives 0 (a literal n < 1 is rejected)",
    "uniform": "`lo + (hi - lo) * u` with u in [0, 1): lo > hi gives a value in (hi, lo]; NaN or inf "
    "bounds give what that float32 formula gives",
    "shuffle": "no edge: the -1 slots stay at the end",
    "choose": "-1 when no entry is true",
    "win": "p outside 0..players-1 names no player: the game ends with every player at 0, as draw()",
    "lose": "p outside 0..players-1 names no player: the game ends with every player at 0, as draw()",
    "draw": "no edge",
    "terminate": "no edge",
    "truncate": "no edge",
    "reward": "a player outside 0..players-1 (reward(x) when current_player is not a player) is paid "
    "nothing; NaN and inf are paid as they are",
    "repeat": "`repeat up to N while c`: c is checked before each iteration (the failing check "
    "included) and the block runs while it holds; c false at once: zero iterations; after N iterations "
    "the loop just stops, c unchecked. Chance in c or the block draws per iteration",
    "choice": "`x = choice(p, options)`: no true option: x = -1 and the effect goes on in the same step; "
    "else the step ends with current_player = p (any int: outside 0..players-1 it is as any such "
    "current_player) and only `choice(k)` legal for the true options k; the pick resumes the effect with "
    "x = k and current_player restored. Inside a loop, each iteration that reaches it stops there and the "
    "pick resumes that iteration; the later ones run in the pick's step. Only a hand-made state whose "
    "legal_action_mask disagrees with choice__pending can step the next two: a pick with nothing pending "
    "runs no effect; an ordinary action with a choice pending runs its effect afresh (what was pending is "
    "dropped). A choice__pending outside 0..(choice points) is read as the nearest of those",
    "observe(state, p)": "p is a player id if it is a whole number in 0..players-1 (any Python, NumPy or "
    "JAX integer, float or bool; True is 1); any other p (-1, players, 2.5, NaN, 2**40) sees an all-zero "
    "observation, so no id can see hidden fields",
    "step(state, action, key)": "an action is valid if it is a whole number in 0..num_actions-1 (any "
    "Python, NumPy or JAX integer, float or bool; True is 1, 2.0 is 2); anything else (-1, num_actions, "
    "2.5, NaN, 2**40, np.uint64(2**64 - 1)) is an illegal action. Under jax.jit, JAX converts the "
    "argument first (an np.int64 is cut to int32, a Python int beyond int32 raises OverflowError)",
    "illegal action": "ends the game: the mover gets the low end of rewards.range; with zero_sum, the "
    "others share what balances it (-low / (players - 1) each; the checker rejects a range that cannot), "
    "else they get 0 clipped into the range; when current_player is not a player, everyone gets 0 "
    "clipped into the range",
    "current_player outside 0..players-1": "the observation is all zero, reward(x) pays nobody, an "
    "illegal action pays as above. Where the checker proves that every assignment keeps current_player "
    "a player (tic-tac-toe's `1 - current_player`), no state init and step reach has one, and the "
    "observation is refreshed without the check",
}
