"""Spec file -> checked IR Program: YAML (with positions) -> pydantic -> parse -> check."""

from __future__ import annotations

from pathlib import Path

from .check import build_program
from .ir import Program
from .schema import validate
from .source import load_yaml


def load_program(path: str | Path) -> Program:
    data, source = load_yaml(path)
    spec = validate(data, source)
    return build_program(spec, source)
