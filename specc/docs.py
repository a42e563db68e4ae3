"""docs/language.md, generated from the grammar, the standard library and the spec schema.

People and the agent read the same reference: `specc docs` writes it, the agent's
prompts embed it, and a test checks the committed file is fresh. Every built-in name
comes from specc.builtins' tables; a built-in without a line in DESCRIPTIONS is an
error here, so the reference cannot silently fall behind the library.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from . import builtins, schema
from .check_expr import BUILTIN_STATE, RESERVED
from .errors import SpecError
from .ir import DTYPES
from .syntax import GRAMMAR_PATH, grammar_text

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "language.md"

# name -> (call form, what it does). Typing rules live in specc.builtins; this says what they mean.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "abs": ("abs(x)", "absolute value, same dtype"),
    "sqrt": ("sqrt(x)", "square root, float32"),
    "sin": ("sin(x)", "sine (radians), float32"),
    "cos": ("cos(x)", "cosine (radians), float32"),
    "tan": ("tan(x)", "tangent (radians), float32"),
    "exp": ("exp(x)", "e to the x, float32"),
    "log": ("log(x)", "natural logarithm, float32"),
    "floor": ("floor(x)", "round down, float32 (cast with int(...) for an integer)"),
    "min": ("min(a, b) / min(array)", "the smaller of two values (promoted), or the least element of an array"),
    "max": ("max(a, b) / max(array)", "the larger of two values (promoted), or the greatest element of an array"),
    "clip": ("clip(x, lo, hi)", "x limited to [lo, hi]"),
    "where": ("where(cond, a, b)", "elementwise a where cond is true, else b (all three broadcast)"),
    "int": ("int(x)", "cast to int32 (floats truncate toward zero)"),
    "int8": ("int8(x)", "cast to int8"),
    "int16": ("int16(x)", "cast to int16"),
    "int32": ("int32(x)", "cast to int32"),
    "float": ("float(x)", "cast to float32"),
    "any": ("any(bools)", "true if any element of a bool array is true"),
    "all": ("all(bools)", "true if every element of a bool array is true"),
    "count": ("count(bools)", "the number of true elements, int32"),
    "sum": ("sum(array)", "the sum of the elements: int32 for integers and bools, float32 for floats"),
    "argmax": ("argmax(array)", "the index of the first greatest element, int32"),
    "argmin": ("argmin(array)", "the index of the first least element, int32"),
    "stack": ("stack(a, b, ...)", "arrays of one shape stacked along a new last axis"),
    "reshape": ("reshape(x, d1, d2, ...)", "the same values in a new shape (constant positive dimensions)"),
    "concat": (
        "concat(a, b, ...)",
        "arrays joined along their first axis (a scalar counts as a length-1 array); "
        "all bools or all numbers: `int8(one_hot(i, n))` joins a one-hot to numbers",
    ),
    "one_hot": ("one_hot(i, n)", "bool[n], true at index i (n a constant); an index array gives one more axis"),
    "size": ("size(zone)", "the number of cards in a zone (its non-negative prefix), int32"),
    "push": ("push(zone, card)", "the zone with `card` added after its last card (unchanged if full)"),
    "remove": (
        "remove(zone, i)",
        "the zone without the card at index i, the rest moved up (no change if i is outside)",
    ),
    "flip": ("flip()", "a fair coin: true or false"),
    "roll": ("roll(n)", "a fair pick of 0..n-1 (n a positive integer), int32"),
    "uniform": ("uniform(lo, hi)", "a float32 drawn uniformly from [lo, hi)"),
    "shuffle": ("shuffle(zone)", "a uniform permutation of the zone's cards (the -1 slots stay at the end)"),
    "choose": ("choose(mask)", "a uniform index among the true entries of a 1-D bool array, -1 if there is none"),
    "win": ("win(p)", "the game ends; player p gets +1, every other player -1"),
    "lose": ("lose(p)", "the game ends; player p gets -1, every other player +1"),
    "draw": ("draw()", "the game ends; every player gets 0"),
    "terminate": ("terminate()", "the game ends; rewards as paid so far this step"),
    "truncate": ("truncate()", "the episode is cut off (not a terminal state of the game)"),
    "reward": ("reward(x) / reward(p, x)", "pay x to the mover, or to player p, this step (the game goes on)"),
}

REDUCTION_FORMS: dict[str, str] = {
    "any": "true if the body holds for some i",
    "all": "true if the body holds for every i",
    "count": "how many i the body holds for, int32",
    "sum": "the sum of the body over i",
    "min": "the least value of the body",
    "max": "the greatest value of the body",
    "argmax": "the first i where the body is greatest (i itself, not an offset from lo)",
    "argmin": "the first i where the body is least",
}

ZONES_INTRO = "Fixed-capacity card arrays: 1-D integer arrays of card ids, cards packed at the front, -1 empty."
CHANCE_INTRO = (
    "Allowed in `init`, effects and kernels, never in guards, observations or constants. Each call site "
    "draws from its own key, the same on every backend; inside a `for`, the key also folds in each "
    "enclosing loop's index as its int32 bits (-1 as 0xFFFFFFFF), so every iteration draws anew. "
    "Sites are numbered in the order the checker meets them (state fields' init values, the init "
    "block, then each action's effect in spec order; a procedure's calls once per place it is "
    "called): adding or removing a chance call renumbers the later sites, and so changes what they "
    "draw for a given key. "
    "`init(key)` draws from the key as given (on small "
    "counters) and the step that makes `step_count` t from `fold_in(key, 2**31 | t)`, a counter init never "
    "uses: init's draws and each step's are independent even when the same key is passed to all of them."
)
OUTCOMES_INTRO = "Statements, in effects only. win and lose pay +1/-1 (the others the opposite)."
EXPR_RULES = ("expr", "or_test", "and_test", "not_test", "comparison", "arith", "term", "factor", "power", "postfix")

# Spec sections and entries: one line on what each key is for (the model gives its type and default).
KEY_DOCS: dict[str, str] = {
    "specc": "the format version, always 1",
    "name": "an identifier: the environment's id and generated/NAME/",
    "title": "a human title",
    "description": "free text",
    "source": "where the rules come from (a URL or rules/NAME.md)",
    "players": "the number of players, 1 to 8",
    "constants": "NAME: a number, a bool, a nested list (a table) or a formula over earlier constants",
    "enums": "NAME: [member, ...]; `NAME.member` is the member's index",
    "tables": "NAME: a data file and its typed columns; `NAME.column[row]`, `NAME.rows`",
    "state": "the game's fields, NAME: {type, init, range, visible, ...}",
    "init": "statements run once at the start (after each field's init); may use chance",
    "procedures": "NAME: {params, body, returns}: a named block called as `NAME(args)` (see Procedures)",
    "kernels": "NAME: {doc, args, returns}: a rule in words, its body filled by the agent (see Kernels)",
    "actions": "NAME: {params, legal, effect}: an action kind; the flat action space lists every kind's params",
    "observe": "what a player sees: {type, value}, `player` bound to the observer",
    "rewards": "{range: [lo, hi], zero_sum}: the bounds the property tests check",
    "max_steps": "the episode is truncated after this many steps",
    "invariants": "bool expressions over the state that must hold after every step (checked at level 1)",
    "scenarios": "rules written as tests, run on both backends at verify level 2",
    "render": "FIELD: {grid, symbols, axes}: how `specc play` draws a state field (others: as numbers)",
    "peers": "KIND:ID: {chance}: how an outside implementation replays the spec's chance (verify --against)",
}


def language_reference() -> str:
    """The whole of docs/language.md."""
    missing = [n for n in (*builtins.FUNCTIONS, *builtins.CHANCE, *builtins.OUTCOMES) if n not in DESCRIPTIONS]
    missing += [n for n in builtins.REDUCTIONS if n not in REDUCTION_FORMS]
    missing += [n for n in schema.Spec.model_fields if n not in KEY_DOCS]
    missing += [f"{n} (semantics)" for n in (*builtins.FUNCTIONS, *builtins.CHANCE, *builtins.OUTCOMES)
                if n not in builtins.SEMANTICS]  # fmt: skip
    if missing:
        raise SpecError(f"specc.docs: no description for {', '.join(missing)} (add it to DESCRIPTIONS or KEY_DOCS)")
    parts = [
        "# specc's language reference\n",
        "<!-- Generated by `specc docs` from specc/grammar/specc.lark, specc/builtins.py and specc/schema.py;"
        " do not edit. -->\n",
        "A spec is a YAML file. Its structure is checked by pydantic; every guard, effect, formula and",
        "observation is a string in specc's language: Python-like expressions and statements over",
        "fixed-shape arrays, with no unbounded loops. This document is also what the agent reads.\n",
        _sections(),
        _types(),
        _names(),
        _syntax(),
        _table("Functions", [n for n in builtins.FUNCTIONS if n not in builtins.ZONES]),
        "## Reductions\n",
        "`OP(i in lo..hi: body)` loops i over the half-open range (constant bounds); `OP(array)` reduces",
        "a whole array (for any, all, count: a bool array).\n",
        "| reduction | gives |",
        "|---|---|",
        *[f"| `{n}(i in lo..hi: ...)` | {REDUCTION_FORMS[n]} |" for n in builtins.REDUCTIONS],
        "",
        _table("Zones", list(builtins.ZONES), ZONES_INTRO),
        _table("Chance", list(builtins.CHANCE), CHANCE_INTRO),
        _table("Outcomes", list(builtins.OUTCOMES), OUTCOMES_INTRO),
        _procedures(),
        _repeat(),
        _choices(),
        _hidden(),
        _kernels(),
        _semantics(),
        "## Grammar\n",
        f"The whole grammar, `specc/{GRAMMAR_PATH.parent.name}/{GRAMMAR_PATH.name}` (Lark, LALR). Blocks use",
        "Python's",
        "indentation rules.\n",
        "```lark",
        grammar_text().rstrip(),
        "```",
        "",
    ]
    return "\n".join(parts)


def _sections() -> str:
    lines = ["## Spec sections\n", "| key | type | default | what |", "|---|---|---|---|"]
    for name, info in schema.Spec.model_fields.items():
        lines.append(f"| `{name}` | {_type_name(info.annotation)} | {_default(info)} | {KEY_DOCS[name]} |")
    lines.append("")
    for model in (schema.FieldSpec, schema.ConstantSpec, schema.TableSpec, schema.ActionSpec, schema.ProcedureSpec,
                  schema.KernelSpec, schema.ObserveSpec, schema.RewardSpec, schema.ScenarioSpec,
                  schema.DrawSpec, schema.PeerSpec):  # fmt: skip
        doc = " ".join((model.__doc__ or "").split())
        fields = model.model_fields.items()
        keys = ", ".join(f"`{n}` ({_type_name(i.annotation)}{_default(i, ' = ')})" for n, i in fields)
        lines.append(f"- **{model.__name__}**: {doc + ' ' if doc else ''}Keys: {keys}.")
    lines.append("")
    return "\n".join(lines)


def _type_name(annotation: object) -> str:
    text = str(annotation).replace("typing.", "").replace("specc.schema.", "")
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).split(".")[-1], text)
    text = re.sub(r"Annotated\[(\w+), [^\]]*\]", r"\1", text)
    text = re.sub(r"Union\[([^\]]*)\]", lambda m: m.group(1).replace(", ", " | "), text)
    text = text.replace("StrictStr", "str").replace("StrictInt", "int")
    if typing.get_origin(annotation) is typing.Literal:
        text = " / ".join(repr(a) for a in typing.get_args(annotation))
    return text.replace("|", "or")


def _default(info, prefix: str = "") -> str:
    if info.is_required():
        return "" if prefix else "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        value = value.model_dump()
    shown = "none" if value is None else repr(value)
    return f"{prefix}{shown}" if prefix else f"`{shown}`"


def _types() -> str:
    return "\n".join([
        "## Types\n",
        f"dtypes: {', '.join(f'`{d}`' for d in DTYPES)}; a shape follows in brackets: `int8[6,7]`.",
        "Arithmetic promotes as in JAX: the wider integer wins, any float makes float32, and a bare",
        "number literal takes the dtype of what it meets (it must fit). `/` always gives float32; `//`",
        "and `%` floor like Python. Comparisons give bool; `and`, `or`, `not` need bools.",
        "Ranges `lo..hi` are half-open, like Python's range(lo, hi).\n",
    ])  # fmt: skip


def _names() -> str:
    builtin = ", ".join(f"`{n}` ({t})" for n, t in BUILTIN_STATE.items())
    return "\n".join([
        "## Names\n",
        f"- built-in state: {builtin}; `current_player` may be assigned, `step_count` is counted for you",
        "- `PLAYERS`: the number of players; `player`: the observer, inside `observe` only",
        "- an action's params are names inside its `legal` and `effect`; a plain assignment to a new",
        "  name makes a local variable of that block",
        f"- reserved: {', '.join(f'`{n}`' for n in sorted(RESERVED))}, and every built-in function name",
        "- names starting with `_` or holding `__` are the generated code's (any kind of name, loop",
        "  variables included)",
        "",
    ])  # fmt: skip


def _syntax() -> str:
    """Statement and operator summary, read from the grammar's own rules and tokens."""
    text = grammar_text()
    assign = _token(text, "ASSIGN_OP")
    compare = _token(text, "COMP_OP")
    levels = []
    for rule in EXPR_RULES:
        body = re.search(rf"^\?{rule}:(.*?)(?=^\S|\Z)", text, re.M | re.S)
        ops = re.findall(r'"([^"\w(\[]+|if|or|and|not)"', body.group(1)) if body else []
        if rule == "comparison":
            ops = compare
        if rule == "postfix":
            ops = ["a[i]", "a[i, j]"]
        if ops:
            levels.append(" ".join(f"`{o}`" for o in dict.fromkeys(ops)))
    return "\n".join([
        "## Statements and expressions\n",
        "Statements (effects, init, procedure bodies), one per line:\n",
        f"- assignment: `x = e`, `a[i, j] = e`, and {', '.join(f'`{o}`' for o in assign if o != '=')}",
        "- `if c:` / `elif c:` / `else:` with indented blocks; conditions are single bools",
        "- `for i in lo..hi:` with constant bounds",
        "- `repeat up to N while c:` with a constant N >= 1 (see Repeat)",
        "- `x = choice(player, options)`: in an action's effect, a pick by a player (see Choices)",
        "- a procedure call `name(args)`, an outcome such as `win(p)`, or `pass`",
        "- `return e`: only as the last statement of a procedure that declares `returns:`",
        "",
        "Expressions, from the loosest operator to the tightest:\n",
        *[f"{i + 1}. {lv}" for i, lv in enumerate(levels)],
        "",
        "Atoms: numbers, `true`, `false`, names, `Enum.member` or `TABLE.column`, calls `f(a, b)`,",
        "reductions `any(i in 0..9: board[i] == 0)`, array literals `[a, b]`, parentheses.",
        "An index may be an integer array (gathering), when it is the only index.\n",
        "An expression (a guard, a formula, an observation, an invariant) may span lines in any YAML",
        "style (`|`, `|-`, `>`, `>-`, quoted): a line break in it is a space, and `#` starts a comment.",
        "In a block of statements a line continues inside brackets, as in Python. A chain of one",
        "precedence level, `a + b - c + ...` or `a * b / c ...`, may be as long as you like, and so may",
        "an `if`/`elif` chain; other nesting (brackets in brackets, `a if c else ...` in the else) stops",
        "at 100 levels, with a message saying so.\n",
    ])  # fmt: skip


def _token(grammar: str, name: str) -> list[str]:
    m = re.search(rf"^{name}:(.*)$", grammar, re.M)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def _table(title: str, names: list[str], intro: str = "") -> str:
    lines = [f"## {title}\n"]
    if intro:
        lines.append(intro + "\n")
    lines += ["| call | gives |", "|---|---|"]
    lines += [f"| `{DESCRIPTIONS[n][0]}` | {DESCRIPTIONS[n][1]} |" for n in names]
    lines.append("")
    return "\n".join(lines)


def _procedures() -> str:
    return "\n".join([
        "## Procedures\n",
        "A procedure is a named block, called as a statement `NAME(args)`. It means what a Python",
        "function means, with fixed shapes:\n",
        "- each argument is evaluated once, at the call, left to right, and passed by value: the body",
        "  sees the value the argument had at the call (a copy, for an array), whatever the body changes;",
        "- the body sees its parameters, the state fields, `current_player`, `step_count` and the",
        "  constants, not the caller's locals or action parameters. Names it assigns, its loop and",
        "  reduction variables and its parameters are its own locals: assigning them never changes the",
        "  caller's; state fields and `current_player` are written through;",
        "- with `returns: TYPE` the body's last statement (at its top level) is `return EXPR`, and a call",
        "  gives that value, cast to TYPE, evaluated when the body ends;",
        "- a procedure may call others, never itself (directly or not): there is no recursion.\n",
        "```yaml",
        "procedures:",
        "  draw_cards:",
        "    params: [p, n]",
        "    body: |",
        "      k = min(n, deck_count[p])        # k is draw_cards' own local",
        "      deck_count[p] -= k",
        "  sq:",
        "    params: [a]",
        "    returns: int32",
        "    body: |",
        "      b = a * a",
        "      return b + 1",
        "```\n",
        "Where a call may stand:\n",
        "- as a statement: any procedure (a returned value is dropped);",
        "- as the whole right side of an assignment, `x = NAME(...)` or `x[i] = NAME(...)`: any procedure",
        "  with `returns:`; the body runs first, then x is assigned;",
        "- inside any other expression: only a *function*, a procedure that changes no state field, no",
        "  `current_player` and calls no outcome. A function's call has no effect but its value, so",
        "  `a if c else f(x)` and `c and f(x)` mean the same whether or not f is evaluated, and both",
        "  backends give f's value (chance in f draws from its own call sites, like every chance call).",
        "  A function whose body only assigns whole locals before its `return` is an expression and may",
        "  be called anywhere: in guards, `observe`, invariants and reductions. Another function (with",
        "  `if`, `for` or element stores) runs just before the statement that holds the call, so it is",
        "  refused in guards, `observe`, invariants and inside reductions, with a message saying so.\n",
        "An error inside a body reached through a call names the call: `(in NAME(p: TYPE, ...), called at",
        "FILE:LINE:COL)`; an error in an argument names the parameter. Names holding `__` are kept for the",
        "hidden names specc gives procedure locals.\n",
    ])  # fmt: skip


def _repeat() -> str:
    return "\n".join([
        "## Repeat\n",
        "`repeat up to N while c:` runs its block while the bool `c` holds, at most N times (N a",
        "constant integer >= 1: the cap). `c` is evaluated before each iteration, the check that fails",
        "included, and never after the N-th iteration: `c` false at once runs the block zero times, and",
        "at the cap the loop just stops. Chance in `c` or in the block draws afresh at every iteration",
        "(each iteration is keyed by its number, as a `for` loop's), the same on every backend. Inside,",
        "state writes, locals, procedure calls and outcomes behave as inside `if`; a local first assigned",
        "in the block is the block's own.\n",
        "```yaml",
        "effect: |",
        "  heads = 0",
        "  repeat up to 16 while flip():       # flip until tails, at most 16 flips",
        "      heads += 1",
        "  hp[other] -= 20 * heads",
        "```\n",
    ])  # fmt: skip


def _hidden() -> str:
    return "\n".join([
        "## Hidden information\n",
        "A state field's `visible:` says who may see it: `all` (the default), `none` (nobody: a deck's",
        "order) or `owner` (the first axis has one row per player, and row p is player p's alone).",
        "`observe` must show each player only what it may see; `specc verify` level 1 scrambles every",
        "field hidden from the observer, in every state of played sequences, and fails if the",
        "observation changes. A value computed from a hidden field is hidden too: `size(hand[1 - player])`",
        "or `count(deck >= 0)` reads hidden slots, so what the rules make public (how many cards or dice",
        "each player holds) belongs in a visible field of its own, updated beside the hidden one. Read",
        "the observer's own row with `player`, never `current_player` (that shows the mover's row to",
        "everyone). `env.observe(state, p)` is all zero for any p that is not a player.\n",
    ])  # fmt: skip


def _choices() -> str:
    return "\n".join([
        "## Choices\n",
        "`x = choice(player, options)` stops an action's effect until `player` picks one of the true",
        "entries of `options`, a bool[K] array (option k is whatever the spec says: bench slot k, energy",
        "k, ...). It stands alone on the right of an assignment, in an action's effect or in a procedure",
        "the effect calls as a statement or as the whole right side of an assignment (`y = f(...)`, the",
        "pick made before f returns), at the top level, inside `if` branches and inside `for` and",
        "`repeat` loops. Step by step:\n",
        "- `player` and `options` are evaluated once, at the choice, `options` first;",
        "- if some option is true, the step ends there: `current_player` is `player`, and the legal",
        "  actions are exactly `choice(k)` for the true options k (every other action is illegal while",
        "  the choice is pending); `observe` shows the chooser what it shows any current player;",
        "- the next step's action `choice(k)` is the pick: the effect goes on right after the choice with",
        "  `x = k`, every local and action parameter as it was, and `current_player` back to its value",
        "  before the choice. What it does then is that step's: its chance draws come from that step's",
        "  key, its rewards are that step's rewards;",
        "- if no option is true, nothing stops: `x = -1` and the effect goes on at once;",
        "- a choice reached after an outcome ended the game in the same step (`win(p)` then a choice)",
        "  still stops the effect, but the episode is over: no pick is legal and the rest never runs;",
        "- inside a loop, every iteration that reaches the choice stops there; the pick resumes that",
        "  iteration (the loop variable and the locals as they were) and the later iterations run in the",
        "  pick's step, until the next stop (`for i in 0..3:` holding `if i < heads: to = choice(me, ok)`",
        "  asks once per head).\n",
        "`reward(x)` after a choice still pays the player who began the action, not the chooser. The",
        "action space gains one kind, `choice`, with one action per option of the widest choice:",
        "`choice(0)` .. `choice(K-1)` after the spec's own actions (an action may not be named `choice`",
        "in a spec that makes choices). What the effect must remember across the pick is kept in hidden",
        "state fields named `choice__...` that no observation shows (they may hold secrets).\n",
        "```yaml",
        "actions:",
        "  attack:",
        "    params: {dmg: 1..4}",
        "    effect: |",
        "      foe = 1 - current_player",
        "      hp[foe, active[foe]] -= dmg",
        "      if hp[foe, active[foe]] <= 0:",
        "          pick = choice(foe, hp[foe] > 0)     # the foe picks a new Active among its standing ones",
        "          if pick < 0:",
        "              win(current_player)             # none left",
        "          else:",
        "              active[foe] = pick",
        "      current_player = foe",
        "```\n",
    ])  # fmt: skip


def _kernels() -> str:
    return "\n".join([
        "## Kernels\n",
        "A rule easier to say in words can be a kernel: a typed signature and a doc, its body filled by",
        "the agent. The body is ONE expression over the kernel's arguments and the spec's constants,",
        "enums and tables (no state, no statements, no other kernel); it may use chance. It is called",
        "like a function, inside any expression: `hp[other] -= coin_damage(40)`. Each argument is cast",
        "to its declared type and the result to `returns`, so both backends compute what was checked.\n",
        "```yaml",
        "kernels:",
        "  coin_damage:",
        "    doc: Flip 2 coins; deal `per_heads` damage for each heads.",
        "    args: {per_heads: int16}",
        "    returns: int16",
        "```\n",
        "The body lives in NAME.kernels.yaml next to the spec, keyed by the sha256 of the doc and the",
        "signature: `per_heads * count(i in 0..2: flip())`. `specc compile --fill-kernels` fills missing or",
        "stale bodies; plain `specc compile` only reads them.\n",
    ])  # fmt: skip


def _semantics() -> str:
    """What each construct gives at the edges of its domain, from specc.builtins.SEMANTICS."""
    lines = [
        "## Semantics\n",
        "Every construct has one meaning, computed exactly by every backend, jitted or not (floats",
        "within a field's `tolerance` where XLA fuses a multiply and an add, or uses its own `exp` and",
        "`log`: see their rows). Integers are two's complement in their dtype; floats are IEEE float32.",
        "At the edges of their domains:\n",
        "| construct | gives |",
        "|---|---|",
    ]
    for construct, meaning in builtins.SEMANTICS.items():
        name = f"`{construct}`" if construct in DESCRIPTIONS or " " not in construct else construct
        lines.append(f"| {name} | {meaning} |")
    lines.append("")
    return "\n".join(lines)


def write_reference(path: str | Path = DOCS_PATH) -> Path:
    """Write docs/language.md (atomically)."""
    from .kernels import atomic_write

    atomic_write(path, language_reference())
    return Path(path)
