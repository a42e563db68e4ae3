"""Spec file -> checked IR Program: YAML (with positions) -> pydantic -> parse -> check."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .check import build_program
from .check_scenarios import check_scenarios
from .drawing import check_render
from .errors import SpecError
from .ir import Program
from .schema import Spec, validate
from .source import Source, load_yaml


def load_program(path: str | Path, overrides: Mapping[str, str] | None = None) -> Program:
    return load(path, overrides)[2]


def load(path: str | Path, overrides: Mapping[str, str] | None = None) -> tuple[Spec, Source, Program]:
    """The validated spec, its source (for positions) and its checked IR.

    `overrides` ({NAME: VALUE}, `specc compile --set NAME=VALUE`): constants of the spec given
    another value, each VALUE read as YAML (a number, a list, or an expression in the spec's
    language such as `NUM_DECKS`). A name the spec does not declare is a SpecError. The
    program's spec_hash then covers the overrides too (the variant is another program)."""
    data, source = load_yaml(path)
    if overrides:
        data = _override_constants(data, dict(overrides), str(path))
    try:
        spec = validate(data, source)
        program = build_program(spec, source)
    except SpecError as err:
        if overrides:  # the value came from the command line, not from the line the position names
            sets = " ".join(f"--set {k}={v}" for k, v in overrides.items())
            raise SpecError(f"{err.message} (with {sets})", err.pos, err.file) from None
        raise
    if overrides:
        extra = json.dumps(dict(overrides), sort_keys=True)
        variant = hashlib.sha256((program.spec_hash + extra).encode()).hexdigest()
        program = dataclasses.replace(program, spec_hash=variant)
    check_render(spec, source, program)  # `render:` is for `specc play` only: no backend sees it
    check_scenarios(spec, source, program)  # level 2 runs them; a typo in one is a spec fault now
    return spec, source, program


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """`--set NAME=VALUE` arguments as {NAME: VALUE}; a malformed one is a SpecError."""
    out: dict[str, str] = {}
    for item in items or []:
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise SpecError(f"--set takes NAME=VALUE (a constant of the spec and its value), not {item!r}")
        out[name.strip()] = value.strip()
    return out


def _override_constants(data: Any, overrides: dict[str, str], file: str) -> Any:
    """The spec's data with its constants replaced (see load)."""
    from .check_expr import _did_you_mean

    constants = data.get("constants") if isinstance(data, dict) else None
    constants = constants if isinstance(constants, dict) else {}
    for name, text in overrides.items():
        if name not in constants:
            hint = _did_you_mean(name, list(constants))
            raise SpecError(f"--set {name}: the spec has no constant {name!r}{hint}", file=file)
        try:
            constants[name] = yaml.safe_load(text)
        except yaml.YAMLError:
            raise SpecError(f"--set {name}={text}: the value is not a number, list or expression", file=file) from None
    return data
