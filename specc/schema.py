"""The structure of a spec file, validated with pydantic.

Only structure lives here (sections, names, scalar settings); every guard, effect
and formula stays a string until specc.check parses and types it.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import SpecError
from .source import Source

Scalar = Union[bool, int, float, str]
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Model):
    """One state field: `type` like "int8[3,3]", an `init` value or expression, a value `range`."""

    type: str
    init: Union[Scalar, list[Any]] = 0
    range: tuple[float, float] | None = None
    # who may see it: everyone, nobody, or (owner) row p of the first axis only player p
    visible: Literal["all", "none", "owner"] = "all"
    tolerance: float | None = Field(default=None, ge=0)  # float fields: backends may differ this much
    doc: str | None = None


class ActionSpec(_Model):
    """An action kind: parameter domains ("0..9" or an enum name), a guard and an effect."""

    params: dict[str, Union[str, int]] = Field(default_factory=dict)
    legal: Union[bool, str] = True
    effect: str = "pass"
    doc: str | None = None
    rule: str | None = None


class ProcedureSpec(_Model):
    params: list[str] = Field(default_factory=list)
    body: str
    doc: str | None = None


class ObserveSpec(_Model):
    """What a player sees: an expression over the state with `player` bound to the observer."""

    type: str
    value: str
    tolerance: float | None = Field(default=None, ge=0)
    doc: str | None = None


class RewardSpec(_Model):
    range: tuple[float, float] = (-1.0, 1.0)
    zero_sum: bool = False


class ConstantSpec(_Model):
    value: Any
    type: str | None = None
    doc: str | None = None


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
    setup: dict[str, Any] = Field(default_factory=dict)
    play: list[Union[int, str]] = Field(default_factory=list)
    expect: dict[str, Any] = Field(default_factory=dict)


class Spec(_Model):
    specc: Literal[1]
    name: str
    title: str | None = None
    description: str | None = None
    source: str | None = None
    players: int = Field(ge=1, le=8)
    constants: dict[str, Union[ConstantSpec, Scalar, list[Any]]] = Field(default_factory=dict)
    enums: dict[str, list[str]] = Field(default_factory=dict)
    state: dict[str, FieldSpec] = Field(default_factory=dict)
    init: str | None = None
    procedures: dict[str, ProcedureSpec] = Field(default_factory=dict)
    actions: dict[str, ActionSpec] = Field(min_length=1)
    observe: ObserveSpec
    rewards: RewardSpec = RewardSpec()
    max_steps: int | None = Field(default=None, ge=1)
    invariants: list[str] = Field(default_factory=list)
    scenarios: list[ScenarioSpec] = Field(default_factory=list)

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
        first = err.errors()[0]
        loc = tuple(first["loc"])
        # pydantic adds union-member names to loc ("ConstantSpec", "str", ...): drop them
        path = tuple(p for p in loc if not (isinstance(p, str) and (p[:1].isupper() or p in _TYPE_TAGS)))
        if first["type"] == "extra_forbidden":
            pos = source.key_pos(path)
            raise SpecError(f"unknown key {path[-1]!r}", pos) from None
        if first["type"] == "missing":
            where = ".".join(map(str, path[:-1])) or "the spec"
            raise SpecError(f"{where} needs {path[-1]!r}", source.pos(path[:-1])) from None
        where = ".".join(map(str, path))
        raise SpecError(f"{where}: {first['msg']}", source.pos(path)) from None


_TYPE_TAGS = {"str", "int", "float", "bool", "list[any]", "literal['1']", "tuple[float, float]"}
