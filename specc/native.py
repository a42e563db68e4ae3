"""Build and load generated/NAME/native.c: the C backend behind `specc.make(spec, backend="c")`.

native.c is compiled once with the system C compiler (`$CC`, else cc, gcc or clang) into a
shared library cached by content hash in ~/.cache/specc/native/ (or $SPECC_CACHE_DIR), then
loaded with cffi in ABI mode. The module it gives has the reference's constants and State
class, the same init/step/observe on single states, and batched calls over one NumPy
structured array of states (one record per environment) run in C over all cores.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

from .errors import SpecError

# -frounding-math: no float folding at compile time, which would ignore the run-time flush of subnormals
FLAGS = ["-O3", "-shared", "-fPIC", "-ffp-contract=off", "-fno-math-errno", "-frounding-math"]
# gcc's link-time optimisation splits the one translation unit into partitions compiled on
# every core (the flagship's native.c: 18.3 s -> 9.8 s on 2 cores); a compiler without it
# (clang reads -flto=N otherwise) falls back to the plain build
PARALLEL = [f"-flto={os.cpu_count() or 1}", "-flto-partition=balanced"]
CDEF = """
int64_t specc_state_size(void);
void specc_offsets(void *out);
void specc_init(void *s, const void *key);
void specc_step(const void *in, void *out, int64_t action, const void *key);
void specc_observe(const void *s, int64_t player, void *out);
void specc_invariants(const void *s, void *out);
void specc_refresh(void *s);
void specc_fold_in(const void *key, uint32_t data, void *out);
void specc_random_bits(const void *key, int32_t n, void *out);
void specc_init_batch(void *states, const void *keys, int64_t n, int threads);
void specc_step_batch(void *states, const void *actions, const void *keys, int64_t n, int threads);
void specc_step_autoreset_batch(void *states, const void *actions, const void *keys, int64_t n,
                                void *final_obs, void *rewards, void *terminated, void *truncated, void *players,
                                int threads);
void specc_bench(void *states, int64_t n, int64_t steps, const void *seed, int threads);
"""
BUILTINS = ("current_player", "observation", "legal_action_mask", "rewards", "terminated", "truncated", "step_count")
_LOADED: dict[str, Any] = {}


class Transition(NamedTuple):
    """What a batched auto-reset step did before any reset (arrays, one row per environment)."""

    observation: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    current_player: np.ndarray  # who was to move in each final state (for the bootstrap)


def cache_dir() -> Path:
    """Where built libraries are kept: $SPECC_CACHE_DIR, else $XDG_CACHE_HOME/specc or ~/.cache/specc."""
    if os.environ.get("SPECC_CACHE_DIR"):
        return Path(os.environ["SPECC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "specc"


def compiler() -> str:
    """The C compiler: $CC if set, else the first of cc, gcc, clang found on PATH."""
    wanted = os.environ.get("CC")
    for cc in [wanted] if wanted else ["cc", "gcc", "clang"]:
        cmd = cc.split()[0]
        if shutil.which(cmd):
            return cc
    raise SpecError(
        f"backend 'c' needs a C compiler, and {'$CC=' + repr(wanted) if wanted else 'none of cc, gcc, clang'} "
        "was found: install gcc or clang, or set CC to one"
    )


def build(source: str, name: str = "native") -> Path:
    """The shared library of a C source: from the cache, or compiled now (with OpenMP when
    the compiler has it). Returns its path."""
    cc = compiler()
    digest = hashlib.sha256("\0".join([source, cc, *FLAGS, *PARALLEL]).encode()).hexdigest()[:24]
    out = cache_dir() / "native" / f"{name}-{digest}.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        src = Path(tmp) / f"{name}.c"
        src.write_text(source)
        lib = Path(tmp) / "lib.so"
        errors = ""
        # without OpenMP the batched calls run on one core
        for extra in ([*PARALLEL, "-fopenmp"], ["-fopenmp"], []):
            cmd = [*cc.split(), *FLAGS, *extra, "-o", str(lib), str(src), "-lm"]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode == 0:
                os.replace(lib, out)
                return out
            errors = done.stderr
        raise SpecError(f"{cc} could not compile {name}.c:\n{errors[-2000:]}")


def _state_dtype(module: ModuleType) -> np.dtype:
    """The NumPy record of one State, laid out as the C struct (natural alignment)."""
    fields = [
        ("current_player", np.int32),
        ("observation", np.dtype(module.OBSERVATION_DTYPE), tuple(module.OBSERVATION_SHAPE)),
        ("legal_action_mask", np.bool_, (module.NUM_ACTIONS,)),
        ("rewards", np.float32, (module.NUM_PLAYERS,)),
        ("terminated", np.bool_),
        ("truncated", np.bool_),
        ("step_count", np.int32),
    ]
    for name, (dtype, shape, _range) in module.FIELDS.items():
        fields.append((name, np.dtype(dtype if dtype != "bool" else np.bool_), shape) if shape else (name, dtype))
    return np.dtype(fields, align=True)


def whole(x: Any) -> int:
    """An action or player id as the reference reads it (its _whole): itself if it is a
    whole number in 0..2**31-1 (True is 1, 2.0 is 2), else -1."""
    if isinstance(x, (bool, int)):
        return int(x) if 0 <= x <= 2**31 - 1 else -1
    v = np.asarray(x)
    if v.dtype.kind == "b":
        v = v.astype(np.int64)
    if v.dtype.kind in "iu":
        return int(v) if 0 <= v <= 2**31 - 1 else -1
    if v.dtype.kind == "f":
        return int(v) if np.isfinite(v) and v == np.floor(v) and 0 <= v <= 2**31 - 1 else -1
    raise TypeError(f"an action or player id must be a number, not {v.dtype}")


def action_ids(actions: Any) -> np.ndarray:
    """A batch of action ids as int32, each read as `whole` reads one (-1 where illegal)."""
    a = np.asarray(actions)
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(a) & (a == np.floor(a)) & (a >= 0) & (a <= 2**31 - 1)
        a = np.where(ok, np.where(ok, a, 0).astype(np.int64), -1)
    elif a.dtype.kind in "iu":
        a = a.astype(np.int64) if a.dtype.kind == "i" or a.dtype.itemsize < 8 else a
        a = np.where((a >= 0) & (a <= 2**31 - 1), a, -1)
    else:
        raise TypeError(f"action ids must be numbers, not {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.int32)


def _key(key: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(key), dtype=np.uint32).reshape(2)


class NativeModule:
    """The C environment, with the interface of a generated module (reference.py's
    constants and State class; init, step, observe) plus batched calls."""

    def __init__(self, c_path: Path, reference: ModuleType):
        import cffi

        for attr in dir(reference):  # ID, NUM_PLAYERS, FIELDS, TOLERANCES, ...
            if attr.isupper():
                setattr(self, attr, getattr(reference, attr))
        self.State = reference.State
        self.__file__ = str(c_path)
        self.reference = reference
        self.ffi = cffi.FFI()
        self.ffi.cdef(CDEF)
        self.library = build(c_path.read_text(), reference.ID)
        self.lib = self.ffi.dlopen(str(self.library))
        self.dtype = _state_dtype(reference)
        self._check_layout()

    def _check_layout(self) -> None:
        offsets = np.zeros(len(self.dtype.names), np.int64)
        self.lib.specc_offsets(self._ptr(offsets))
        numpy_offsets = [self.dtype.fields[n][1] for n in self.dtype.names]
        if self.lib.specc_state_size() != self.dtype.itemsize or list(offsets) != numpy_offsets:
            raise SpecError(f"{self.__file__}: the C State layout differs from NumPy's record")

    def _ptr(self, array: np.ndarray) -> Any:
        return self.ffi.from_buffer(array)

    # --------------------------------------------------------------- single states

    def pack(self, state: Any) -> np.ndarray:
        """A State (NumPy fields) as a one-record array."""
        rec = np.zeros(1, self.dtype)
        for name in self.dtype.names:
            rec[name][0] = getattr(state, name)
        return rec

    def unpack(self, rec: np.ndarray) -> Any:
        """One record as a State with the reference's field types."""
        values = {}
        for name in self.dtype.names:
            value = rec[name][0]
            values[name] = np.array(value) if isinstance(value, np.ndarray) else value[()]
        values["terminated"] = bool(values["terminated"])
        values["truncated"] = bool(values["truncated"])
        return self.State(**values)

    def init(self, key: Any) -> Any:
        """A new episode from `key` (a raw uint32[2] key)."""
        rec = np.zeros(1, self.dtype)
        self.lib.specc_init(self._ptr(rec), self._ptr(_key(key)))
        return self.unpack(rec)

    def step(self, state: Any, action: Any, key: Any = None) -> Any:
        """Apply `action` for the current player (the reference's conventions)."""
        if key is None and self.STEP_USES_CHANCE:
            raise ValueError(f"{self.ID} uses chance in step: pass a key")
        rec = self.pack(state)
        action = whole(action)  # not a whole number in range: -1, illegal
        key_ptr = self._ptr(_key(key)) if key is not None else self.ffi.NULL
        self.lib.specc_step(self._ptr(rec), self._ptr(rec), action, key_ptr)
        return self.unpack(rec)

    def observe(self, state: Any, player: Any) -> np.ndarray:
        """What `player` sees of `state` (all zeros for no such player)."""
        out = np.zeros(self.OBSERVATION_SHAPE, self.OBSERVATION_DTYPE)
        player = whole(player)
        self.lib.specc_observe(self._ptr(self.pack(state)), player, self._ptr(out))
        return out

    def refresh(self, state: Any) -> Any:
        """Recompute truncation, the legal mask and the observation of a changed State."""
        rec = self.pack(state)
        self.lib.specc_refresh(self._ptr(rec))
        return self.unpack(rec)

    def invariants(self, state: Any) -> np.ndarray:
        out = np.zeros(max(len(self.INVARIANTS), 1), np.bool_)
        self.lib.specc_invariants(self._ptr(self.pack(state)), self._ptr(out))
        return out[: len(self.INVARIANTS)]

    def step_autoreset(self, state: Any, action: Any, key: Any) -> tuple[Any, Any]:
        """One auto-reset step of a single State, through the batched C path."""
        from .api import Transition as ApiTransition

        rec = self.pack(state)
        t = self.step_autoreset_batch(rec, np.array([whole(action)], np.int32), _key(key)[None], threads=1)
        return self.unpack(rec), ApiTransition(t.observation[0], t.rewards[0], bool(t.terminated[0]),
                                               bool(t.truncated[0]), np.int32(t.current_player[0]))  # fmt: skip

    # ---------------------------------------------------------------- batches

    def _threads(self, threads: int | None) -> int:
        return max(1, threads or os.cpu_count() or 1)

    def _keys(self, keys: Any, n: int) -> np.ndarray:
        keys = np.ascontiguousarray(np.asarray(keys), dtype=np.uint32)
        if keys.shape != (n, 2):
            raise SpecError(f"keys must have shape ({n}, 2), not {keys.shape}")
        return keys

    def init_batch(self, keys: Any, threads: int | None = None) -> np.ndarray:
        """New episodes, one per key (keys: uint32[n, 2]): a structured array of n States
        (`states["board"]` is the board of every environment)."""
        keys = np.ascontiguousarray(np.asarray(keys), dtype=np.uint32).reshape(-1, 2)
        states = np.zeros(len(keys), self.dtype)
        self.lib.specc_init_batch(self._ptr(states), self._ptr(keys), len(keys), self._threads(threads))
        return states

    def step_batch(self, states: np.ndarray, actions: Any, keys: Any, threads: int | None = None) -> np.ndarray:
        """Step every environment of `states` in place (and return it)."""
        n = self._batch(states)
        acts = action_ids(actions).reshape(n)
        self.lib.specc_step_batch(self._ptr(states), self._ptr(acts), self._ptr(self._keys(keys, n)), n,
                                  self._threads(threads))  # fmt: skip
        return states

    def step_autoreset_batch(self, states: np.ndarray, actions: Any, keys: Any,
                             threads: int | None = None) -> Transition:  # fmt: skip
        """Step every environment in place; where an episode ends, start a new one from
        fold_in(key, RESET_SITE). The Transition keeps each step's own observation,
        rewards and flags, from before any reset."""
        n = self._batch(states)
        acts = action_ids(actions).reshape(n)
        t = Transition(
            np.zeros((n, *self.OBSERVATION_SHAPE), self.OBSERVATION_DTYPE),
            np.zeros((n, self.NUM_PLAYERS), np.float32),
            np.zeros(n, np.bool_),
            np.zeros(n, np.bool_),
            np.zeros(n, np.int32),
        )
        self.lib.specc_step_autoreset_batch(
            self._ptr(states), self._ptr(acts), self._ptr(self._keys(keys, n)), n,
            self._ptr(t.observation), self._ptr(t.rewards), self._ptr(t.terminated), self._ptr(t.truncated),
            self._ptr(t.current_player),
            self._threads(threads),
        )  # fmt: skip
        return t

    def observe_batch(self, states: np.ndarray, player: Any, rows: Any = None) -> np.ndarray:
        """What `player` sees of each state of a batch (or of its `rows`), stacked on a
        first axis: one C call per state, straight on the batch's records (no copies)."""
        n = self._batch(states)
        rows = np.arange(n) if rows is None else np.asarray(rows, np.int64).reshape(-1)
        out = np.zeros((len(rows), *self.OBSERVATION_SHAPE), self.OBSERVATION_DTYPE)
        player = whole(player)
        base, into = self.ffi.cast("char *", self._ptr(states)), self.ffi.cast("char *", self._ptr(out))
        size, stride = states.dtype.itemsize, out[0].nbytes if len(out) else 0
        for i, row in enumerate(rows):
            if not 0 <= row < n:
                raise IndexError(f"row {row} is outside a batch of {n}")
            self.lib.specc_observe(base + int(row) * size, player, into + i * stride)
        return out

    def bench(self, batch: int, steps: int, seed: Any, threads: int | None = None) -> np.ndarray:
        """specc bench's loop in C: `steps` random legal actions with auto-reset in each of
        `batch` environments (the JAX harness's counter-hash streams). Returns the states."""
        states = np.zeros(batch, self.dtype)
        self.lib.specc_bench(self._ptr(states), batch, steps, self._ptr(_key(seed)), self._threads(threads))
        return states

    def _batch(self, states: np.ndarray) -> int:
        if not isinstance(states, np.ndarray) or states.dtype != self.dtype or not states.flags.c_contiguous:
            raise SpecError("states must be a contiguous array made by init_batch")
        return len(states)

    def record(self, states: np.ndarray, i: int) -> Any:
        """Environment i of a batch as a State."""
        return self.unpack(states[i : i + 1])


def load(c_path: Path, reference: ModuleType) -> NativeModule:
    """The NativeModule of a native.c (built or taken from the cache), loaded once per content."""
    key = hashlib.sha256(c_path.read_bytes()).hexdigest() + str(c_path)
    if key not in _LOADED:
        _LOADED[key] = NativeModule(c_path, reference)
    return _LOADED[key]
