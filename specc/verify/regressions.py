"""`specc verify --save-regressions`: a divergence becomes a scenario that stays tested.

Regression scenarios live next to the spec in NAME.regressions.yaml (a YAML list of
scenarios, the same schema as the spec's own) and run at level 2 with the others.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import yaml

from ..ir import Program
from .report import Divergence
from .rollouts import episode_key, step_key


def regressions_path(spec_path: str | Path) -> Path:
    p = Path(spec_path)
    return p.with_name(f"{p.stem}.regressions.yaml")


def _plain(value: Any) -> Any:
    arr = np.asarray(value)
    return arr.tolist() if arr.ndim else arr.item()


def save_regression(spec_path: str, program: Program, reference: ModuleType, div: Divergence) -> Path:
    """Append the divergence as a scenario; the expected values come from the reference
    (the Python backend, or the peer's view for a divergence against a peer)."""
    key = episode_key(div.seed, div.episode)
    state = reference.init(key)
    for t, a in enumerate(div.actions):
        state = reference.step(state, a, step_key(key, t))
    if div.right.startswith("specc-"):
        expect = {div.field: _plain(getattr(state, div.field))}
    else:  # a peer divergence: the peer's value is the expectation
        expect = {div.field: _plain(div.right_value)} if hasattr(state, div.field) else {}
        if div.field == "mover_reward":
            expect = {"terminated": bool(state.terminated)}
    scenario = {
        "name": f"regression: {div.left} vs {div.right}, seed {div.seed} episode {div.episode} step {div.step}",
        "seed": div.seed,
        "episode": div.episode,
        "play": list(div.actions),
        "expect": expect,
    }
    path = regressions_path(spec_path)
    existing = yaml.safe_load(path.read_text()) if path.exists() else None
    scenarios = list(existing or [])
    if scenario["name"] not in {s.get("name") for s in scenarios}:
        scenarios.append(scenario)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(f"# Regression scenarios for {Path(spec_path).name}, saved by `specc verify --save-regressions`.\n")
        yaml.safe_dump(scenarios, f, sort_keys=False)
    os.replace(tmp, path)
    return path


def load_regressions(spec_path: str | Path) -> list[dict]:
    path = regressions_path(spec_path)
    if not path.exists():
        return []
    return list(yaml.safe_load(path.read_text()) or [])
