"""Level 3 against outside implementations (Pgx, gymnax, OpenSpiel) via small adapters.

An adapter plays the same actions as our environment and says what it can be
compared on: for board games the legal actions, the end of the game and the
mover's reward (player numbering may differ), and with Pgx the observation too where
ours has Pgx's shape and dtype (the mover's planes, so numbering does not matter);
for gymnax's physics, the state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from ..errors import SpecError
from .report import Divergence, LevelResult
from .rollouts import choose, episode_key, same, step_key


class Peer(Protocol):
    name: str

    def reset(self, ours: Any, key: Any) -> None: ...
    def step(self, action: int) -> None: ...
    def observed(self) -> dict[str, Any]: ...
    def ours(self, state: Any, mover: int | None) -> dict[str, Any]: ...
    def ended(self) -> bool: ...


def _turn_based_view(terminated: bool, mask: np.ndarray, mover_reward: float | None) -> dict[str, Any]:
    view: dict[str, Any] = {"terminated": np.bool_(terminated)}
    if not terminated:
        view["legal_action_mask"] = np.asarray(mask, bool)
    if mover_reward is not None:
        view["mover_reward"] = np.float32(mover_reward)
    return view


def _ours_turn_based(state: Any, mover: int | None) -> dict[str, Any]:
    ended = bool(state.terminated) or bool(state.truncated)
    reward = None if mover is None else float(np.asarray(state.rewards)[mover])
    return _turn_based_view(ended, np.asarray(state.legal_action_mask), reward)


class PgxPeer:
    def __init__(self, env_id: str):
        import jax
        import pgx

        self.name = f"pgx:{env_id}"
        self.env = pgx.make(env_id)
        self._init, self._step = jax.jit(self.env.init), jax.jit(self.env.step)

    def reset(self, ours: Any, key: Any) -> None:
        self.state, self.mover = self._init(key), None
        mine, theirs = np.asarray(ours.observation), np.asarray(self.state.observation)
        self.same_observation = mine.shape == theirs.shape and mine.dtype == theirs.dtype

    def step(self, action: int) -> None:
        self.mover = int(self.state.current_player)
        self.state = self._step(self.state, action)

    def ended(self) -> bool:
        return bool(self.state.terminated) or bool(self.state.truncated)

    def observed(self) -> dict[str, Any]:
        reward = None if self.mover is None else float(self.state.rewards[self.mover])
        view = _turn_based_view(self.ended(), np.asarray(self.state.legal_action_mask), reward)
        return view | ({"observation": np.asarray(self.state.observation)} if self.same_observation else {})

    def ours(self, state: Any, mover: int | None) -> dict[str, Any]:
        view = _ours_turn_based(state, mover)
        return view | ({"observation": np.asarray(state.observation)} if self.same_observation else {})


class OpenSpielPeer:
    def __init__(self, game: str):
        try:
            import pyspiel
        except ImportError:
            raise SpecError("--against openspiel needs OpenSpiel: pip install open_spiel") from None
        self.name = f"openspiel:{game}"
        self.game = pyspiel.load_game(game)

    def reset(self, ours: Any, key: Any) -> None:
        self.state, self.mover = self.game.new_initial_state(), None

    def step(self, action: int) -> None:
        self.mover = self.state.current_player()
        self.state.apply_action(action)

    def ended(self) -> bool:
        return self.state.is_terminal()

    def observed(self) -> dict[str, Any]:
        mask = np.zeros(self.game.num_distinct_actions(), bool)
        if not self.ended():
            mask[self.state.legal_actions()] = True
        reward = None if self.mover is None else float(self.state.rewards()[self.mover])
        return _turn_based_view(self.ended(), mask, reward)

    ours = staticmethod(_ours_turn_based)


class GymnaxPeer:
    """Starts from our initial state; compares every state field both have (time <-> step_count)."""

    def __init__(self, env_id: str):
        import gymnax
        import jax

        self.name = f"gymnax:{env_id}"
        self.env, self.params = gymnax.make(env_id)
        self._step = jax.jit(self.env.step_env)
        _, probe = self.env.reset_env(jax.random.PRNGKey(0), self.params)
        self.fields = [f for f in vars(probe) if f != "time"]
        self.state_type = type(probe)

    def reset(self, ours: Any, key: Any) -> None:
        import jax.numpy as jnp

        missing = [f for f in self.fields if not hasattr(ours, f)]
        if missing:
            raise SpecError(f"{self.name} has state fields the spec lacks: {', '.join(missing)}")
        values = {f: jnp.asarray(getattr(ours, f)) for f in self.fields}
        self.state = self.state_type(**values, time=int(ours.step_count))
        self.done, self.key = False, key

    def step(self, action: int) -> None:
        _, self.state, _, done, _ = self._step(self.key, self.state, action, self.params)
        truncated = getattr(self.env, "is_truncated", None)  # gymnax >= 1.0 reports the time limit apart
        self.done = bool(done) or (truncated is not None and bool(truncated(self.state, self.params)))

    def ended(self) -> bool:
        return self.done

    def observed(self) -> dict[str, Any]:
        view = {f: np.asarray(getattr(self.state, f)) for f in self.fields}
        return view | {"done": np.bool_(self.done)}

    def ours(self, state: Any, mover: int | None) -> dict[str, Any]:
        view = {f: np.asarray(getattr(state, f)) for f in self.fields}
        return view | {"done": np.bool_(bool(state.terminated) or bool(state.truncated))}


def make_peer(against: str) -> Peer:
    kind, _, ident = against.partition(":")
    if not ident:
        raise SpecError(f"--against takes pgx:ID, gymnax:ID or openspiel:ID, got {against!r}")
    try:
        factory = {"pgx": PgxPeer, "gymnax": GymnaxPeer, "openspiel": OpenSpielPeer}[kind]
    except KeyError:
        raise SpecError(f"--against takes pgx:ID, gymnax:ID or openspiel:ID, got {against!r}") from None
    try:
        return factory(ident)
    except ImportError as err:
        raise SpecError(f"--against {kind} needs the {kind} package ({err})") from None


def lockstep_peer(module: ModuleType, against: str, episodes: int, seed: int = 0, max_steps: int = 10_000,
                  replay: Callable[[int, int, list[int]], str] = lambda s, e, a: "",
                  tolerance: float = 1e-5, peer: Peer | None = None) -> LevelResult:  # fmt: skip
    """Our JAX backend and a peer, same actions (level 3's), compared after every step.
    `peer`: one already made for `against` (making one compiles it, so callers may reuse it)."""
    import jax

    peer = peer or make_peer(against)
    result = LevelResult(3, f"rollouts vs {peer.name}")
    start = time.perf_counter()
    init, step = jax.jit(module.init), jax.jit(module.step)
    steps = 0
    for e in range(episodes):
        key = episode_key(seed, e)
        rng = np.random.default_rng([seed, e])
        ours, mover, actions = init(key), None, []
        peer.reset(ours, key)
        for t in range(max_steps + 1):
            mine, theirs = peer.ours(ours, mover), peer.observed()
            keys = [k for k in theirs if k in mine] + [k for k in (set(mine) ^ set(theirs))]
            bad = [k for k in keys if k not in mine or k not in theirs or not same(mine[k], theirs[k], tolerance)]
            result.record(not bad, f"episode {e} step {t}: {', '.join(bad)}")
            if bad:
                if result.divergence is None:
                    k = bad[0]
                    result.divergence = Divergence(
                        "specc-jax",
                        peer.name,
                        e,
                        t,
                        k,
                        mine.get(k),
                        theirs.get(k),
                        seed,
                        actions,
                        replay(seed, e, actions),
                    )
                break
            if peer.ended() or bool(ours.terminated) or bool(ours.truncated) or t == max_steps:
                break
            action = choose(rng, np.asarray(ours.legal_action_mask))
            mover = int(ours.current_player)
            ours = step(ours, action, step_key(key, t))
            peer.step(action)
            actions.append(action)
            steps += 1
    result.seconds = time.perf_counter() - start
    result.details = {"episodes": episodes, "steps": steps, "peer": peer.name}
    return result
