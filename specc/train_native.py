"""PPO with the environments in C: `specc train --backend c`.

The rollout alternates two calls per step, with no Python per environment: the policy on
JAX (one jitted call for the whole batch: logits, the sampled actions, their log
probabilities, the values and the next keys) and the batched auto-reset step of the native
C environments (`specc_step_autoreset_batch`, over all cores), on NumPy arrays. The
rollout is gathered in NumPy buffers and learned from by the very function the all-JAX
trainer uses (train.make_learn): GAE and the PPO epochs, jitted.

The keys are drawn exactly as the all-JAX trainer draws them, and the C backend is
bit-identical to the JAX one, so both trainers see the same episodes for a seed (up to
the float rounding of the network, which XLA may fuse differently inside the rollout scan).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import make
from .api import Env, _import
from .policy import Params, logits_and_value
from .train import Ending, PPOConfig, Runner, Trajectory, make_learn, sample_action


class Observed(NamedTuple):
    """What the learner reads of the environments where a rollout stopped."""

    observation: Any
    legal_action_mask: Any
    current_player: Any


def native_env(spec: str | Path | Env) -> Env:
    """The spec's C environment (a spec file, or a made Env of any backend)."""
    if not isinstance(spec, Env):
        return make(spec, backend="c")
    if spec.backend == "c":
        return spec
    from .native import load

    folder = Path(spec.module.__file__).parent
    return Env(load(folder / "native.c", _import(folder / "reference.py", "reference")), "c")


def jax_env(env: Env) -> Env:
    """The JAX environment generated beside a made Env (for evaluating the policy)."""
    if env.backend == "jax":
        return env
    return Env(_import(Path(env.module.__file__).parent / "env.py", "env"), "jax")


def _act(cfg: PPOConfig, params: Params, key: jax.Array, observation: jax.Array, mask: jax.Array):
    """One rollout step's policy, drawn as train.make_update's rollout_step draws it."""
    key, act_key, env_key = jax.random.split(key, 3)
    logits, value = logits_and_value(params, observation, mask)
    action, log_prob = sample_action(act_key, logits, mask, cfg.explore_eps)
    return key, action.astype(jnp.int32), log_prob, value, jax.random.split(env_key, cfg.num_envs)


class NativeUpdate:
    """update(runner, learning_rate) -> (runner, metrics), as train.make_update's, with the
    environments (and the episode counters) kept here in C and NumPy."""

    def __init__(self, env: Env, cfg: PPOConfig, tx: optax.GradientTransformation, env_keys: jax.Array,
                 threads: int | None = 1):  # fmt: skip
        self.env, self.cfg, self.threads = env, cfg, threads
        n, t, module = cfg.num_envs, cfg.num_steps, env.module
        self.states = env.init_batch(np.asarray(env_keys), threads)  # the same episodes as vmap(init)
        self.episode_return = np.zeros(n, np.float32)
        self.episode_length = np.zeros(n, np.int32)
        obs = (t, n, *module.OBSERVATION_SHAPE)
        self.traj = Trajectory(
            np.zeros(obs, module.OBSERVATION_DTYPE), np.zeros((t, n, module.NUM_ACTIONS), np.bool_),
            np.zeros((t, n), np.int32), np.zeros((t, n), np.float32), np.zeros((t, n), np.float32),
            np.zeros((t, n), np.int32), np.zeros((t, n), np.float32), np.zeros((t, n), np.bool_),
        )  # fmt: skip
        self.info = (np.zeros((t, n), np.bool_), np.zeros((t, n), np.float32), np.zeros((t, n), np.int32),
                     np.zeros((t, n), np.bool_))  # fmt: skip
        self.ending = Ending(
            np.zeros((t, n), np.bool_), np.zeros(obs, module.OBSERVATION_DTYPE), np.zeros((t, n), np.int32)
        )
        self._act = jax.jit(lambda *args: _act(cfg, *args))
        self._learn = jax.jit(make_learn(cfg, tx), donate_argnums=0)
        self._rows = np.arange(n)

    def observed(self) -> Observed:
        """The environments' current observations, masks and movers (contiguous copies)."""
        s = self.states
        return Observed(*(np.ascontiguousarray(s[f]) for f in Observed._fields))

    def start(self, runner: Runner) -> Runner:
        """The runner with the C environments' view, both jitted functions compiled."""
        runner = runner._replace(env_state=self.observed())
        first = runner.env_state
        self._act = self._act.lower(runner.params, runner.key, first.observation, first.legal_action_mask).compile()
        lr = jnp.float32(0)
        self._learn = self._learn.lower(runner, self.traj, self.info, self.ending, lr).compile()
        return runner

    def __call__(self, runner: Runner, lr: jax.Array) -> tuple[Runner, dict[str, jax.Array]]:
        traj, (done, ep_return, ep_length, illegal), ending = self.traj, self.info, self.ending
        key, rows = runner.key, self._rows
        for t in range(self.cfg.num_steps):
            traj.observation[t] = self.states["observation"]
            traj.mask[t] = self.states["legal_action_mask"]
            traj.player[t] = self.states["current_player"]
            mover = traj.player[t]  # a copy: the step below changes the states in place
            key, action, log_prob, value, keys = self._act(runner.params, key, traj.observation[t], traj.mask[t])
            action = np.asarray(action)
            traj.action[t], traj.log_prob[t], traj.value[t] = action, log_prob, value
            step = self.env.step_autoreset_batch(self.states, action, np.asarray(keys), self.threads)
            traj.reward[t] = step.rewards[rows, mover]
            traj.done[t] = done[t] = step.terminated | step.truncated
            self.episode_return += step.rewards[:, 0]
            self.episode_length += 1
            ep_return[t], ep_length[t] = self.episode_return, self.episode_length
            illegal[t] = ~traj.mask[t][rows, action]
            ending.truncated[t] = step.truncated & ~step.terminated
            ending.observation[t], ending.player[t] = step.observation, step.current_player
            self.episode_return[done[t]] = 0.0
            self.episode_length[done[t]] = 0
        runner = runner._replace(env_state=self.observed(), key=key)
        return self._learn(runner, traj, self.info, ending, lr)
