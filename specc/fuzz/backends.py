"""The fuzzer's backends: one registry, each entry turning a compiled spec into a Runner.

The Python reference is what the others are compared with. A backend is a function
`Environment -> Runner`; a runner steps a list of states (plain dicts of NumPy
values, one per case) and returns the next states, or a one-line error per case.
Adding a backend is a few lines (the C one, "c", is NativeRunner below):

    @register("c")
    def _c(env: Environment) -> Runner:
        return MyCRunner(compile_native(env.program))
"""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import Program

BUILTIN_FIELDS = ("current_player", "observation", "legal_action_mask", "rewards", "terminated", "truncated",
                  "step_count")  # fmt: skip
REFERENCE = "python"
EAGER_CASES = 4  # cases per step that run eagerly (op by op: about a second a step), spread over the batch


@dataclass
class Environment:
    """One compiled spec: its checked IR and its generated modules, loaded from memory."""

    program: Program
    files: dict[str, str]  # generated file name -> text
    modules: dict[str, types.ModuleType]  # "env" (JAX), "reference" (Python)

    def field_names(self) -> list[str]:
        """Every state field, those derived from the others (mask, observation) last: a
        divergence is reported where it starts."""
        derived = ["legal_action_mask", "observation"]
        own = [n for n in BUILTIN_FIELDS if n not in derived]
        return own + list(self.modules["reference"].FIELDS) + derived


State = dict[str, np.ndarray]
Result = Any  # a State, an observation array, an error message (str), or None (not applicable)


class Runner:
    """Runs a batch of cases, one step at a time. `probe` steps every state, observes
    every (input) state as each of `players`, and initialises from every key (only when
    `init` is true: init is compared at the first step only; otherwise its result may be
    None). Subclasses override the `one_*` methods (one case at a time) or `probe` itself;
    a runner that sets `batched` gets batches of one length per spec (padded by repeating
    cases), so it compiles once."""

    batched = False

    def probe(self, states: list[State], actions: list[Any], keys: list[np.ndarray], players: list[Any],
              init: bool = True) -> list[tuple[Result, list[Result], Result]]:  # fmt: skip
        out = []
        for s, a, k in zip(states, actions, keys):
            seen = [_guarded(self.one_observe, s, p) for p in players]
            out.append((_guarded(self.one_step, s, a, k), seen, _guarded(self.one_init, k) if init else None))
        return out

    def one_step(self, state: State, action: Any, key: np.ndarray) -> State:
        raise NotImplementedError

    def one_observe(self, state: State, player: Any) -> np.ndarray:
        raise NotImplementedError

    def one_init(self, key: np.ndarray) -> State:
        raise NotImplementedError


def _guarded(fn: Callable, *args: Any) -> Result:
    """fn(*args), or the exception it raised as one line (a divergence if others agree)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    except Exception as err:  # any exception is a result to compare, never a crash
        return f"raised {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]


BACKENDS: dict[str, Callable[[Environment], Runner]] = {}


def register(name: str) -> Callable:
    """Decorator: add a backend factory `Environment -> Runner` under `name`."""

    def add(factory: Callable[[Environment], Runner]) -> Callable[[Environment], Runner]:
        BACKENDS[name] = factory
        return factory

    return add


def load_module(name: str, text: str) -> types.ModuleType:
    """Execute generated source as a module (registered while it runs, for dataclasses)."""
    module = types.ModuleType(name)
    module.__file__ = f"<fuzz {name}>"
    sys.modules[name] = module
    try:
        exec(compile(text, module.__file__, "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def as_dict(state: Any, names: list[str]) -> State:
    return {n: np.asarray(getattr(state, n)) for n in names}


# ------------------------------------------------------------------ the reference


class PythonRunner(Runner):
    def __init__(self, env: Environment):
        self.mod = env.modules["reference"]
        self.names = env.field_names()

    def to_state(self, d: State) -> Any:
        values = {}
        for n, v in d.items():
            if n in ("terminated", "truncated"):
                values[n] = bool(v)
            elif v.shape:
                values[n] = np.array(v)
            else:
                values[n] = v.dtype.type(v)
        return self.mod.State(**values)

    def one_step(self, state: State, action: Any, key: np.ndarray) -> State:
        return as_dict(self.mod.step(self.to_state(state), action, key), self.names)

    def one_observe(self, state: State, player: Any) -> np.ndarray:
        return np.asarray(self.mod.observe(self.to_state(state), player))

    def one_init(self, key: np.ndarray) -> State:
        return as_dict(self.mod.init(key), self.names)


register(REFERENCE)(PythonRunner)


# ---------------------------------------------------------------------- JAX


class JaxRunner(Runner):
    """The JAX backend one case at a time: eagerly (under jax.disable_jit, EAGER_CASES of
    each step's cases), or under jit: step, observe (vmapped over the players) and init,
    each compiled once per spec and run on every case. A new action type means a new
    compile of step, so under jit step runs for Python ints and for one other action type
    per spec (the first it meets; the others are not applicable there, and meet jit in
    other specs). Players and actions with no exact int32 form are not applicable under jit."""

    def __init__(self, env: Environment, jit: bool):
        import jax

        self.jax = jax
        mod = env.modules["env"]
        self.mod = mod
        self.names = env.field_names()
        self.jit = jit
        self.step_fn = jax.jit(mod.step)
        self.observe_fn = jax.jit(jax.vmap(mod.observe, in_axes=(None, 0)))
        self.init_fn = jax.jit(mod.init)
        self.other_type: type | None = None  # the one action type besides int that step compiles for

    def to_state(self, d: State) -> Any:
        return self.mod.State(**{n: self.jax.numpy.asarray(v) for n, v in d.items()})

    def probe(self, states: list[State], actions: list[Any], keys: list[np.ndarray], players: list[Any],
              init: bool = True) -> list[tuple[Result, list[Result], Result]]:  # fmt: skip
        if not self.jit:  # op by op is slow: EAGER_CASES of the cases, spread over the batch
            out: list[tuple[Result, list[Result], Result]] = [(None, [None] * len(players), None)] * len(states)
            every = max(1, -(-len(states) // EAGER_CASES))
            with self.jax.disable_jit():
                for i in range(0, len(states), every):
                    out[i] = super().probe(states[i : i + 1], actions[i : i + 1], keys[i : i + 1], players, init)[0]
            return out
        ps = [_int32(p) for p in players]
        p = np.array([x for x in ps if x is not None], np.int32)
        results = []
        for s, a, k in zip(states, actions, keys):
            state = self.mod.State(**s)  # NumPy leaves: jit takes them as they are
            seen = _guarded(self.observe_fn, state, p)
            if isinstance(seen, str):
                views: list[Result] = [seen] * len(players)
            else:
                obs = iter(np.asarray(seen))
                views = [next(obs) if x is not None else None for x in ps]
            stepped = _guarded(self.step_fn, state, a, k) if self._compiles_for(a) else None
            born = _guarded(self.init_fn, k) if init else None
            results.append((self._fetched(stepped), views, self._fetched(born)))
        return results

    def _fetched(self, x: Any) -> Result:
        return x if x is None or isinstance(x, str) else _host(x, self.names)

    def _compiles_for(self, action: Any) -> bool:
        """Whether step runs `action` under jit here (see the class docstring)."""
        whole = isinstance(action, (int, np.integer)) and not isinstance(action, (bool, np.bool_))
        if whole and _int32(action) is None:
            # under jit JAX itself cuts a 64-bit integer to int32 before step sees it: outside the
            # documented meaning (docs/language.md, Semantics: step), so not applicable here
            return False
        if type(action) is int:
            return True
        if self.other_type is None:
            self.other_type = type(action)
        return type(action) is self.other_type

    def one_step(self, state: State, action: Any, key: np.ndarray) -> State:
        return as_dict(self.mod.step(self.to_state(state), action, key), self.names)

    def one_observe(self, state: State, player: Any) -> np.ndarray:
        return np.asarray(self.mod.observe(self.to_state(state), player))

    def one_init(self, key: np.ndarray) -> State:
        return as_dict(self.mod.init(key), self.names)


def _int32(value: Any) -> int | None:
    """`value` as an int32 batch entry, or None where it has no exact int32 form."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return None
    return int(value) if -(2**31) <= int(value) < 2**31 else None


class VmapRunner(Runner):
    """The JAX backend on the whole batch at once, under jit(vmap(...)): one compiled
    function per spec steps, observes and initialises. Actions and players with no exact
    int32 form are not applicable (None) in a batch."""

    batched = True

    def __init__(self, env: Environment):
        import jax

        mod = env.modules["env"]
        self.mod = mod
        self.names = env.field_names()

        def probe(s, a, k, ps):
            return mod.step(s, a, k), jax.vmap(mod.observe, in_axes=(None, 0))(s, ps), mod.init(k)

        self.fn = jax.jit(jax.vmap(probe, in_axes=(0, 0, 0, None)))

    def probe(self, states: list[State], actions: list[Any], keys: list[np.ndarray], players: list[Any],
              init: bool = True) -> list[tuple[Result, list[Result], Result]]:  # fmt: skip
        acts = [_int32(a) for a in actions]
        ps = [_int32(p) for p in players]
        batch = self.mod.State(**{n: np.stack([s[n] for s in states]) for n in self.names})
        a = np.array([0 if x is None else x for x in acts], np.int32)
        p = np.array([x for x in ps if x is not None], np.int32)
        out = _guarded(self.fn, batch, a, np.stack(keys), p)
        if isinstance(out, str):
            return [(out, [out] * len(players), out)] * len(states)
        stepped, seen, inits = (_host(x, self.names) for x in out)
        results = []
        for i in range(len(states)):
            obs = iter(seen[i]) if len(p) else iter(())
            views = [next(obs) if x is not None else None for x in ps]
            step = {n: stepped[n][i] for n in self.names} if acts[i] is not None else None
            results.append((step, views, {n: inits[n][i] for n in self.names}))
        return results


def _host(x: Any, names: list[str]) -> Any:
    if hasattr(x, "current_player"):
        return {n: np.asarray(getattr(x, n)) for n in names}
    return np.asarray(x)


register("jax-eager")(lambda env: JaxRunner(env, jit=False))
register("jax-jit")(lambda env: JaxRunner(env, jit=True))
register("jax-vmap")(VmapRunner)


# -------------------------------------------------------------------- C (native)


class NativeRunner(Runner):
    """The C backend (specc.native): native.c generated from the same IR, built with the
    system C compiler (cached by content) with the shipped flags, and run on the whole
    batch in one call per step (one thread; each action id read as the single-state
    `step` reads it)."""

    def __init__(self, env: Environment):
        import tempfile
        from pathlib import Path

        from ..compiler import native_source
        from ..native import load

        self.names = env.field_names()
        with tempfile.TemporaryDirectory(prefix="specc-fuzz-c-") as tmp:
            path = Path(tmp) / "native.c"
            path.write_text(native_source(env.program))  # one the backend cannot lower: #error, a build error
            self.mod = load(path, env.modules["reference"])

    def probe(self, states: list[State], actions: list[Any], keys: list[np.ndarray], players: list[Any],
              init: bool = True) -> list[tuple[Result, list[Result], Result]]:  # fmt: skip
        from ..native import whole

        mod = self.mod
        batch = np.zeros(len(states), mod.dtype)
        for name in mod.dtype.names:
            batch[name] = np.stack([s[name] for s in states])
        seen = [_guarded(mod.observe_batch, batch, p) for p in players]
        ids = [_guarded(whole, a) for a in actions]
        stepped = mod.step_batch(batch, np.array([-1 if isinstance(i, str) else i for i in ids], np.int32),
                                 np.stack(keys), threads=1)  # fmt: skip
        born = mod.init_batch(np.stack(keys), threads=1) if init else None
        out = []
        for i, action_id in enumerate(ids):
            step = action_id if isinstance(action_id, str) else self._record(stepped, i)
            views = [v if isinstance(v, str) else v[i] for v in seen]
            out.append((step, views, self._record(born, i) if init else None))
        return out

    def _record(self, batch: np.ndarray, i: int) -> State:
        return {n: np.asarray(batch[n][i]) for n in self.names}


register("c")(NativeRunner)
