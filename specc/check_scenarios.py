"""The spec's `scenarios:` checked against the program when the spec is loaded: every field a
setup or an expect names exists and its value fits the field's dtype and shape, every action
played or listed as legal/illegal exists. A typo in a scenario is then one message with
FILE:LINE:COL from `specc check` and `specc compile`, not a failure found by `specc verify`."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .errors import SpecError
from .ir import Program
from .schema import ScenarioSpec, Spec
from .source import Source

MASK_KEYS = ("legal", "illegal")
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$")


def action_index(program: Program, action: int | str) -> int:
    """A flat action index from an int or from "kind(v1, v2)" / "kind"."""
    if isinstance(action, int):
        if not 0 <= action < program.num_actions:
            raise ValueError(f"action {action} is out of range 0..{program.num_actions - 1}")
        return action
    m = _CALL.match(action)
    if not m:
        raise ValueError(f"bad action {action!r}: expected an index or kind(value, ...)")
    kinds = {a.name: a for a in program.actions}
    if m.group(1) not in kinds:
        raise ValueError(f"unknown action kind {m.group(1)!r} (kinds: {', '.join(kinds)})")
    a = kinds[m.group(1)]
    values = [v.strip() for v in (m.group(2) or "").split(",") if v.strip()]
    if len(values) != len(a.params):
        raise ValueError(f"{a.name} takes {len(a.params)} parameter(s), got {len(values)}")
    index = 0
    for p, v in zip(a.params, values):
        name = p.name.split("__")[-1]  # choice's own parameter is choice__option: shown as option
        try:
            value = int(v)
        except ValueError:
            raise ValueError(f"parameter {name} of {a.name} must be a whole number, got {v!r}") from None
        if not p.lo <= value < p.hi:
            raise ValueError(f"parameter {name} of {a.name} must be in {p.lo}..{p.hi} (half-open), got {value}")
        index = index * p.size + (value - p.lo)
    return a.offset + index


def field_types(program: Program) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Every state field's dtype and shape, the built-in ones first."""
    obs = program.observation_type
    builtin = {"current_player": ("int32", ()), "observation": (obs.dtype, obs.shape),
               "legal_action_mask": ("bool", (program.num_actions,)), "rewards": ("float32", (program.players,)),
               "terminated": ("bool", ()), "truncated": ("bool", ()), "step_count": ("int32", ())}  # fmt: skip
    return builtin | {f.name: (f.type.dtype, f.type.shape) for f in program.fields}


def _fits(value: Any, dtype: str, shape: tuple[int, ...]) -> bool:
    """Whether a YAML value can be the field's value: NumPy takes it as the dtype, in the shape."""
    try:
        np.asarray(value, dtype=np.dtype(dtype)).reshape(shape)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def check_scenario(program: Program, source: Source, index: int, scenario: ScenarioSpec) -> list[int]:
    """Validate one scenario against the program before running it; return its actions."""
    path = ("scenarios", index)
    types = field_types(program)
    for part in ("setup", "expect"):
        for key, value in getattr(scenario, part).items():
            where = source.pos(path + (part, key))
            if part == "expect" and key in MASK_KEYS:
                if not isinstance(value, list):
                    raise SpecError(f"scenario {scenario.name!r}: expect {key} is a list of actions, not {value!r}",
                                    where)  # fmt: skip
                continue
            if key not in types:
                raise SpecError(f"scenario {scenario.name!r}: unknown field {key!r} in {part}", where)
            dtype, shape = types[key]
            if not _fits(value, dtype, shape):
                kind = f"{dtype}[{','.join(map(str, shape))}]" if shape else dtype
                raise SpecError(f"scenario {scenario.name!r}: {part} {key}: {value!r} does not fit {kind}", where)
    actions = []
    for i, a in enumerate(scenario.play):
        try:
            actions.append(action_index(program, a))
        except ValueError as err:
            raise SpecError(f"scenario {scenario.name!r}: {err}", source.pos(path + ("play", i))) from None
    for key in MASK_KEYS:
        for i, a in enumerate(scenario.expect.get(key, [])):
            try:
                action_index(program, a)
            except ValueError as err:
                raise SpecError(f"scenario {scenario.name!r}: {err}", source.pos(path + ("expect", key, i))) from None
    return actions


def check_scenarios(spec: Spec, source: Source, program: Program) -> None:
    """Every scenario of the spec, checked as check_scenario does (the first fault is raised)."""
    for i, scenario in enumerate(spec.scenarios):
        check_scenario(program, source, i, scenario)
