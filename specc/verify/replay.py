"""`specc replay`: one (seed, episode, actions) case on two backends, step by step."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpecError
from .rollouts import compared_names, replay_backends, same, tolerances, value_of


class Jitted:
    """A JAX module with init, step and observe under jax.jit, as level 3 runs them: XLA fuses
    multiply-adds only when it compiles, so an eager replay could miss a gap level 3 saw.
    Everything else (FIELDS, constants) is the module's."""

    def __init__(self, module: Any):
        import jax

        self.module = module
        self.init, self.step = jax.jit(module.init), jax.jit(module.step)
        self.observe = jax.jit(module.observe, static_argnums=1)  # the id as a Python int, as level 3

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)


def replay(spec: str, seed: int, episode: int, actions: list[int], against: str | None = None,
           generated: str | None = None, backends: list[str] | None = None) -> int:  # fmt: skip
    """Print each step's action and any field where two backends (`backends`, default jax
    and python) or the peer differ. Exit status 1 if they differ anywhere. `generated`: as
    for `specc verify --generated`."""
    from pathlib import Path

    from . import backend_modules, environments
    from .sides import SIDE_NAMES

    pair = backends or ["jax", "python"]
    if len(pair) != 2:
        raise SpecError(f"specc replay compares two backends; --backends names {','.join(pair)}")
    env, ref = environments(spec, generated)
    modules, _ = backend_modules(pair, env, ref, Path(env.module.__file__).parent)
    left, right = (Jitted(modules[b]) if b == "jax" else modules[b] for b in pair)
    labels = [SIDE_NAMES[b] + ":" for b in pair]
    width = max(map(len, labels))
    names, tol = compared_names(env.module), tolerances(env.module)  # fields and every player's view
    differs = False
    for t, js, ps in replay_backends(left, right, seed, episode, actions):
        label = "init" if t == 0 else f"step {t} (action {actions[t - 1]})"
        pairs = {n: (value_of(left, js, n), value_of(right, ps, n)) for n in names}
        bad = [n for n, (a, b) in pairs.items() if not same(a, b, tol.get(n))]
        if bad:
            differs = True
            print(f"{label}: backends differ on {', '.join(bad)}")
            for n in bad:
                print(f"  {n}:")
                print(f"    {labels[0]:<{width}} {pairs[n][0].tolist()}")
                print(f"    {labels[1]:<{width}} {pairs[n][1].tolist()}")
        else:
            print(
                f"{label}: backends agree (terminated={bool(ps.terminated)}, rewards={np.asarray(ps.rewards).tolist()})"
            )
    if against:
        from ..loader import load
        from .peers import chance_cells, make_peer
        from .rollouts import episode_key, step_key

        peer = make_peer(against, chance_cells(*load(spec), against))
        key = episode_key(seed, episode)
        ours = env.module.init(key)
        peer.reset(ours, key)
        mover = None
        for t in range(len(actions) + 1):
            mine, theirs = peer.ours(ours, mover), peer.observed()
            bad = [
                k
                for k in sorted(set(mine) | set(theirs))
                if k not in mine or k not in theirs or not same(mine[k], theirs[k], 1e-5)
            ]
            if bad:
                differs = True
                print(f"vs {peer.name} at step {t}: differ on {', '.join(bad)}: ours {mine}, theirs {theirs}")
                break
            if t == len(actions):
                print(f"vs {peer.name}: agree on all {len(actions)} steps")
                break
            mover = int(ours.current_player)
            ours = env.module.step(ours, actions[t], step_key(key, t))
            peer.step(actions[t], ours)
    return 1 if differs else 0
