"""Lock-step rollouts: one implementation of a game checked against others, step by step.

The specc JAX backend runs every game of a batch at once (vmap inside jit); the Python
reference is stepped one game at a time with the same actions and the same keys; an
optional peer (Pgx, gymnax) runs batched too. After init and after every step the
states are compared: JAX vs Python on every field, exactly unless a tolerance is given,
and ours vs the peer on whatever the peer can be matched on (`Peer.check_*`).

Games that have ended keep being stepped on the batched sides (they absorb), but only
live steps are compared, and the Python reference is only stepped while a game is live.
The same idea, with the same pieces, can back a `specc verify` command.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from specc.api import Env

# A batched state brought to the host: field name -> array whose first axis is the game.
Batch = dict[str, np.ndarray]
# Picks one action per game from the host copy of the batch (entries for ended games are ignored).
Policy = Callable[[np.random.Generator, Batch], np.ndarray]

T = TypeVar("T")
MAX_KEPT = 20  # mismatches kept in a report (all are counted); enough to diagnose, short to print


@dataclass(frozen=True)
class Mismatch:
    """Two implementations disagree on one field of one game after `step` actions (0: init)."""

    sides: str
    game: int
    step: int
    field: str
    left: str  # the values, printed with their dtypes
    right: str

    def __str__(self) -> str:
        return f"{self.sides}: game {self.game}, step {self.step}, {self.field}: {self.left} != {self.right}"


@dataclass
class Report:
    """What a lock-step run compared, and every disagreement it found."""

    games: int = 0
    states: int = 0  # (game, step) states compared JAX vs Python, inits included
    transitions: int = 0  # live steps taken, summed over games
    unfinished: int = 0  # games still live when the horizon ran out
    lengths: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # steps per game
    final_rewards: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # on each last step
    truncated: int = 0  # games that ended by truncation
    max_abs_diff: dict[str, float] = field(default_factory=dict)  # "sides/field" -> largest float gap seen
    counts: Counter[str] = field(default_factory=Counter)  # sides -> mismatches, all counted
    mismatches: list[Mismatch] = field(default_factory=list)  # the first MAX_KEPT of each sides

    def mismatch(self, sides: str, game: int, step: int, name: str, left: Any, right: Any) -> None:
        self.counts[sides] += 1
        if self.counts[sides] <= MAX_KEPT:
            self.mismatches.append(Mismatch(sides, int(game), int(step), name, _plain(left), _plain(right)))

    def note_diff(self, sides: str, name: str, diff: float) -> None:
        key = f"{sides}/{name}"
        self.max_abs_diff[key] = max(self.max_abs_diff.get(key, 0.0), diff)

    def failures(self, prefix: str = "") -> list[Mismatch]:
        """The kept mismatches whose sides start with `prefix`."""
        return [m for m in self.mismatches if m.sides.startswith(prefix)]

    def count(self, prefix: str = "") -> int:
        """How many mismatches (kept or not) have sides starting with `prefix`."""
        return sum(n for sides, n in self.counts.items() if sides.startswith(prefix))

    def summary(self) -> str:
        lines = [
            f"{self.games} games, {self.transitions} live steps, {self.states} states compared JAX vs Python, "
            f"lengths {self.lengths.min() if self.lengths.size else 0}..{self.lengths.max(initial=0)}, "
            f"{self.truncated} truncated, {self.unfinished} unfinished, mismatches {dict(self.counts) or 0}"
        ]
        lines += [f"  max |diff| {key}: {value:.3g}" for key, value in sorted(self.max_abs_diff.items())]
        lines += [f"  {m}" for m in self.mismatches]
        return "\n".join(lines)


def _plain(value: Any) -> str:
    """A readable copy of a value for a report (arrays as lists, with their dtype)."""
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item()!r} ({array.dtype})"
    return f"{array.tolist()} ({array.dtype})"


def fields_of(state: Any) -> Batch:
    """A state dataclass as name -> numpy array, in field order."""
    return {f.name: np.asarray(getattr(state, f.name)) for f in dataclasses.fields(state)}


def to_host(state: Any) -> Batch:
    """A batched JAX state, brought to the host in one transfer."""
    return fields_of(jax.device_get(state))


def as_reference(py_env: Env, batch: Batch, game: int) -> Any:
    """Game `game` of a host batch as a Python reference state (its own copies of arrays)."""
    return py_env.State(
        **{name: np.copy(column[game]) if column.ndim > 1 else column[game] for name, column in batch.items()}
    )


def make_keys(seed: int, games: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Init keys (games, 2) and step keys (games, steps, 2): raw uint32 keys that both
    backends take as they are, so the Python side sees the very bits the JAX side does."""
    init_keys = jax.random.split(jax.random.PRNGKey(seed), games)
    step_keys = jax.vmap(lambda k: jax.vmap(lambda t: jax.random.fold_in(k, t))(jnp.arange(steps)))(init_keys)
    return np.asarray(init_keys), np.asarray(step_keys)


@functools.cache
def batched(env: Env) -> tuple[Callable[[jax.Array], Any], Callable[[Any, jax.Array, jax.Array], Any]]:
    """init and step of a JAX env over a batch of games, jitted once per env."""
    return jax.jit(jax.vmap(env.init)), jax.jit(jax.vmap(env.step))


def uniform_legal(rng: np.random.Generator, batch: Batch) -> np.ndarray:
    """A uniformly random legal action per game: the argmax of i.i.d. uniforms over the legal ones."""
    mask = batch["legal_action_mask"]
    return np.argmax(np.where(mask, rng.random(mask.shape), -1.0), axis=1).astype(np.int32)


def check_python(
    report: Report, step: int, batch: Batch, states: Sequence[Any], games: np.ndarray, atol: float = 0.0
) -> None:
    """JAX (batch) vs Python reference (one state per game) on every field: same names,
    dtypes and shapes, equal values (floats within `atol`; exactly when it is 0)."""
    for game in games:
        ref = fields_of(states[game])
        if list(ref) != list(batch):
            report.mismatch("jax vs python", game, step, "<fields>", list(batch), list(ref))
            continue
        report.states += 1
        for name, column in batch.items():
            ours, theirs = np.asarray(column[game]), ref[name]
            if ours.dtype != theirs.dtype or ours.shape != theirs.shape:
                report.mismatch("jax vs python", game, step, f"{name} dtype/shape", ours, theirs)
            elif np.issubdtype(ours.dtype, np.floating):
                diff = float(np.max(np.abs(ours - theirs), initial=0.0))
                report.note_diff("jax vs python", name, diff)
                if not (diff <= atol if atol else np.array_equal(ours, theirs)):
                    report.mismatch("jax vs python", game, step, name, ours, theirs)
            elif not np.array_equal(ours, theirs):
                report.mismatch("jax vs python", game, step, name, ours, theirs)


class Pair(NamedTuple, Generic[T]):
    """A side's state before and after one step (host copies)."""

    before: T
    after: T


class Peer(Protocol):
    """An outside implementation run batched beside ours on the same actions."""

    name: str

    def reset(self, ours: Any, keys: jax.Array) -> Any:
        """The peer's batched start, from our batched initial state and the init keys."""
        ...

    def step(self, state: Any, actions: jax.Array, keys: jax.Array) -> Any:
        """The peer's batched step."""
        ...

    def check_reset(self, report: Report, ours: Batch, peer: Any, games: np.ndarray) -> None:
        """Compare the starts (host copies) of `games`."""
        ...

    def check_step(self, report: Report, step: int, ours: Pair[Batch], theirs: Pair[Any], games: np.ndarray) -> None:
        """Compare one step of `games` (those live before it): our states and the peer's."""
        ...


def run(
    jax_env: Env,
    py_env: Env,
    *,
    games: int,
    horizon: int,
    seed: int,
    policy: Policy = uniform_legal,
    peer: Peer | None = None,
    atol: float = 0.0,
    resync: bool = False,
) -> Report:
    """Play `games` games for at most `horizon` steps on every side in lock-step; see the module doc.

    With `resync`, each Python step starts from a copy of the JAX state instead of the
    reference's own: float dynamics that amplify rounding (CartPole) then compare one
    step's arithmetic at a time instead of two trajectories drifting apart.
    """
    report = Report(games=games)
    rng = np.random.default_rng(seed)
    init_keys, step_keys = make_keys(seed, games, horizon)
    init, step = batched(jax_env)

    state = init(jnp.asarray(init_keys))
    refs = [py_env.init(key) for key in init_keys]
    batch = to_host(state)
    every = np.arange(games)
    check_python(report, 0, batch, refs, every, atol)
    peer_state = peer_host = None
    if peer is not None:
        peer_state = peer.reset(state, jnp.asarray(init_keys))
        peer_host = jax.device_get(peer_state)
        peer.check_reset(report, batch, peer_host, every)

    live = ~(batch["terminated"] | batch["truncated"])
    lengths = np.zeros(games, np.int32)
    final_rewards = np.zeros_like(batch["rewards"])
    for t in range(horizon):
        if not live.any():
            break
        games_now = np.flatnonzero(live)
        actions = np.where(live, policy(rng, batch), 0).astype(np.int32)
        state = step(state, jnp.asarray(actions), jnp.asarray(step_keys[:, t]))
        for game in games_now:  # the reference is slow; step only the live games
            ref = as_reference(py_env, batch, game) if resync else refs[game]
            refs[game] = py_env.step(ref, int(actions[game]), step_keys[game, t])
        after = to_host(state)
        check_python(report, t + 1, after, refs, games_now, atol)
        if peer is not None:
            next_state = peer.step(peer_state, jnp.asarray(actions), jnp.asarray(step_keys[:, t]))
            next_host = jax.device_get(next_state)
            peer.check_step(report, t + 1, Pair(batch, after), Pair(peer_host, next_host), games_now)
            peer_state, peer_host = next_state, next_host
        report.transitions += len(games_now)
        lengths[games_now] += 1
        batch = after
        ended = live & (batch["terminated"] | batch["truncated"])
        final_rewards[ended] = batch["rewards"][ended]
        live &= ~ended

    report.unfinished = int(live.sum())
    report.lengths = lengths
    report.final_rewards = final_rewards
    report.truncated = int(batch["truncated"].sum())
    return report


def _compare(
    report: Report, sides: str, step: int, name: str, ours: np.ndarray, theirs: np.ndarray, games: np.ndarray
) -> None:
    """Record a mismatch for each game in `games` where two batched arrays differ."""
    axes = tuple(range(1, ours.ndim))
    differ = ~np.all(ours == theirs, axis=axes) if axes else ours != theirs
    for game in games[differ[games]]:
        report.mismatch(sides, game, step, name, ours[game], theirs[game])


class PgxPeer:
    """A Pgx two-player game. Pgx may pick the other first player, so players are matched
    by who moves first: our player p is Pgx's player p ^ flip, flip = (first movers differ).
    Compared: terminated, the mover's reward and the whole reward vector, the next mover,
    and, while the game goes on, legal masks and observations (both are the mover's view).
    At a terminal state Pgx's mask is all True where ours is all False, and that is checked."""

    def __init__(self, env_id: str) -> None:
        import pgx

        env = pgx.make(env_id)  # type: ignore[arg-type]
        self.name = f"pgx {env_id}"
        self._init = jax.jit(jax.vmap(env.init))
        self._step = jax.jit(jax.vmap(env.step))

    def reset(self, ours: Any, keys: jax.Array) -> Any:
        return self._init(keys)

    def step(self, state: Any, actions: jax.Array, keys: jax.Array) -> Any:
        return self._step(state, actions, keys)

    def check_reset(self, report: Report, ours: Batch, peer: Any, games: np.ndarray) -> None:
        sides = f"jax vs {self.name}"
        for name in ("terminated", "legal_action_mask", "observation"):
            _compare(report, sides, 0, name, ours[name], np.asarray(getattr(peer, name)), games)

    def check_step(self, report: Report, step: int, ours: Pair[Batch], theirs: Pair[Any], games: np.ndarray) -> None:
        sides = f"jax vs {self.name}"
        after, peer = ours.after, theirs.after
        rows = np.arange(len(after["terminated"]))
        mover, peer_mover = ours.before["current_player"], np.asarray(theirs.before.current_player)
        flip = (mover != peer_mover).astype(np.int32)
        rewards, peer_rewards = after["rewards"], np.asarray(peer.rewards)
        _compare(report, sides, step, "terminated", after["terminated"], np.asarray(peer.terminated), games)
        _compare(report, sides, step, "mover's reward", rewards[rows, mover], peer_rewards[rows, peer_mover], games)
        players = np.arange(rewards.shape[1])
        matched = peer_rewards[rows[:, None], players[None, :] ^ flip[:, None]]
        _compare(report, sides, step, "rewards (players matched)", rewards, matched, games)
        peer_next = np.asarray(peer.current_player)
        _compare(
            report, sides, step, "current_player (players matched)", after["current_player"] ^ flip, peer_next, games
        )
        # Pgx's mask is all True once terminated, ours all False: compare while the game goes on
        ended = after["terminated"] | np.asarray(peer.terminated)
        going_on, over = games[~ended[games]], games[ended[games]]
        for name in ("legal_action_mask", "observation"):
            _compare(report, sides, step, name, after[name], np.asarray(getattr(peer, name)), going_on)
        peer_mask = np.asarray(peer.legal_action_mask)
        _compare(report, sides, step, "terminal mask (ours = not Pgx's)", after["legal_action_mask"], ~peer_mask, over)


class GymnaxStep(NamedTuple):
    """gymnax's state after a step, with what the step said about it."""

    state: Any
    reward: jax.Array
    terminated: jax.Array
    truncated: jax.Array


class GymnaxCartPole:
    """gymnax's CartPole-v1 (default params, `step_env`: no auto-reset), started from our
    initial state. Compared: x, x_dot, theta, theta_dot within `atol`, the reward, and
    termination. gymnax >= 1.0 reports the time limit apart (`is_truncated`, which, unlike
    ours, is also set on a terminal step), so we compare terminated with terminated and
    (terminated or truncated) with (terminated or truncated)."""

    FIELDS = ("x", "x_dot", "theta", "theta_dot")

    def __init__(self, atol: float) -> None:
        import gymnax
        from gymnax.environments.classic_control.cartpole import EnvState

        env, params = gymnax.make("CartPole-v1")
        self.name = "gymnax CartPole-v1"
        self.atol = atol
        self._state_type = EnvState

        def one(key: jax.Array, state: Any, action: jax.Array) -> GymnaxStep:
            _, nxt, reward, terminated, _ = env.step_env(key, state, action, params)
            return GymnaxStep(nxt, reward, terminated, env.is_truncated(nxt, params))

        self._step = jax.jit(jax.vmap(one))

    def reset(self, ours: Any, keys: jax.Array) -> Any:
        start = self._state_type(
            x=ours.x, x_dot=ours.x_dot, theta=ours.theta, theta_dot=ours.theta_dot, time=jnp.zeros_like(ours.step_count)
        )
        no = jnp.zeros_like(ours.terminated)
        return GymnaxStep(start, jnp.zeros_like(ours.x), no, no)

    def step(self, state: Any, actions: jax.Array, keys: jax.Array) -> Any:
        return self._step(keys, state.state, actions)

    def check_reset(self, report: Report, ours: Batch, peer: Any, games: np.ndarray) -> None:
        for name in self.FIELDS:  # built from ours, so equal bit for bit
            _compare(report, f"jax vs {self.name}", 0, name, ours[name], np.asarray(getattr(peer.state, name)), games)

    def check_step(self, report: Report, step: int, ours: Pair[Batch], theirs: Pair[Any], games: np.ndarray) -> None:
        sides = f"jax vs {self.name}"
        after, peer = ours.after, theirs.after
        for name in self.FIELDS:
            theirs_now = np.asarray(getattr(peer.state, name))
            gap = np.abs(after[name] - theirs_now)
            report.note_diff(sides, name, float(gap[games].max(initial=0.0)))
            for game in games[~(gap[games] <= self.atol)]:  # NaN counts as a mismatch
                report.mismatch(sides, game, step, name, after[name][game], theirs_now[game])
        terminated, truncated = np.asarray(peer.terminated), np.asarray(peer.truncated)
        _compare(report, sides, step, "terminated", after["terminated"], terminated, games)
        _compare(report, sides, step, "done", after["terminated"] | after["truncated"], terminated | truncated, games)
        _compare(report, sides, step, "reward", after["rewards"][:, 0], np.asarray(peer.reward), games)
