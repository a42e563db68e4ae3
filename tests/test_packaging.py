"""The package as `pip install specc` gets it: built from the project's files, it
carries the grammar and every template (read at run time), and declares what
`specc verify` runs (pytest, hypothesis) as dependencies, not test extras."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_drafts_example_is_the_shipped_tic_tac_toe_spec() -> None:
    """`specc draft` shows the agent specs/tic_tac_toe.yaml; an installed specc has no specs/,
    so the package keeps a copy, which must not drift."""
    from specc.agent.draft import EXAMPLE

    assert EXAMPLE.read_text() == (ROOT / "specs" / "tic_tac_toe.yaml").read_text()


def test_the_package_carries_grammar_and_templates_and_the_verifiers_dependencies(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy: building in place would leave build/ and egg-info in the repository
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("specc", "scrapers"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    # setuptools' own build_py and egg_info: what a wheel would hold, without needing `wheel` or the network
    cmd = [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "egg_info", "--egg-base", tmp_path,
           "build_py", "--build-lib", tmp_path / "lib"]  # fmt: skip
    run = subprocess.run(cmd, cwd=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert run.returncode == 0, run.stdout
    built = {p.relative_to(tmp_path / "lib").as_posix() for p in (tmp_path / "lib").rglob("*") if p.is_file()}
    data = [p.relative_to(ROOT).as_posix() for d in ("grammar", "templates") for p in (ROOT / "specc" / d).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts]  # fmt: skip
    assert "specc/grammar/specc.lark" in data and "specc/templates/jax_env.py.j2" in data
    assert "specc/templates/prompts/system.md.j2" in data
    assert [name for name in data if name not in built] == []
    assert "specc/cli.py" in built and "specc/verify/peers.py" in built
    assert "specc/agent/example_spec.yaml" in built  # the example spec `specc draft` shows the agent
    requires = (tmp_path / "specc.egg-info" / "requires.txt").read_text().split("\n\n")[0]  # before the extras
    required = {re.split(r"[<>=!~;\[ ]", line)[0] for line in requires.splitlines() if line.strip()}
    assert {"pytest", "hypothesis", "jax", "lark", "jinja2", "scipy"} <= required, required
