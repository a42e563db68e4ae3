"""Level 3: random-policy episodes in lock-step on every backend, every field compared.

JAX runs the whole batch vmapped; the Python reference and any further backend (the C
one) step each episode; JAX and each further backend are compared with the reference.

Episode e starts from key fold_in(PRNGKey(seed), e); its step t uses
fold_in(episode key, t + 1); its actions are uniform over the legal ones, drawn
by numpy's default_rng([seed, e]). So one (seed, episode, actions) triple replays
exactly one case on any backend: `specc replay` does that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from .report import Divergence, LevelResult

BUILTIN_FIELDS = (
    "current_player",
    "observation",
    "legal_action_mask",
    "rewards",
    "terminated",
    "truncated",
    "step_count",
)


def field_names(module: ModuleType) -> list[str]:
    return list(BUILTIN_FIELDS) + list(module.FIELDS)


def episode_key(seed: int, episode: int):
    import jax

    return jax.random.fold_in(jax.random.PRNGKey(seed), episode)


def step_key(ep_key, t: int):
    import jax

    return jax.random.fold_in(ep_key, t + 1)


def choose(rng: np.random.Generator, mask: np.ndarray) -> int:
    legal = np.flatnonzero(mask)
    return int(rng.choice(legal)) if len(legal) else 0


def same(a: Any, b: Any, tolerance: float | None) -> bool:
    """Integers and bools exactly (dtype too); floats within `tolerance` (XLA may fuse
    a multiply-add into one FMA, NumPy never does, so floats can differ in the last bit)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.allclose(a, b, rtol=0.0, atol=tolerance or 0.0, equal_nan=True))
    return bool(np.array_equal(a, b))


def tolerances(module: ModuleType, default: float = 1e-5) -> dict[str, float]:
    """Per-field float tolerance: the spec's (module.TOLERANCES) or `default`."""
    declared = getattr(module, "TOLERANCES", {})
    return {name: declared.get(name, default) for name in field_names(module)}


def first_difference(left, right, names: list[str], tol: dict[str, float]) -> str | None:
    for name in names:
        if not same(getattr(left, name), getattr(right, name), tol.get(name)):
            return name
    return None


def _index(tree, i: int):
    import jax

    return jax.tree_util.tree_map(lambda x: np.asarray(x)[i], tree)


def lockstep_backends(
    jax_module: ModuleType,
    py_module: ModuleType,
    episodes: int,
    seed: int = 0,
    max_steps: int = 10_000,
    replay: Callable[[int, int, list[int]], str] = lambda s, e, a: "",
    progress: Callable[[int], None] = lambda n: None,
    others: dict[str, ModuleType] | None = None,
    work: Callable[[int, int], None] | None = None,
) -> LevelResult:
    """Run `episodes` games on both backends (and on `others`, e.g. {"specc-c": the C
    module}) with the same keys and actions; compare every state field after init and
    after every step. `progress(live)` after each step; `work(steps, estimated total)`
    too, in episode-steps (what the time goes on), the total from a quick JAX-only pilot."""
    import jax

    result = LevelResult(3, "rollouts")
    start = time.perf_counter()
    names = field_names(jax_module)
    tol = tolerances(jax_module)
    ep_keys = jax.vmap(lambda e: episode_key(seed, e))(np.arange(episodes))
    v_init = jax.jit(jax.vmap(jax_module.init))
    v_step = jax.jit(jax.vmap(jax_module.step))
    v_keys = jax.jit(jax.vmap(step_key, in_axes=(0, None)))
    jstate = v_init(ep_keys)
    rngs = [np.random.default_rng([seed, e]) for e in range(episodes)]
    pstates = [py_module.init(ep_keys[e]) for e in range(episodes)]
    others = others or {}
    ostates = {name: [m.init(ep_keys[e]) for e in range(episodes)] for name, m in others.items()}
    actions: list[list[int]] = [[] for _ in range(episodes)]
    live = np.ones(episodes, bool)
    steps = 0
    estimate = int(pilot_lengths(v_step, v_keys, jstate, ep_keys, max_steps).sum()) if work else 0
    for t in range(max_steps + 1):
        host = jax.device_get(jstate)
        for e in np.flatnonzero(live):
            mine = _index(host, e)
            bad, left = first_difference(mine, pstates[e], names, tol), "specc-jax"
            for name in others:  # every further backend against the reference too
                if bad is None:
                    bad, left, mine = first_difference(ostates[name][e], pstates[e], names, tol), name, ostates[name][e]
            result.record(bad is None, f"episode {e} step {t}: {left}: {bad}")
            if bad is not None:
                if result.divergence is None:
                    result.divergence = Divergence(
                        left, "specc-python", int(e), t, bad,
                        np.asarray(getattr(mine, bad)), np.asarray(getattr(pstates[e], bad)),
                        seed, list(actions[e]), replay(seed, int(e), list(actions[e])),
                    )  # fmt: skip
                live[e] = False
            elif bool(mine.terminated) or bool(mine.truncated):
                live[e] = False
        if not live.any() or t == max_steps:
            break
        chosen = np.zeros(episodes, np.int32)
        for e in np.flatnonzero(live):
            chosen[e] = choose(rngs[e], np.asarray(host.legal_action_mask[e]))
            actions[e].append(int(chosen[e]))
        keys = v_keys(ep_keys, t)
        jstate = v_step(jstate, chosen, keys)
        for e in np.flatnonzero(live):
            pstates[e] = py_module.step(pstates[e], int(chosen[e]), keys[e])
            for name, m in others.items():
                ostates[name][e] = m.step(ostates[name][e], int(chosen[e]), keys[e])
            steps += 1
        progress(int(live.sum()))
        if work:
            work(steps, max(estimate, steps + int(live.sum())))
    if live.any():  # silently stopping would hide a game that never ends
        result.warnings.append(f"{int(live.sum())} episode(s) still running after {max_steps} steps")
    result.seconds = time.perf_counter() - start
    backends = ["specc-jax", "specc-python", *others]
    result.details = {"episodes": episodes, "steps": steps, "seed": seed, "backends": backends}
    return result


def pilot_lengths(v_step: Callable, v_keys: Callable, state: Any, ep_keys: Any, max_steps: int,
                  seconds: float = 5.0) -> np.ndarray:  # fmt: skip
    """Episode lengths of one random-policy batch on the JAX backend alone (the same policy
    as the lock-step run, other draws): the total is an estimate of the lock-step run's
    work, for its ETA. Costs one vmapped step per step of the longest episode (the jitted
    functions are the lock-step run's own, already compiled); after `seconds`, episodes
    still running count as long as they have been."""
    rng = np.random.default_rng(12345)
    lengths = np.zeros(len(ep_keys), np.int64)
    live = ~(np.asarray(state.terminated) | np.asarray(state.truncated))
    deadline = float("inf")
    t = 0
    while live.any() and t < max_steps and time.perf_counter() < deadline:
        mask = np.asarray(state.legal_action_mask)
        action = np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1).astype(np.int32)
        state = v_step(state, action, v_keys(ep_keys, t))
        lengths[live] += 1
        live &= ~(np.asarray(state.terminated) | np.asarray(state.truncated))
        if t == 0:  # the first step may have compiled v_step: the budget starts after it
            deadline = time.perf_counter() + seconds
        t += 1
    return lengths


def replay_backends(jax_module: ModuleType, py_module: ModuleType, seed: int, episode: int, actions: list[int]):
    """Replay one case on both backends; yield (step, jax state, python state) after each."""
    ep_key = episode_key(seed, episode)
    js, ps = jax_module.init(ep_key), py_module.init(ep_key)
    yield 0, js, ps
    for t, a in enumerate(actions):
        key = step_key(ep_key, t)
        js, ps = jax_module.step(js, a, key), py_module.step(ps, a, key)
        yield t + 1, js, ps
