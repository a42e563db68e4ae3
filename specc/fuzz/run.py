"""Compile a spec in memory and compare every backend with the Python reference.

Each step starts every backend from the same state: the reference's state after the
previous step (so an approximate float can never drift into a branch later on). After
init and after every step, every field is compared (integers and bools exactly, dtype
and shape too; floats within the spec's tolerance, relative for large values), and so
is the observation of every observer.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..backends import jax_backend, python_backend
from ..backends.common import unformatted
from ..loader import load_program
from .backends import BACKENDS, REFERENCE, Environment, Result, load_module
from .cases import Case

_counter = [0]


def compile_text(spec_text: str, table_csv: str | None, name: str = "fz") -> Environment:
    """Check and compile a spec given as text (its table as `name`.csv beside it)."""
    with tempfile.TemporaryDirectory(prefix="specc-fuzz-") as tmp:
        path = Path(tmp) / f"{name}.yaml"
        path.write_text(spec_text)
        if table_csv is not None:
            (Path(tmp) / f"{name}.csv").write_text(table_csv)
        return compile_file(path)


def compile_file(path: str | Path) -> Environment:
    """Check and compile a spec file through the normal pipeline (loader, both backends),
    in memory and unformatted; the generated modules are loaded from their text."""
    program = load_program(path)
    with unformatted():
        files = {"env.py": jax_backend.generate(program), "reference.py": python_backend.generate(program)}
    _counter[0] += 1
    modules = {
        "env": load_module(f"_specc_fuzz_env_{_counter[0]}", files["env.py"]),
        "reference": load_module(f"_specc_fuzz_ref_{_counter[0]}", files["reference.py"]),
    }
    return Environment(program, files, modules)


@dataclass
class Divergence:
    """The first difference between a backend and the reference in one case."""

    backend: str
    case: int
    program: int  # the action (program) the case exercises
    where: str  # "init", "step 1", "observe(-1) after step 2" ...
    field: str
    reference: Any
    other: Any

    def describe(self) -> str:
        return (f"{self.backend} vs {REFERENCE}: {self.where}, {self.field}: "
                f"{_show(self.other)} != {_show(self.reference)}")  # fmt: skip


@dataclass
class Outcome:
    divergences: list[Divergence] = field(default_factory=list)
    steps: int = 0


def _show(v: Any) -> str:
    if isinstance(v, dict):
        return "a state"
    if isinstance(v, np.ndarray):
        return f"{np.array2string(v, threshold=12)} ({v.dtype})"
    return str(v)


def close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Floats: equal, both NaN, within `tol` (relative above 1), or one unit in the last place
    apart (the largest float and infinity); a subnormal only equal to itself."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        near = np.abs(a.astype(np.float64) - b.astype(np.float64)) <= tol * np.maximum(
            1.0, np.abs(a.astype(np.float64))
        )
        ulp = np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64)) <= 1
    ok = same | (near & ~np.isnan(a) & ~np.isnan(b)) | (ulp & (np.sign(a) == np.sign(b)))
    # no backend gives a subnormal (docs/language.md, Semantics: subnormal floats), not even by
    # copying one out of a hand-made state: one where the other has other bits is a divergence
    tiny = np.float32(2.0**-126)
    subnormal = ((np.abs(a) < tiny) & (a != 0)) | ((np.abs(b) < tiny) & (b != 0))
    return bool(np.all(ok & ~(subnormal & (a.view(np.uint32) != b.view(np.uint32)))))


def differs(ref: Any, other: Any, tol: float) -> bool:
    """Whether two results differ (exceptions by type; values by dtype, shape and value)."""
    if other is None:
        return False  # not applicable on that backend
    if isinstance(ref, str) or isinstance(other, str):
        return not (isinstance(ref, str) and isinstance(other, str))
    ref, other = np.asarray(ref), np.asarray(other)
    if ref.shape != other.shape or ref.dtype != other.dtype:
        return True
    if ref.dtype.kind == "f":
        return not close(ref, other, tol)
    return not np.array_equal(ref, other)


def _first_field(ref: Result, other: Result, names: list[str], tol: float) -> str | None:
    if isinstance(ref, str) or isinstance(other, str) or other is None:
        return "<result>" if differs(ref, other, tol) else None
    for n in names:
        if differs(ref[n], other[n], tol):
            return n
    return None


def run_cases(env: Environment, cases: list[Case], backends: list[str], tol: float) -> Outcome:
    """Run `cases` on the reference and on `backends`; the first divergence per backend and
    case. Every case must observe the same players."""
    runners = {name: BACKENDS[name](env) for name in [REFERENCE] + [b for b in backends if b != REFERENCE]}
    names = env.field_names()
    out = Outcome()
    seen: set[tuple[str, int]] = set()
    players = cases[0].observers
    states = [c.state for c in cases]
    live = list(range(len(cases)))
    for t in range(max(len(c.actions) for c in cases)):
        idx = [i for i in live if t < len(cases[i].actions)]
        if not idx:
            break
        args = ([states[i] for i in idx], [cases[i].actions[t] for i in idx], [cases[i].keys[t] for i in idx])
        refs = runners[REFERENCE].probe(*args, players, init=t == 0)
        for name, runner in runners.items():
            if name == REFERENCE:
                continue
            results = runner.probe(*_padded(args, len(cases), runner), players, init=t == 0)
            for j, i in enumerate(idx):
                bad = _judge(refs[j], results[j], names, players, tol, t, cases[i])
                if bad is not None and (name, i) not in seen:
                    seen.add((name, i))
                    out.divergences.append(Divergence(name, i, cases[i].program, *bad))
        out.steps += len(idx)
        live = []
        for j, i in enumerate(idx):
            if not isinstance(refs[j][0], str):
                states[i] = refs[j][0]
                live.append(i)
    return out


def _judge(ref: tuple, other: tuple, names: list[str], players: list[Any], tol: float, t: int, case: Case):
    """(where, field, reference value, other value) of the first difference, or None."""
    action = case.actions[t]
    where = f"step {t + 1} (action {action!r} of {type(action).__name__})"
    bad = _first_field(ref[0], other[0], names, tol)
    if bad is not None:
        return where, bad, *_pick(ref[0], other[0], bad)
    for p, r, o in zip(players, ref[1], other[1]):
        if differs(r, o, tol):
            return f"observe(state, {p!r}) before step {t + 1}", "observation", r, o
    if t == 0:
        bad = _first_field(ref[2], other[2], names, tol)
        if bad is not None:
            return f"init(key {case.keys[0].tolist()})", bad, *_pick(ref[2], other[2], bad)
    return None


def _pick(ref: Result, other: Result, name: str) -> tuple[Any, Any]:
    if isinstance(ref, str) or isinstance(other, str) or name == "<result>":
        return ref, other
    return ref[name], other[name]


def _padded(args: tuple[list, ...], n: int, runner: Any) -> tuple[list, ...]:
    """For a batched runner, every list repeated up to length n: one batch shape per
    spec, so it compiles once (the extra results are dropped)."""
    if not runner.batched:
        return args
    return tuple((a * (n // len(a) + 1))[:n] for a in args)
