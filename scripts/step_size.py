"""The size of a spec's JAX step: equations in the jaxpr of `env.step`, nested ones (cond, switch,
scan bodies) included. A measure of what vmap computes per step that does not depend on the
machine's load, unlike compile or run times.

    python scripts/step_size.py specs/tcg.yaml specs/ptcgp.yaml
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp

import specc


def equations(jaxpr: jax.extend.core.Jaxpr) -> int:
    """The number of equations of a jaxpr and of every jaxpr nested in its equations' params."""
    n = 0
    for eqn in jaxpr.eqns:
        n += 1
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", None)
                if inner is not None:
                    n += equations(getattr(inner, "jaxpr", inner))
    return n


def step_size(spec: str) -> int:
    """Equations in the traced step of a spec's JAX environment."""
    env = specc.make(spec)
    key = jax.random.PRNGKey(0)
    traced = jax.make_jaxpr(env.step)(env.init(key), jnp.int32(0), key)
    return equations(traced.jaxpr)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"{path}: step jaxpr equations (nested included): {step_size(path)}")
