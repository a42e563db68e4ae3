"""Helpers for tests that run one spec on both backends: play in lock-step (JAX jitted
and eager against the Python reference, every field equal after every step), and check
that a spec fault is reported at the place marked @@."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import specc
from specc.errors import SpecError
from specc.loader import load_program


def host(state) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(state, f.name)) for f in dataclasses.fields(state)}


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray], where: str) -> None:
    assert list(a) == list(b), where
    for name in a:
        assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name]), (where, name, a[name], b[name])


NATIVE: dict[int, object] = {}  # id(reference env) -> the same spec on the C backend


def pair(folder: Path):
    """build(text): the spec `text` compiled into `folder` for both backends (once per text)."""
    made: dict[str, tuple] = {}

    def build(text: str):
        if text in made:
            return made[text]
        spec = folder / f"spec{len(made)}.yaml"
        spec.write_text(text)
        out = folder / f"gen{len(made)}"
        made[text] = specc.make(spec, backend="jax", out_dir=out), specc.make(spec, backend="python", out_dir=out)
        NATIVE[id(made[text][1])] = specc.make(spec, backend="c", out_dir=out)  # play() lock-steps it too
        return made[text]

    return build


def play(jax_env, py_env, actions: list[int], seed: int = 0) -> list[dict[str, np.ndarray]]:
    """The backends side by side (JAX jitted and eager, and C where pair() made it); the states
    after init and each step."""
    key = jax.random.PRNGKey(seed)
    keys = [jax.random.fold_in(key, t + 1) for t in range(len(actions))]
    init, step = jax.jit(jax_env.init), jax.jit(jax_env.step)
    js, es, ps = init(key), jax_env.init(key), py_env.init(np.asarray(key))
    c_env = NATIVE.get(id(py_env))
    cs = c_env.init(np.asarray(key)) if c_env is not None else None
    if cs is not None:
        same(host(cs), host(ps), "init, C")
    same(host(js), host(ps), "init")
    same(host(es), host(ps), "init, eager")
    states = [host(ps)]
    for t, (a, k) in enumerate(zip(actions, keys)):
        js, es = step(js, jnp.int32(a), k), jax_env.step(es, jnp.int32(a), k)
        ps = py_env.step(ps, a, np.asarray(k))
        if cs is not None:
            cs = c_env.step(cs, a, np.asarray(k))
            same(host(cs), host(ps), f"step {t + 1}, C")
            for p in range(jax_env.num_players):
                assert np.array_equal(c_env.observe(cs, p), np.asarray(py_env.observe(ps, p))), (t, p)
        same(host(js), host(ps), f"step {t + 1}")
        same(host(es), host(ps), f"step {t + 1}, eager")
        for p in range(jax_env.num_players):
            assert np.array_equal(np.asarray(jax_env.observe(js, p)), np.asarray(py_env.observe(ps, p)))
        states.append(host(ps))
    return states


def fault(text: str, tmp_path: Path) -> str:
    """The error message for a spec whose fault is marked by @@, checked at that place."""
    before = text[: text.index("@@")]
    line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    spec = tmp_path / "bad.yaml"
    spec.write_text(text.replace("@@", ""))
    with pytest.raises(SpecError) as err:
        load_program(spec)
    assert (err.value.pos.line, err.value.pos.column) == (line, col), str(err.value)
    return err.value.message
