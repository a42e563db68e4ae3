"""Spec file -> checked IR Program: YAML (with positions) -> pydantic -> parse -> check."""

from __future__ import annotations

from pathlib import Path

from .check import build_program
from .check_scenarios import check_scenarios
from .drawing import check_render
from .ir import Program
from .schema import Spec, validate
from .source import Source, load_yaml


def load_program(path: str | Path) -> Program:
    return load(path)[2]


def load(path: str | Path) -> tuple[Spec, Source, Program]:
    """The validated spec, its source (for positions) and its checked IR."""
    data, source = load_yaml(path)
    spec = validate(data, source)
    program = build_program(spec, source)
    check_render(spec, source, program)  # `render:` is for `specc play` only: no backend sees it
    check_scenarios(spec, source, program)  # level 2 runs them; a typo in one is a spec fault now
    return spec, source, program
