"""Shared fixtures: environments compiled from the specs into a temporary folder.

Compiling into tmp keeps test runs from rewriting generated/ (specc.make rewrites a
stale out folder), so the tests check what the compiler makes of the spec right now.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import specc
from specc.api import Env

SPECS = Path(__file__).resolve().parents[1] / "specs"


@pytest.fixture(scope="session")
def make_env(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Env]:
    """make_env(name, backend): specs/NAME.yaml compiled once per session, either backend."""
    out = tmp_path_factory.mktemp("generated")

    def make(name: str, backend: str) -> Env:
        return specc.make(SPECS / f"{name}.yaml", backend=backend, out_dir=out / name)

    return make
