"""Level 2: the spec's scenarios (rules written as tests), run on every backend.

A scenario starts from init(PRNGKey(seed)), overwrites its `setup` fields (then
recomputes the legal mask and observation), plays its actions with the same step
keys as level 3 (fold_in(episode key, t + 1)), and checks `expect`.
"""

from __future__ import annotations

import time
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

# the scenarios' checks live with the checker (specc check runs them); imported here for level 2
from ..check_scenarios import MASK_KEYS, action_index, check_scenario, field_types  # noqa: F401
from ..ir import Program
from ..schema import ScenarioSpec
from ..source import Source
from .report import LevelResult
from .rollouts import BUILTIN_FIELDS, episode_key, same, step_key


def _setup_value(module: ModuleType, name: str, value: Any, like: Any) -> Any:
    return np.asarray(value, dtype=np.asarray(like).dtype).reshape(np.shape(like))


def start(module: ModuleType, backend: str, scenario: ScenarioSpec):
    """The scenario's starting state on one backend."""
    key = episode_key(scenario.seed, scenario.episode)
    s = module.init(key)
    if scenario.setup:
        changes = {n: _setup_value(module, n, v, getattr(s, n)) for n, v in scenario.setup.items()}
        if backend == "jax":
            import jax.numpy as jnp

            s = s.replace(**{n: jnp.asarray(v) for n, v in changes.items()})
        else:
            for n, v in changes.items():
                setattr(s, n, v[()] if v.ndim == 0 else v)
        s = module.refresh(s)
    return key, s


def play(module: ModuleType, backend: str, scenario: ScenarioSpec, actions: list[int]):
    key, s = start(module, backend, scenario)
    for t, a in enumerate(actions):
        s = module.step(s, a, step_key(key, t))
    return s


def expectations(program: Program, scenario: ScenarioSpec, state, module: ModuleType) -> list[tuple[str, bool, str]]:
    """(what, ok, detail) for each expectation of the scenario on a final state."""
    tol = getattr(module, "TOLERANCES", {})
    out = []
    for key, want in scenario.expect.items():
        if key in MASK_KEYS:
            mask = np.asarray(state.legal_action_mask)
            for a in want:
                i = action_index(program, a)
                ok = bool(mask[i]) == (key == "legal")
                out.append((f"{a} is {key}", ok, f"legal_action_mask[{i}] = {bool(mask[i])}"))
            continue
        got = np.asarray(getattr(state, key))
        try:
            expected = np.asarray(want, dtype=got.dtype).reshape(got.shape)
        except ValueError:
            out.append((key, False, f"expected {want!r} does not fit the field's shape {got.shape}"))
            continue
        ok = same(got, expected, tol.get(key, 1e-5))
        out.append((key, ok, f"expected {want!r}, got {got.tolist()!r}"))
    return out


def _jitted(module: ModuleType) -> Any:
    """The JAX module with init, step and refresh compiled (one trace each, not an
    op-by-op dispatch per scenario step: several times faster)."""
    import jax

    fns = {name: jax.jit(getattr(module, name)) for name in ("init", "step", "refresh")}
    return SimpleNamespace(**(vars(module) | fns))


def run_scenarios(program: Program, source: Source, scenarios: list[ScenarioSpec],
                  backends: dict[str, ModuleType]) -> LevelResult:  # fmt: skip
    result = LevelResult(2, "scenarios")
    start_time = time.perf_counter()
    backends = {b: _jitted(m) if b == "jax" else m for b, m in backends.items()}
    for i, sc in enumerate(scenarios):
        actions = check_scenario(program, source, i, sc)
        cite = f" [{sc.rule}]" if sc.rule else ""
        finals = {}
        for backend, module in backends.items():
            state = play(module, backend, sc, actions)
            finals[backend] = state
            for what, ok, detail in expectations(program, sc, state, module):
                result.record(ok, f"{sc.name}{cite} on {backend}: {what}: {detail}")
        (a, sa), *others = finals.items()
        for b, sb in others:  # the backends must also agree with each other
            names = list(BUILTIN_FIELDS) + [f.name for f in program.fields]
            bad = [n for n in names if not same(getattr(sa, n), getattr(sb, n), 1e-5)]
            result.record(not bad, f"{sc.name}{cite}: {a} and {b} disagree on {', '.join(bad)}")
    result.seconds = time.perf_counter() - start_time
    result.details = {"scenarios": len(scenarios)}
    return result
