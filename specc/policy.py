"""The PPO policy network, its checkpoint files and plots, and evaluation helpers.

The network is an actor-critic MLP whose shape is read back from its parameters, so a
checkpoint alone (a msgpack of params) is enough to act: `greedy_action(params, obs, mask)`.

Evaluation plays greedy (argmax) actions. In two-player games the policy meets a uniform
random legal player and takes the first seat in even episodes, the second in odd ones.
Episodes are driven by keys alone, so the JAX backend (all episodes at once) and the
Python reference (one game at a time) play the same games for the same seeds (up to the
last bit of float dynamics; see `evaluate_returns`).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import flax.linen as nn
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np

from .api import Env
from .errors import SpecError

Params = Any  # flax variables: {"params": {"actor_0": ..., "critic_out": ...}}
ILLEGAL_LOGIT = -1e9  # finite, so masked entropies stay 0 * -1e9 = 0 rather than NaN
CHECKPOINT = "checkpoint.msgpack"
CONFIG = "config.json"


class ActorCritic(nn.Module):
    """Separate actor and critic MLP towers (tanh, orthogonal init as in PureJaxRL)."""

    num_actions: int
    hidden: Sequence[int] = (64, 64)

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        def tower(name: str, out: int, out_scale: float) -> jax.Array:
            h = x
            for i, width in enumerate(self.hidden):
                dense = nn.Dense(width, kernel_init=nn.initializers.orthogonal(math.sqrt(2)), name=f"{name}_{i}")
                h = nn.tanh(dense(h))
            return nn.Dense(out, kernel_init=nn.initializers.orthogonal(out_scale), name=f"{name}_out")(h)

        logits = tower("actor", self.num_actions, 0.01)  # near-uniform policy at the start
        value = tower("critic", 1, 1.0)[..., 0]
        return logits, value


def init_params(key: jax.Array, num_actions: int, observation_shape: Sequence[int], hidden: Sequence[int]) -> Params:
    features = int(np.prod(observation_shape))
    return ActorCritic(num_actions, tuple(hidden)).init(key, jnp.zeros((1, features), jnp.float32))


def network_of(params: Params) -> ActorCritic:
    """The module that `params` belong to, from the shapes of its kernels."""
    layers = params["params"]
    hidden = []
    while f"actor_{len(hidden)}" in layers:
        hidden.append(layers[f"actor_{len(hidden)}"]["kernel"].shape[1])
    return ActorCritic(layers["actor_out"]["kernel"].shape[1], tuple(hidden))


def logits_and_value(params: Params, observation: jax.Array, mask: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Masked logits and value for observations whose batch shape is `mask.shape[:-1]`."""
    batch = mask.shape[:-1]
    x = jnp.reshape(observation, (*batch, -1)).astype(jnp.float32)
    logits, value = network_of(params).apply(params, x)
    return jnp.where(mask, logits, ILLEGAL_LOGIT), value


@jax.jit
def _greedy(params: Params, observation: jax.Array, mask: jax.Array) -> jax.Array:
    return jnp.argmax(logits_and_value(params, observation, mask)[0], axis=-1)


def greedy_action(params: Params, observation: Any, mask: Any) -> jax.Array:
    """The most likely legal action; one observation or a batch (the leading axes of mask)."""
    return _greedy(params, jnp.asarray(observation), jnp.asarray(mask, jnp.bool_))


def random_legal_action(key: jax.Array, mask: jax.Array) -> jax.Array:
    """A uniform random legal action (the opponent in evaluation), by integer ops only so
    that jitted, batched and single calls agree exactly."""
    k = jax.random.randint(key, (), 0, jnp.sum(mask))
    return jnp.argmax(jnp.cumsum(mask) > k)


_random_legal = jax.jit(random_legal_action)
_random_legal_batch = jax.jit(jax.vmap(random_legal_action))


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`: readers see
    the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_params(path: str | Path, params: Params) -> None:
    """Params as msgpack (flax.serialization), written atomically."""
    atomic_write(Path(path), flax.serialization.to_bytes(params))


def plot_curve(curve: Sequence[tuple[int, float]], ylabel: str, title: str) -> bytes:
    """A learning curve (env steps, score) as PNG bytes (matplotlib's Agg backend, no display)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    steps, scores = zip(*curve, strict=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, scores, marker=".")
    ax.set(xlabel="environment steps", ylabel=ylabel, title=title)
    ax.xaxis.set_major_formatter(matplotlib.ticker.EngFormatter(sep=""))  # 200k, 1.2M: no "1e6" offset
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def load_policy(checkpoint: str | Path, env: Env | None = None) -> Params:
    """The params saved by `specc.train.train`: its checkpoint file or its out folder.
    With `env`, the network must fit its observations and actions (else a SpecError)."""
    path = Path(checkpoint)
    if path.is_dir():
        path = path / CHECKPOINT
    data = path.read_bytes()
    try:
        params = jax.tree_util.tree_map(jnp.asarray, flax.serialization.msgpack_restore(data))
        network_of(params)
    except Exception:  # msgpack and flax raise many kinds: any of them means "not a checkpoint"
        raise SpecError(f"{path}: not a policy checkpoint written by `specc train`") from None
    if env is not None:
        layers = params["params"]
        inputs = layers["actor_0" if "actor_0" in layers else "actor_out"]["kernel"].shape[0]
        actions = layers["actor_out"]["kernel"].shape[1]
        features = int(np.prod(env.observation_shape))
        if (inputs, actions) != (features, env.num_actions):
            raise SpecError(f"{path}: a policy for {inputs} observation features and {actions} actions; "
                            f"{env.id} has {features} and {env.num_actions}")  # fmt: skip
    return params


def load_config(checkpoint: str | Path) -> dict[str, Any]:
    """The JSON written next to a checkpoint (spec, hyperparameters, results)."""
    path = Path(checkpoint)
    return json.loads(((path if path.is_dir() else path.parent) / CONFIG).read_text())


# --- episodes driven by keys, on either backend -------------------------------------------


def _episode_keys(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    init_key, step_key, opponent_key = jax.random.split(key, 3)
    return init_key, step_key, opponent_key


def _play_batch(env: Env, params: Params, keys: jax.Array, first: jax.Array) -> jax.Array:
    """Greedy agent returns of a batch of episodes, all at once (JAX backend, jittable)."""
    init_keys, step_keys, opponent_keys = jax.vmap(_episode_keys)(keys)
    state = jax.vmap(env.init)(init_keys)
    players = env.num_players
    agent = jnp.where(first, state.current_player, (state.current_player + 1) % players)
    fold = jax.vmap(jax.random.fold_in, in_axes=(0, None))

    def live(carry):
        state, _, _ = carry
        return jnp.any(~(state.terminated | state.truncated))

    def body(carry):
        state, t, returns = carry
        action = _greedy(params, state.observation, state.legal_action_mask)
        if players > 1:
            other = _random_legal_batch(fold(opponent_keys, t), state.legal_action_mask)
            action = jnp.where(state.current_player == agent, action, other)
        state = jax.vmap(env.step)(state, action, fold(step_keys, t))
        reward = jnp.take_along_axis(state.rewards, agent[:, None], axis=1)[:, 0]
        return state, t + 1, returns + reward

    _, _, returns = jax.lax.while_loop(live, body, (state, jnp.int32(0), jnp.zeros(keys.shape[0], jnp.float32)))
    return returns


_play_jit = jax.jit(_play_batch, static_argnums=0)


def _play_python(env: Env, params: Params, key: jax.Array, first: bool) -> float:
    """The same episode as `_play_batch`, one step at a time on any backend."""
    init_key, step_key, opponent_key = _episode_keys(key)
    state = env.init(init_key)
    agent = int(state.current_player) if first else (int(state.current_player) + 1) % env.num_players
    total, t = 0.0, 0
    while not (bool(state.terminated) or bool(state.truncated)):
        mask = np.asarray(state.legal_action_mask)
        if int(state.current_player) == agent:
            action = int(_greedy(params, np.asarray(state.observation), mask))
        else:
            action = int(_random_legal(jax.random.fold_in(opponent_key, t), mask))
        state = env.step(state, action, jax.random.fold_in(step_key, t))
        total += float(np.float32(state.rewards[agent]))
        t += 1
    return total


def play(env: Env, params: Params, keys: jax.Array, first: Sequence[bool]) -> np.ndarray:
    """The greedy agent's return in each episode (episode i from keys[i], agent seat first[i]):
    all at once, jitted, on the JAX backend; one game at a time on the others."""
    if env.backend == "jax":
        return np.asarray(_play_jit(env, params, keys, jnp.asarray(first, jnp.bool_)))
    return np.array([_play_python(env, params, k, bool(f)) for k, f in zip(keys, first, strict=True)], np.float32)


def evaluate_returns(env: Env, params: Params, seeds: Sequence[int]) -> list[float]:
    """The greedy agent's return per seed, the same on the jax and python backends.

    Episode keys are PRNGKey(seed); in two-player games the agent moves first for even
    seeds and meets a uniform random legal player (drawn by integer ops, so exactly the
    same moves on both backends). Discrete games match exactly. Float dynamics do not
    quite: XLA's sin/cos differ from NumPy's in the last bit for a few % of arguments (and
    jit fuses a * b + c into an FMA), and CartPole amplifies such an ulp until, after a
    hundred steps or more, a greedy action can flip; returns still agree whenever both
    runs balance to the 500-step limit or fail before the gap grows.
    """
    keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
    return [float(r) for r in play(env, params, keys, [s % 2 == 0 for s in seeds])]


class Evaluation(NamedTuple):
    """Outcomes of the greedy policy against a uniform random player; draws are non-wins."""

    win_rate: float
    draw_rate: float
    loss_rate: float
    win_ci: tuple[float, float]  # Wilson 95% interval of the win rate


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def evaluate_vs_random(env: Env, params: Params, episodes: int = 1000, seed: int = 0) -> Evaluation | float:
    """Greedy policy against a uniform random legal player, half the games in each seat.

    For one-player specs there is no opponent: the mean greedy return over `episodes`.
    """
    keys = jax.random.split(jax.random.PRNGKey(seed), episodes)
    returns = play(env, params, keys, np.arange(episodes) % 2 == 0)
    if env.num_players == 1:
        return float(np.mean(returns))
    wins, draws = int(np.sum(returns > 0)), int(np.sum(returns == 0))
    losses = episodes - wins - draws
    return Evaluation(wins / episodes, draws / episodes, losses / episodes, wilson_interval(wins, episodes))
