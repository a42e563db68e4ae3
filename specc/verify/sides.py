"""The backends that level 3 lock-steps, behind one interface: a Side holds a batch of
episodes and steps it; its fields come out as NumPy columns (one row per episode).

JAX steps the whole batch at once (jit of vmap), C too (its batched calls, over all
cores), the Python reference one live episode at a time. Every side gets the very same
keys and actions, so any two can be compared row by row, field by field, in NumPy.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

# verify's backend names -> the names sides go by in reports
SIDE_NAMES = {"jax": "specc-jax", "python": "specc-python", "c": "specc-c"}


def observer_name(player: int) -> str:
    """The name level 3 compares player p's view under: `observe(s, p)`."""
    return f"observe(s, {player})"


def observer_of(name: str) -> int | None:
    """The player of an `observe(s, p)` name, None for a state field."""
    if name.startswith("observe(s, ") and name.endswith(")"):
        return int(name[len("observe(s, ") : -1])
    return None


class Side:
    """A batch of episodes on one backend. Rows of finished episodes may keep being
    stepped (they absorb) or not (the reference): only live rows are ever read."""

    name = "side"

    def init(self, keys: np.ndarray) -> None:
        """Start one episode per key (uint32[n, 2])."""
        raise NotImplementedError

    def step(self, actions: np.ndarray, keys: np.ndarray, live: np.ndarray) -> None:
        """Step the episodes (at least the `live` rows) with actions int32[n] and keys uint32[n, 2]."""
        raise NotImplementedError

    def column(self, field: str, rows: np.ndarray) -> np.ndarray:
        """The field's values in `rows`, stacked on a first axis; a name `observe(s, p)`
        (observer_name) gives what player p sees of each of those states."""
        player = observer_of(field)
        return self.field(field, rows) if player is None else self.observe(player, rows)

    def field(self, field: str, rows: np.ndarray) -> np.ndarray:
        """A state field's values in `rows`, stacked on a first axis."""
        raise NotImplementedError

    def observe(self, player: int, rows: np.ndarray) -> np.ndarray:
        """observe(state, player) of the states in `rows`, stacked on a first axis; the
        player id is a Python int, as a user passes it."""
        raise NotImplementedError

    def overwrite(self, field: str, rows: np.ndarray, values: np.ndarray) -> None:
        """Set a state field in `rows` (level 3 re-anchors float fields to the baseline's)."""
        raise NotImplementedError

    def value(self, field: str, row: int) -> np.ndarray:
        """One field of one episode (for a divergence report)."""
        return np.asarray(self.column(field, np.array([row]))[0])


class JaxSide(Side):
    """The JAX backend: jit(vmap(init)) and jit(vmap(step)) over the whole batch; the batch
    is brought to the host once per step."""

    def __init__(self, module: ModuleType, name: str = "specc-jax"):
        import jax

        self.name = name
        self.v_init = jax.jit(jax.vmap(module.init))
        self.v_step = jax.jit(jax.vmap(module.step))
        self.module = module
        self.state: Any = None
        self.host: Any = None
        self.views: dict[int, Any] = {}  # player -> jit(vmap(observe as that player))
        self.seen: dict[int, np.ndarray] = {}  # player -> this step's views, once asked for

    def _fetch(self) -> None:
        import jax

        self.host = jax.device_get(self.state)
        self.seen = {}

    def init(self, keys: np.ndarray) -> None:
        self.state = self.v_init(keys)
        self._fetch()

    def step(self, actions: np.ndarray, keys: np.ndarray, live: np.ndarray) -> None:
        self.state = self.v_step(self.state, actions, keys)
        self._fetch()

    def field(self, field: str, rows: np.ndarray) -> np.ndarray:
        return np.asarray(getattr(self.host, field))[rows]

    def overwrite(self, field: str, rows: np.ndarray, values: np.ndarray) -> None:
        column = np.array(getattr(self.host, field))
        column[rows] = values
        self.state = self.state.replace(**{field: column})
        self.host = self.host.replace(**{field: column})
        self.seen = {}

    def observe(self, player: int, rows: np.ndarray) -> np.ndarray:
        import jax

        if player not in self.views:  # the id closed over as a Python int: observe's host path
            self.views[player] = jax.jit(jax.vmap(lambda s: self.module.observe(s, player)))
        if player not in self.seen:
            self.seen[player] = np.asarray(jax.device_get(self.views[player](self.state)))
        return self.seen[player][rows]


class NativeSide(Side):
    """The C backend: one structured array of states, stepped in place by its batched call."""

    def __init__(self, module: Any, name: str = "specc-c", threads: int | None = None):
        self.name = name
        self.module = module
        self.threads = threads
        self.states: np.ndarray | None = None

    def init(self, keys: np.ndarray) -> None:
        self.states = self.module.init_batch(keys, self.threads)

    def step(self, actions: np.ndarray, keys: np.ndarray, live: np.ndarray) -> None:
        self.module.step_batch(self.states, actions, keys, self.threads)

    def field(self, field: str, rows: np.ndarray) -> np.ndarray:
        return self.states[field][rows]

    def observe(self, player: int, rows: np.ndarray) -> np.ndarray:
        return self.module.observe_batch(self.states, player, rows)

    def overwrite(self, field: str, rows: np.ndarray, values: np.ndarray) -> None:
        self.states[field][rows] = values


class ListSide(Side):
    """A backend stepped one episode at a time (the Python reference): only live rows step.
    A column read is kept until the next change of the states: level 3 compares every other
    side with this one, and stacking (observing) thousands of states is most of its cost."""

    def __init__(self, module: ModuleType, name: str = "specc-python"):
        self.name = name
        self.module = module
        self.states: list[Any] = []
        self.read: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # column -> (the rows read, the values)

    def init(self, keys: np.ndarray) -> None:
        self.states = [self.module.init(k) for k in keys]
        self.read.clear()

    def step(self, actions: np.ndarray, keys: np.ndarray, live: np.ndarray) -> None:
        self.read.clear()
        for e in np.flatnonzero(live):
            self.states[e] = self.module.step(self.states[e], int(actions[e]), keys[e])

    def column(self, field: str, rows: np.ndarray) -> np.ndarray:
        kept = self.read.get(field)
        if kept is None or not np.array_equal(kept[0], rows):
            kept = self.read[field] = (rows.copy(), super().column(field, rows))
        return kept[1]

    def field(self, field: str, rows: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(getattr(self.states[e], field)) for e in rows])

    def observe(self, player: int, rows: np.ndarray) -> np.ndarray:
        return np.stack([np.asarray(self.module.observe(self.states[e], player)) for e in rows])

    def overwrite(self, field: str, rows: np.ndarray, values: np.ndarray) -> None:
        self.read.clear()
        for e, v in zip(rows, values):
            old = getattr(self.states[e], field)
            setattr(self.states[e], field, np.array(v, np.asarray(old).dtype) if np.ndim(old) else v)


def make_side(backend: str, module: Any, threads: int | None = None) -> Side:
    """The Side of a backend ("jax", "python" or "c") around its module."""
    name = SIDE_NAMES.get(backend, backend)
    if backend == "jax":
        return JaxSide(module, name)
    if backend == "c":
        return NativeSide(module, name, threads)
    return ListSide(module, name)


def differing_rows(a: np.ndarray, b: np.ndarray, tolerance: float | None) -> np.ndarray:
    """bool[rows]: where two columns differ. Integers and bools exactly (dtype and shape too:
    a mismatch there is every row); floats within `tolerance` (NaN equals NaN)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return np.ones(max(len(a), len(b)), bool)
    if a.dtype.kind == "f":
        equal = np.isclose(a, b, rtol=0.0, atol=tolerance or 0.0, equal_nan=True)
    else:
        equal = a == b
    return ~equal.reshape(len(a), -1).all(axis=1)
