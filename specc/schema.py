"""The structure of a spec file, validated with pydantic.

Only structure lives here (sections, names, scalar settings); every guard, effect
and formula stays a string until specc.check parses and types it.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError, field_validator

from .errors import SpecError
from .source import Source

Scalar = bool | int | float | str
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _bounds(value: tuple[float, float] | None) -> tuple[float, float] | None:
    """A range's bounds: NaN compares false with everything, so no value would ever be in it."""
    if value is not None and any(math.isnan(v) for v in value):
        raise ValueError("a range's bounds must be numbers, not NaN")
    return value


class FieldSpec(_Model):
    """One state field: `type` like "int8[3,3]", an `init` value or expression, a value `range`."""

    type: str
    init: Scalar | list[Any] = 0
    range: tuple[float, float] | None = None
    # who may see it: everyone, nobody, or (owner) row p of the first axis only player p
    visible: Literal["all", "none", "owner"] = "all"
    tolerance: float | None = Field(default=None, ge=0)  # float fields: backends may differ this much
    doc: str | None = None

    _range = field_validator("range")(_bounds)


class ActionSpec(_Model):
    """An action kind: parameter domains ("0..9" or an enum name), a guard and an effect."""

    params: dict[str, StrictStr | StrictInt] = Field(default_factory=dict)  # strict: `true` is no count
    legal: bool | str = True
    effect: str = "pass"
    doc: str | None = None
    rule: str | None = None


class ProcedureSpec(_Model):
    """A named block: its own locals, arguments by value; with `returns: TYPE` its body
    ends with `return EXPR` and a call gives that value (see specc.procedures)."""

    params: list[str] = Field(default_factory=list)
    body: str
    returns: str | None = None
    doc: str | None = None


class KernelSpec(_Model):
    """A rule given in words with a typed signature; its body (one expression in specc's
    language) is filled by the agent (`specc compile --fill-kernels`) and cached next to
    the spec in NAME.kernels.yaml, keyed by the hash of `doc`, `args` and `returns`."""

    doc: str
    args: dict[str, str] = Field(default_factory=dict)  # argument name -> type, e.g. "int16" or "int8[3]"
    returns: str


class ObserveSpec(_Model):
    """What a player sees: an expression over the state with `player` bound to the observer."""

    type: str
    value: str
    tolerance: float | None = Field(default=None, ge=0)
    doc: str | None = None


class RewardSpec(_Model):
    range: tuple[float, float] = (-1.0, 1.0)
    zero_sum: bool = False
    # verify level 4: against an outside implementation, the mean returns of the same
    # policies count as equivalent (TOST) when they differ by less than this
    transfer_margin: float | None = Field(default=None, gt=0)

    _range = field_validator("range")(_bounds)


class TableSpec(_Model):
    """A data file (CSV, or YAML from `specc scrape`) and the columns the spec uses:
    column -> a dtype, an enum name, or `row` (a row name -> that row's index)."""

    file: str
    columns: dict[str, str] = Field(min_length=1)
    doc: str | None = None


class ConstantSpec(_Model):
    value: Any
    type: str | None = None
    doc: str | None = None


class DrawSpec(_Model):
    """How `specc play` draws one state field as text: `grid` [rows, columns] reshapes it (a
    2-D field is a grid already), `symbols` maps a value to its text ("{i}" in a symbol
    becomes the cell's flat index), `axes` numbers the rows and columns."""

    grid: tuple[StrictInt, StrictInt] | None = None
    symbols: dict[int, str] = Field(default_factory=dict)
    axes: bool = False


class ScenarioSpec(_Model):
    """A rule written as a test (`specc verify` level 2), run on both backends.

    Start from init(PRNGKey(seed)), overwrite the `setup` fields, play the actions
    (flat indices or "kind(param, ...)"), then check `expect`: state fields, and
    `legal` / `illegal` lists of actions.
    """

    name: str
    rule: str | None = None
    doc: str | None = None
    seed: int = Field(default=0, ge=0)
    episode: int = Field(default=0, ge=0)  # the key is fold_in(PRNGKey(seed), episode), as in level 3
    setup: dict[str, Any] = Field(default_factory=dict)
    play: list[int | str] = Field(default_factory=list)
    expect: dict[str, Any] = Field(default_factory=dict)


class PeerSpec(_Model):
    """How an outside implementation (`specc verify --against KIND:ID`) lines up with the spec.
    `chance`: state cells such as "card[1]", read in order, each after the init or step that
    dealt it, as the peer's successive chance actions (OpenSpiel's chance nodes)."""

    chance: list[StrictStr] = Field(default_factory=list)
    doc: str | None = None


class Spec(_Model):
    specc: Literal[1]
    name: str
    title: str | None = None
    description: str | None = None
    source: str | None = None
    players: int = Field(ge=1, le=8)
    constants: dict[str, ConstantSpec | Scalar | list[Any]] = Field(default_factory=dict)
    enums: dict[str, list[str]] = Field(default_factory=dict)
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    state: dict[str, FieldSpec] = Field(default_factory=dict)
    init: str | None = None
    procedures: dict[str, ProcedureSpec] = Field(default_factory=dict)
    kernels: dict[str, KernelSpec] = Field(default_factory=dict)
    actions: dict[str, ActionSpec] = Field(min_length=1)
    observe: ObserveSpec
    rewards: RewardSpec = RewardSpec()
    max_steps: int | None = Field(default=None, ge=1)
    invariants: list[str] = Field(default_factory=list)
    scenarios: list[ScenarioSpec] = Field(default_factory=list)
    render: dict[str, DrawSpec] = Field(default_factory=dict)
    peers: dict[str, PeerSpec] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENT.match(value):
            raise ValueError("must be an identifier (letters, digits, underscores)")
        return value


def validate(data: dict[str, Any], source: Source) -> Spec:
    """Validate raw YAML data; the first problem becomes a SpecError at its line."""
    try:
        return Spec.model_validate(data)
    except ValidationError as err:
        raise _explain(err.errors(), data, source) from None


def _explain(errors: list[Any], data: Any, source: Source) -> SpecError:
    """One clear message for pydantic's first error, at the place in the file it is about."""
    first = errors[0]
    path, tags, value = _walk(first["loc"], data)
    where = ".".join(map(str, path)) or "the spec"
    kind = first["type"]
    if "[key]" in tags:
        return SpecError(f"{where}: the key {path[-1]!r} must be a name", source.key_pos(path))
    if kind == "extra_forbidden":
        inside = f" in {'.'.join(map(str, path[:-1]))}" if path[:-1] else ""
        return SpecError(f"unknown key {path[-1]!r}{inside}", source.key_pos(path))
    if kind == "missing":
        missing = first["loc"][-1]
        if isinstance(missing, int):
            return SpecError(f"{where}: too few items (got {len(value)})", source.pos(path))
        return SpecError(f"{where} needs {missing!r}", source.pos(path))
    if tags:  # a value of no allowed kind: list the kinds every union member wanted
        kinds = []
        for e in errors:
            p, t, _ = _walk(e["loc"], data)
            if p == path and t and _KINDS.get(t[0], t[0]) not in kinds:
                kinds.append(_KINDS.get(t[0], t[0]))
        if len(kinds) > 1:
            expected = ", ".join(kinds[:-1]) + " or " + kinds[-1]
            return SpecError(f"{where}: expected {expected}, not {_show(value)}", source.pos(path))
    if kind == "model_type":  # a section or entry that must be a mapping
        return SpecError(f"{where}: expected a mapping (key: value, ...), not {_show(value)}", source.pos(path))
    message = first["msg"].removeprefix("Value error, ")
    return SpecError(f"{where}: {message}", source.pos(path))


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[tuple[Any, ...], list[str], Any]:
    """Split pydantic's `loc` into the path inside the data and the names pydantic adds
    (union members such as "ConstantSpec" or "str", "[key]"); also the value at the path."""
    path: list[Any] = []
    tags: list[str] = []
    cur = data
    for p in loc:
        if isinstance(cur, dict) and p in cur:
            path.append(p)
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and 0 <= p < len(cur):
            path.append(p)
            cur = cur[p]
        else:
            tags.append(str(p))
    return tuple(path), tags, cur


_KINDS = {
    "ConstantSpec": "a mapping",
    "FieldSpec": "a mapping",
    "bool": "a bool",
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
    "list[any]": "a list",
}


def _show(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
