"""Level 3 against outside implementations (Pgx, gymnax, OpenSpiel) via small adapters.

An adapter plays the same actions as our environment and says what it can be
compared on: for board games the legal actions, the end of the game and the
mover's reward (player numbering may differ), and with Pgx the observation too where
ours has Pgx's shape and dtype (the mover's planes, so numbering does not matter);
for gymnax's physics, the state.

Chance: Pgx and gymnax take our key; OpenSpiel has chance nodes instead, and the spec says
how its own draws map onto them: `peers: {"openspiel:ID": {chance: ["card[0]", "card[1]"]}}`
lists state cells that, read in order, are the peer's successive chance actions. Each time
the peer stands at a chance node (after init or after a step) the next cell is read from
our state as it is then; a value the peer does not allow there is a divergence on "chance".
"""

from __future__ import annotations

import re
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
    def step(self, action: int, ours: Any) -> None: ...  # ours: our state after the same step
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
        self.env = peer_env(self.name, lambda: pgx.make(env_id))
        self._init, self._step = jax.jit(self.env.init), jax.jit(self.env.step)

    def reset(self, ours: Any, key: Any) -> None:
        self.state, self.mover = self._init(key), None
        mine, theirs = np.asarray(ours.observation), np.asarray(self.state.observation)
        self.same_observation = mine.shape == theirs.shape and mine.dtype == theirs.dtype

    def step(self, action: int, ours: Any) -> None:
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


Cell = tuple[str, tuple[int, ...]]  # a state field and an index into it


class OpenSpielPeer:
    """`chance`: the state cells read, in order, as OpenSpiel's chance actions (see above)."""

    def __init__(self, game: str, chance: list[Cell] | None = None):
        try:
            import pyspiel
        except ImportError:
            raise SpecError("--against openspiel needs OpenSpiel: pip install open_spiel") from None
        self.name = f"openspiel:{game}"
        if game.partition("(")[0] not in pyspiel.registered_names():  # load_game would print every name it has
            raise SpecError(f"{self.name}: openspiel has no game {game!r}")
        self.game = peer_env(self.name, lambda: pyspiel.load_game(game))
        self.chance = list(chance or [])

    def reset(self, ours: Any, key: Any) -> None:
        self.state, self.mover, self.reward = self.game.new_initial_state(), None, 0.0
        self.dealt, self.refused = 0, None
        self._deal(ours)

    def step(self, action: int, ours: Any) -> None:
        self.mover = self.state.current_player()
        self.state.apply_action(action)
        self.reward = self.state.rewards()[self.mover]
        self._deal(ours)

    def _deal(self, ours: Any) -> None:
        """Play the peer's chance nodes with the outcomes our state shows (the mover's
        reward summed over them, in case a chance move pays)."""
        while self.state.is_chance_node() and self.refused is None:
            if self.dealt == len(self.chance):
                raise SpecError(
                    f"{self.name} reaches chance node {self.dealt + 1} but the spec's peers.{self.name}.chance "
                    f"lists {len(self.chance)} cell(s): name the state cell holding each chance outcome, in order"
                )
            name, index = self.chance[self.dealt]
            outcome = int(np.asarray(getattr(ours, name))[index])
            allowed = [a for a, _ in self.state.chance_outcomes()]
            if outcome not in allowed:
                self.refused = (outcome, allowed)  # reported as a divergence on "chance"
                break
            self.dealt += 1
            self.state.apply_action(outcome)
            if self.mover is not None:
                self.reward += self.state.rewards()[self.mover]

    def ended(self) -> bool:
        return self.state.is_terminal() or self.refused is not None

    def observed(self) -> dict[str, Any]:
        if self.refused is not None:
            return {"chance": np.asarray(self.refused[1], np.int64)}  # the outcomes OpenSpiel allows
        mask = np.zeros(self.game.num_distinct_actions(), bool)
        if not self.state.is_terminal():
            mask[self.state.legal_actions()] = True
        reward = None if self.mover is None else float(self.reward)
        return _turn_based_view(self.state.is_terminal(), mask, reward)

    def ours(self, state: Any, mover: int | None) -> dict[str, Any]:
        if self.refused is not None:
            return {"chance": np.int64(self.refused[0])}  # the outcome our state dealt
        return _ours_turn_based(state, mover)


_CELL = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:\[([-\d\s,]+)\])?\s*")


def chance_cells(spec: Any, source: Any, program: Any, against: str) -> list[Cell]:
    """The spec's `peers.<against>.chance` entries, each a field or a field indexed by
    whole numbers ("card[1]", "deck[0, 3]"), checked against the state's fields."""
    peer = spec.peers.get(against)
    if peer is None:
        return []
    shapes = {f.name: f.type.shape for f in program.fields}
    cells = []
    for i, text in enumerate(peer.chance):
        pos = source.pos(("peers", against, "chance", i))
        m = _CELL.fullmatch(text)
        try:
            index = tuple(int(n) for n in m.group(2).split(",")) if m and m.group(2) else ()
        except ValueError:
            m = None
        if m is None:
            raise SpecError(f"a chance cell is a state field, indexed by whole numbers: {text!r}", pos)
        name = m.group(1)
        if name not in shapes:
            raise SpecError(f"{name!r} is no state field (chance cells name the state: {', '.join(shapes)})", pos)
        shape = shapes[name]
        if len(index) != len(shape) or not all(0 <= n < s for n, s in zip(index, shape)):
            raise SpecError(f"{text!r}: {name} has shape {list(shape)}, so a cell takes {len(shape)} index(es) "
                            f"within it", pos)  # fmt: skip
        cells.append((name, index))
    return cells


class GymnaxPeer:
    """Starts from our initial state; compares every state field both have (time <-> step_count)."""

    def __init__(self, env_id: str):
        import gymnax
        import jax

        self.name = f"gymnax:{env_id}"
        self.env, self.params = peer_env(self.name, lambda: gymnax.make(env_id))
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

    def step(self, action: int, ours: Any) -> None:
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


def peer_env(name: str, make: Callable[[], Any]) -> Any:
    """make(), where an unknown id (each library raises its own error, some listing every
    game they have) becomes one line naming it."""
    try:
        return make()
    except ImportError:
        raise
    except Exception:
        kind, _, ident = name.partition(":")
        raise SpecError(f"{name}: {kind} has no environment {ident!r}") from None


def make_peer(against: str, chance: list[Cell] | None = None) -> Peer:
    """The adapter for `against` (pgx:ID, gymnax:ID or openspiel:ID); `chance` as from chance_cells."""
    kind, _, ident = against.partition(":")
    if not ident:
        raise SpecError(f"--against takes pgx:ID, gymnax:ID or openspiel:ID, got {against!r}")
    try:
        factory = {"pgx": PgxPeer, "gymnax": GymnaxPeer, "openspiel": OpenSpielPeer}[kind]
    except KeyError:
        raise SpecError(f"--against takes pgx:ID, gymnax:ID or openspiel:ID, got {against!r}") from None
    try:
        return factory(ident, chance) if kind == "openspiel" else factory(ident)
    except ImportError as err:
        raise SpecError(f"--against {kind} needs the {kind} package ({err})") from None


def lockstep_peer(module: ModuleType, against: str, episodes: int, seed: int = 0, max_steps: int = 10_000,
                  replay: Callable[[int, int, list[int]], str] = lambda s, e, a: "",
                  tolerance: float = 1e-5, peer: Peer | None = None,
                  chance: list[Cell] | None = None) -> LevelResult:  # fmt: skip
    """Our JAX backend and a peer, same actions (level 3's), compared after every step.
    `peer`: one already made for `against` (making one compiles it, so callers may reuse it);
    `chance`: the spec's chance cells for it (chance_cells)."""
    import jax

    peer = peer or make_peer(against, chance)
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
            peer.step(action, ours)
            actions.append(action)
            steps += 1
    result.seconds = time.perf_counter() - start
    result.details = {"episodes": episodes, "steps": steps, "peer": peer.name}
    return result
