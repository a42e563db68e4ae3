"""Level 3: random-policy episodes in lock-step on every backend, every field and every
player's observation compared.

Each backend is a Side (sides.py): JAX steps the whole batch vmapped, C with its batched
call, the Python reference one live episode at a time. The first side (the reference, when
it takes part) is the baseline; every other is compared with it, field by field and
observe(s, p) for every player p, over all live episodes at once in NumPy.

Episode e starts from key fold_in(PRNGKey(seed), e); its step t uses
fold_in(episode key, t + 1); its actions are uniform over the legal ones, drawn
by numpy's default_rng([seed, e]). So one (seed, episode, actions) triple replays
exactly one case on any backend: `specc replay` does that.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from .report import Divergence, LevelResult
from .sides import SIDE_NAMES, JaxSide, NativeSide, Side, differing_rows, make_side, observer_name, observer_of

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
    """The state fields: the built-in ones, then the spec's."""
    return list(BUILTIN_FIELDS) + list(module.FIELDS)


def float_fields(module: Any) -> list[str]:
    """The spec's float state fields: the ones level 3 re-anchors after every step."""
    return [name for name, (dtype, _shape, _range) in module.FIELDS.items() if dtype.startswith("float")]


def compared_names(module: ModuleType) -> list[str]:
    """What level 3 compares after every step: every state field, then every player's
    view, `observe(s, p)` for p in 0..players-1 (the `observation` field is only the
    current player's, so a fault in what the others see would pass unseen). What follows from
    the rest (the legal mask, the observations) comes last: a divergence is named where it
    starts (a termination, not the empty legal mask that follows from it)."""
    derived = ["legal_action_mask", "observation"]
    own = [n for n in field_names(module) if n not in derived]
    return own + derived + [observer_name(p) for p in range(module.NUM_PLAYERS)]


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
    """Per-field float tolerance: the spec's (module.TOLERANCES) or `default`; each
    `observe(s, p)` takes the observation's."""
    declared = getattr(module, "TOLERANCES", {})
    tol = {name: declared.get(name, default) for name in field_names(module)}
    tol.update({observer_name(p): tol["observation"] for p in range(module.NUM_PLAYERS)})
    return tol


def value_of(module: Any, state: Any, name: str) -> np.ndarray:
    """One compared value of a single state: a field, or `observe(s, p)` through the
    module's own observe (what level 3 compares, see compared_names)."""
    player = observer_of(name)
    if player is None:
        return np.asarray(getattr(state, name))
    return np.asarray(module.observe(state, player))


def first_difference(left, right, names: list[str], tol: dict[str, float]) -> str | None:
    for name in names:
        if not same(getattr(left, name), getattr(right, name), tol.get(name)):
            return name
    return None


def lockstep_backends(
    jax_module: ModuleType | None,
    py_module: ModuleType | None,
    episodes: int,
    seed: int = 0,
    max_steps: int = 10_000,
    replay: Callable[[int, int, list[int]], str] = lambda s, e, a: "",
    progress: Callable[[int], None] = lambda n: None,
    others: dict[str, Any] | None = None,
    threads: int | None = None,
    work: Callable[[int, int], None] | None = None,
) -> LevelResult:
    """Run `episodes` games on the JAX backend, the Python reference and `others` (e.g.
    {"specc-c": the C module}) with the same keys and actions; compare every state field
    and every player's observation after init and after every step. A backend given as
    None takes no part (at least two must): the reference, when present, is what the
    others are compared with."""
    sides: list[Side] = []
    if py_module is not None:
        sides.append(make_side("python", py_module))
    if jax_module is not None:
        sides.append(make_side("jax", jax_module))
    for name, module in (others or {}).items():
        backend = {v: k for k, v in SIDE_NAMES.items()}.get(name, name)
        side = make_side(backend, module, threads)
        side.name = name
        sides.append(side)
    fields_from = py_module or jax_module or next(iter((others or {}).values()))
    return lockstep(sides, fields_from, episodes, seed, max_steps, replay, progress, work)


def lockstep(
    sides: list[Side],
    module: Any,
    episodes: int,
    seed: int = 0,
    max_steps: int = 10_000,
    replay: Callable[[int, int, list[int]], str] = lambda s, e, a: "",
    progress: Callable[[int], None] = lambda n: None,
    work: Callable[[int, int], None] | None = None,
) -> LevelResult:
    """Lock-step `sides` (the first is the baseline every other is compared with) over
    `episodes` random-policy games; `module` gives the field names and tolerances. One
    check per live episode and step (every field and every player's observation, see
    compared_names); an episode stops at its first divergence. After each compared step
    every side's float fields are set to the baseline's (re-anchored): each step is then
    checked from one state, as the language defines it, so the last-bit differences of
    XLA's fused multiply-adds (docs/language.md, Semantics) do not grow step after step in
    a chaotic system such as cartpole, while every integer and bool, and so every branch a
    float decides (a termination threshold), is still compared exactly after every step.
    `progress(live)` after each step; `work(steps, estimated total)` too, in episode-steps
    (what the time goes on), the total from a quick pilot on a JAX side when there is one."""
    import jax

    if len(sides) < 2:
        raise ValueError(f"lock-step needs two backends or more, got {[s.name for s in sides]}")
    result = LevelResult(3, "rollouts")
    start = time.perf_counter()
    names = compared_names(module)
    tol = tolerances(module)
    floats = float_fields(module)
    gaps: dict[str, dict[str, float]] = {side.name: {} for side in sides[1:]}  # the largest float gap seen
    ep_keys = np.asarray(jax.vmap(lambda e: episode_key(seed, e))(np.arange(episodes)))
    v_keys = jax.jit(jax.vmap(step_key, in_axes=(0, None)))
    for side in sides:
        side.init(ep_keys)
    base, rest = sides[0], sides[1:]
    rngs = [np.random.default_rng([seed, e]) for e in range(episodes)]
    actions: list[list[int]] = [[] for _ in range(episodes)]
    live = np.ones(episodes, bool)
    steps = 0
    pilot = next((s for s in sides if isinstance(s, JaxSide)), None)
    native = next((s for s in sides if isinstance(s, NativeSide)), None)
    estimate = 0
    if work and pilot is not None:  # its jitted functions are compiled by now
        estimate = int(pilot_lengths(pilot.v_step, v_keys, pilot.v_init(ep_keys), ep_keys, max_steps).sum())
    elif work and native is not None:  # no JAX side (python,c): a pilot on C, on its own copy of the states
        m = native.module
        c_step = lambda st, a, k: m.step_batch(st, a, np.asarray(k), native.threads)  # noqa: E731
        lengths = pilot_lengths(c_step, v_keys, m.init_batch(ep_keys, native.threads), ep_keys, max_steps,
                                read=lambda st, name: st[name])  # fmt: skip
        estimate = int(lengths.sum())
    for t in range(max_steps + 1):
        rows = np.flatnonzero(live)
        bad_field = np.full(len(rows), -1)  # per live row: the first field that differs, and where
        bad_side = np.zeros(len(rows), int)
        for k, side in enumerate(rest):
            for f, name in enumerate(names):
                mine, theirs = side.column(name, rows), base.column(name, rows)
                differs = differing_rows(mine, theirs, tol.get(name)) & (bad_field < 0)
                bad_field[differs], bad_side[differs] = f, k
                if mine.dtype.kind == "f" and mine.shape == theirs.shape and len(rows):
                    gap = float_gap(mine, theirs)  # every live row starts this step from the same floats
                    gaps[side.name][name] = max(gaps[side.name].get(name, 0.0), gap)
        result.checks += len(rows)
        result.passed += int((bad_field < 0).sum())
        for i in np.flatnonzero(bad_field >= 0):
            e, name, left = int(rows[i]), names[bad_field[i]], rest[bad_side[i]]
            result.failed += 1
            if len(result.failures) < 20:
                why = rounding_note(left, base, e, name, floats, tol)
                result.failures.append(f"episode {e} step {t}: {left.name}: {name}{why}")
            if result.divergence is None:
                command = replay(seed, e, list(actions[e]))
                short = {v: k for k, v in SIDE_NAMES.items()}
                if command and [left.name, base.name] != ["specc-jax", "specc-python"]:  # replay's default pair
                    command += f" --backends {short.get(left.name, left.name)},{short.get(base.name, base.name)}"
                result.divergence = Divergence(
                    left.name, base.name, e, t, name, left.value(name, e), base.value(name, e),
                    seed, list(actions[e]), command, rounding_note(left, base, e, name, floats, tol).strip(" ()"),
                )  # fmt: skip
            live[e] = False
        ended = base.column("terminated", rows) | base.column("truncated", rows)
        live[rows[ended]] = False
        if not live.any() or t == max_steps:
            break
        rows = np.flatnonzero(live)
        for side in rest:  # re-anchor: the next step starts from the baseline's floats
            for name in floats:
                side.overwrite(name, rows, base.column(name, rows))
        masks = base.column("legal_action_mask", rows)
        chosen = np.zeros(episodes, np.int32)
        for e, mask in zip(rows, masks):
            legal = np.flatnonzero(mask)
            chosen[e] = legal[rngs[e].integers(len(legal))] if len(legal) else 0  # as rng.choice(legal)
            actions[e].append(int(chosen[e]))
        keys = np.asarray(v_keys(ep_keys, t))
        for side in sides:
            side.step(chosen, keys, live)
        steps += int(live.sum())
        progress(int(live.sum()))
        if work:
            work(steps, max(estimate, steps + int(live.sum())))
    if live.any():  # silently stopping would hide a game that never ends
        result.warnings.append(f"{int(live.sum())} episode(s) still running after {max_steps} steps")
    result.seconds = time.perf_counter() - start
    backends = [s.name for s in sides]
    result.details = {"episodes": episodes, "steps": steps, "seed": seed, "backends": backends}
    if floats:  # the precise bound seen: each side's largest gap from the baseline, per float field
        result.details["float_gaps"] = {name: {f: g for f, g in gap.items()} for name, gap in gaps.items()}
    return result


def float_gap(a: np.ndarray, b: np.ndarray) -> float:
    """The largest absolute difference of two float columns, NaN against NaN and an infinity
    against itself counting as 0 (NaN against a number: inf)."""
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    same_ = (a == b) | (np.isnan(a) & np.isnan(b))
    diff = np.where(same_, 0.0, np.where(np.isnan(diff), np.inf, diff))
    return float(diff.max())


def rounding_note(left: Side, base: Side, row: int, name: str, floats: list[str], tol: dict[str, float]) -> str:
    """Why an integer or bool (a branch) may differ: when the float fields differ only within
    their tolerance at that step, a rounding difference decided the branch; say so (it is
    still a divergence: a threshold decided one way on one backend, the other on another)."""
    if not floats or observer_of(name) is not None or name in floats or left.value(name, row).dtype.kind == "f":
        return ""
    pairs = {f: (left.value(f, row), base.value(f, row)) for f in floats}
    near = [f for f, (a, b) in pairs.items() if not np.array_equal(a, b, equal_nan=True)]
    if not near or any(not same(a, b, tol.get(f)) for f, (a, b) in pairs.items()):
        return ""
    return f" (decided by floats that differ only within tolerance: {', '.join(near)})"


def pilot_lengths(v_step: Callable, v_keys: Callable, state: Any, ep_keys: Any, max_steps: int,
                  seconds: float = 5.0, read: Callable[[Any, str], Any] | None = None) -> np.ndarray:  # fmt: skip
    """Episode lengths of one random-policy batch on one batched backend alone (JAX, or C
    with `read` = field access of its structured array; the same policy as the lock-step
    run, other draws): the total is an estimate of the lock-step run's work, for its ETA.
    Costs one batched step per step of the longest episode (JAX's jitted functions are the
    lock-step run's own, already compiled); after `seconds`, episodes still running count
    as long as they have been."""
    read = read or getattr
    rng = np.random.default_rng(12345)
    lengths = np.zeros(len(ep_keys), np.int64)
    live = ~(np.asarray(read(state, "terminated")) | np.asarray(read(state, "truncated")))
    deadline = float("inf")
    t = 0
    while live.any() and t < max_steps and time.perf_counter() < deadline:
        mask = np.asarray(read(state, "legal_action_mask"))
        action = np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1).astype(np.int32)
        state = v_step(state, action, v_keys(ep_keys, t))
        lengths[live] += 1
        live &= ~(np.asarray(read(state, "terminated")) | np.asarray(read(state, "truncated")))
        if t == 0:  # the first step may have compiled v_step: the budget starts after it
            deadline = time.perf_counter() + seconds
        t += 1
    return lengths


def replay_backends(jax_module: Any, py_module: Any, seed: int, episode: int, actions: list[int]):
    """Replay one case on two backends (by default JAX and Python); yield (step, first
    state, second state) after each. Each step starts the first from the second's float
    fields, as level 3 re-anchors them (see lockstep)."""
    ep_key = episode_key(seed, episode)
    js, ps = jax_module.init(ep_key), py_module.init(ep_key)
    floats = float_fields(py_module)
    yield 0, js, ps
    for t, a in enumerate(actions):
        key = step_key(ep_key, t)
        if floats:
            anchored = {f: np.copy(getattr(ps, f)) if np.ndim(getattr(ps, f)) else getattr(ps, f) for f in floats}
            js = js.replace(**anchored) if hasattr(js, "replace") else dataclasses.replace(js, **anchored)
        js, ps = jax_module.step(js, a, key), py_module.step(ps, a, key)
        yield t + 1, js, ps
