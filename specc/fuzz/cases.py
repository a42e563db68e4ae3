"""Random start states and actions biased toward edge values, and their JSON form.

A case is a start state (every field, built-in ones too), a short list of actions
(the first one runs the program under test), a key per step and the players to
observe after each step. States are drawn by NumPy from a seed the plan carries, so
a shrunk plan keeps its states; saved regressions store the values themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from .frag import avoided

INT_EDGES = {
    "int8": (-128, 127, -127, 126),
    "int16": (-32768, 32767, -32767, 32766),
    "int32": (-(2**31), 2**31 - 1, -(2**31) + 1, 2**31 - 2),
}
FLOAT_EDGES = (0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 3.4028235e38, -3.4028235e38, 1e-40, 1.4e-45,
               16777217.0, 2.5, -2.5, 127.5)  # fmt: skip
NP_DTYPES = {"bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "float32": np.float32}


@dataclass
class Case:
    state: dict[str, np.ndarray]
    actions: list[Any]  # ints of several Python/NumPy types, floats: edge actions
    keys: list[np.ndarray]  # one uint32[2] key per step
    observers: list[Any]  # players to observe after every step
    program: int = -1  # the action (program) this case exercises


def _values(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], players: int, subnormal: bool) -> np.ndarray:
    n = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        out = rng.random(n) < 0.5
    elif dtype == "float32":
        edge = np.array(FLOAT_EDGES, np.float32)[rng.integers(0, len(FLOAT_EDGES), n)]
        if not subnormal:  # the same draws either way: only these values change
            edge = np.where(np.abs(edge) < 1.2e-38, np.float32(0), edge)
        plain = np.round(rng.normal(0, 8, n), int(rng.integers(0, 3))).astype(np.float32)
        out = np.where(rng.random(n) < 0.4, edge, plain)
    else:
        edges = list(INT_EDGES[dtype]) + [0, 1, -1, 2, players, players - 1]
        edge = np.array(edges, np.int64)[rng.integers(0, len(edges), n)]
        out = np.where(rng.random(n) < 0.35, edge, rng.integers(-3, 8, n))
    return np.asarray(out).astype(NP_DTYPES[dtype]).reshape(shape)


def random_state(rng: np.random.Generator, env: Any, avoid: frozenset[str]) -> dict[str, np.ndarray]:
    """A start state: spec fields with edge-biased values, zones mostly packed, built-ins
    plausible (current_player outside 0..players-1 unless that edge is avoided)."""
    program = env.program
    players = program.players
    state: dict[str, np.ndarray] = {}
    for f in program.fields:
        v = _values(rng, f.type.dtype, f.type.shape, players, not avoided("subnormal:state", avoid))
        if f.name == "z" and rng.random() < 0.7:  # a packed zone: cards, then -1
            k = int(rng.integers(0, f.type.shape[0] + 1))
            v = np.where(np.arange(f.type.shape[0]) < k, np.abs(v) % 5, -1).astype(v.dtype)
        state[f.name] = v
    cp = int(rng.integers(0, players))
    if not avoided("current-player:state", avoid) and rng.random() < 0.15:
        cp = int(rng.choice([-1, players, -players - 1, 2**31 - 1]))
    step = int(rng.choice([0, 1, 2, 4, 5, 2**31 - 1])) if rng.random() < 0.5 else 0
    mod = env.modules["reference"]
    state["current_player"] = np.int32(cp)
    state["observation"] = np.zeros(mod.OBSERVATION_SHAPE, mod.OBSERVATION_DTYPE)
    state["rewards"] = np.zeros(players, np.float32)
    state["terminated"] = np.bool_(rng.random() < 0.08)
    state["truncated"] = np.bool_(rng.random() < 0.05)
    state["step_count"] = np.int32(step)
    state["legal_action_mask"] = rng.random(program.num_actions) < 0.85  # last: its length varies
    return {k: np.asarray(v) for k, v in state.items()}


def edge_action(rng: np.random.Generator, action: int, num_actions: int) -> Any:
    """An action id outside 0..num_actions-1, or a valid one as another type."""
    options = [
        -1, num_actions, 2**31 - 1, -(2**31), np.int64(2**32 + action), np.uint8(action % 256),
        np.int16(action), float(action), np.float32(action), float("nan"), num_actions + 0.5, True,
    ]  # fmt: skip
    return options[int(rng.integers(0, len(options)))]


def make_cases(env: Any, seeds_by_action: list[tuple[int, ...]], avoid: frozenset[str],
               inputs: int = 1) -> list[Case]:  # fmt: skip
    """The cases of a plan: per action, `inputs` per seed (the first from the seed alone, the
    others from (seed, j)), each starting with that action. Case i belongs to seed number
    i // inputs of the plan, in order: a plan with fewer actions keeps its cases' numbers."""
    program = env.program
    players = program.players
    cases = []
    for k, seeds in enumerate(seeds_by_action):
        action = program.actions[k]
        for seed, j in ((s, j) for s in seeds for j in range(inputs)):
            rng = np.random.default_rng([seed, j] if j else seed)
            state = random_state(rng, env, avoid)
            state["legal_action_mask"][action.offset : action.offset + action.size] = True  # let it run
            acts: list[Any] = [action.offset + int(rng.integers(0, action.size))]
            for _ in range(int(rng.integers(0, 3))):
                acts.append(int(rng.integers(0, program.num_actions)))
            if not avoided("action:step", avoid) and rng.random() < 0.25:
                j = int(rng.integers(0, len(acts)))
                acts[j] = edge_action(rng, acts[j], program.num_actions)
            observers: list[Any] = list(range(players))
            if not avoided("observer:observe", avoid):
                observers += [-1, players, -players - 1, 2**31 - 1]
            keys = [np.array([j, (seed * 7919 + t) % 2**32], np.uint32) for t in range(len(acts))]
            cases.append(Case(state, acts, keys, observers, program=k))
    return cases


# ----------------------------------------------------------------------- JSON form


def _encode_value(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return {"type": "bool", "value": bool(v)}
    if isinstance(v, np.generic):
        return {"type": type(v).__name__, "value": repr(v.item())}
    return {"type": type(v).__name__, "value": repr(v)}


def _decode_value(d: dict[str, Any]) -> Any:
    t, text = d["type"], d["value"]
    if t == "bool":
        return bool(text)
    value = float(text) if t in ("float", "float32", "float64") else int(text)
    return value if t in ("int", "float") else getattr(np, t)(value)


def _encode_array(a: np.ndarray) -> dict[str, Any]:
    values = a.astype(np.float64).tolist() if a.dtype.kind == "f" else a.tolist()
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": values}


def _decode_array(d: dict[str, Any]) -> np.ndarray:
    return np.asarray(d["values"], dtype=d["dtype"]).reshape(d["shape"])


def dump_cases(cases: list[Case]) -> str:
    """Cases as JSON (NaN and infinities as JSON's NaN / Infinity, which Python reads)."""
    out = []
    for c in cases:
        out.append({
            "program": c.program,
            "state": {k: _encode_array(v) for k, v in c.state.items()},
            "actions": [_encode_value(a) for a in c.actions],
            "keys": [k.tolist() for k in c.keys],
            "observers": [_encode_value(p) for p in c.observers],
        })  # fmt: skip
    return json.dumps(out, indent=1) + "\n"


def load_cases(text: str) -> list[Case]:
    cases = []
    for d in json.loads(text):
        cases.append(Case(
            {k: _decode_array(v) for k, v in d["state"].items()},
            [_decode_value(a) for a in d["actions"]],
            [np.array(k, np.uint32) for k in d["keys"]],
            [_decode_value(p) for p in d["observers"]],
            d.get("program", -1),
        ))  # fmt: skip
    return cases
