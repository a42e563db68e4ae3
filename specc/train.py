"""PPO training for compiled environments, PureJaxRL-style: one jitted update function
(vmapped rollout with auto-reset in a lax.scan, GAE, minibatch epochs) called from a
Python loop that shows progress (specc.progress).

Two-player zero-sum specs train by self-play: one network plays both sides from the
mover's observation, and the advantages come from a negamax GAE (see `negamax_gae`).

    result = train("specs/tic_tac_toe.yaml", time_budget_s=600)
    result.checkpoint, result.plot, result.final_eval

`devices=N` splits the environments over N devices (specc.sharding: one jit with
shardings, the same algorithm as one device); `backend="c"` steps them in native C
(specc.train_native), the policy and the learning staying on JAX.

Reproduce the reported runs with `python -m specc.train SPEC [--seed N] [--time-budget S]`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding

from . import make
from .api import Env
from .errors import SpecError
from .policy import (
    CHECKPOINT,
    CONFIG,
    Evaluation,
    Params,
    atomic_write,
    evaluate_vs_random,
    init_params,
    logits_and_value,
    play,
    plot_curve,
    save_params,
)
from .progress import Task, task
from .sharding import (
    DATA,
    MINIBATCH,
    REPLICATED,
    check_split,
    constrain,
    data_mesh,
    place,
    replicated,
    runner_shardings,
)


@dataclass(frozen=True)
class PPOConfig:
    """PPO hyperparameters; the defaults are PureJaxRL's CartPole ones."""

    total_steps: int = 500_000  # environment steps (the time budget may stop training first)
    num_envs: int = 16
    num_steps: int = 128  # rollout length per env and update
    num_minibatches: int = 4
    update_epochs: int = 4
    learning_rate: float = 2.5e-4
    anneal_lr: bool = True  # linear to 0 over total_steps
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    # Off for self-play: once games become predictable, advantages are ~0 and normalizing
    # blows their noise up to unit scale, which swamps the entropy bonus and collapses the policy.
    normalize_advantages: bool = True
    # Self-play alone settles into a few fixed lines; a share of random moves keeps visiting
    # other positions and teaches the policy to punish blunders (such as a random player's).
    explore_eps: float = 0.0
    hidden: tuple[int, ...] = (64, 64)
    eval_every: int = 10  # updates between learning-curve points (greedy evaluation)
    eval_episodes: int = 128  # episodes per learning-curve point
    final_eval_episodes: int = 1000  # games vs random (two players) or episodes (one player)


# Self-play defaults for two-player specs, chosen by short runs on a 2-core CPU.
SELF_PLAY: dict[str, Any] = dict(
    num_envs=64, num_steps=32, hidden=(128, 128), normalize_advantages=False, explore_eps=0.2, eval_every=25
)
# Per-spec settings on top of PPOConfig (one player) or SELF_PLAY (two players).
SPEC_DEFAULTS: dict[str, dict[str, Any]] = {
    "cartpole": dict(total_steps=1_000_000, final_eval_episodes=100),
    "tic_tac_toe": dict(total_steps=2_000_000),
    "connect_four": dict(total_steps=4_000_000, eval_every=50),
    "tcg": dict(total_steps=8_000_000, num_envs=128, eval_every=50),
}


def default_config(env: Env) -> PPOConfig:
    """PPOConfig for `env`: self-play settings for two players, then the spec's own."""
    base = SELF_PLAY if env.num_players > 1 else {}
    return PPOConfig(**{**base, **SPEC_DEFAULTS.get(env.id, {})})


class Runner(NamedTuple):
    """Everything the update function carries from one call to the next."""

    params: Params
    opt_state: optax.OptState
    env_state: Any
    episode_return: jax.Array  # (num_envs,) player 0's return so far
    episode_length: jax.Array  # (num_envs,)
    key: jax.Array


class Ending(NamedTuple):
    """How each step's episode ended, each field (num_steps, num_envs, ...): kept apart from
    the Trajectory, which the minibatches shuffle, since only the GAE needs it."""

    truncated: jax.Array  # cut short by the step limit (and not terminated): the game would go on
    observation: jax.Array  # where the episode ended, its last observation (before the reset)
    player: jax.Array  # whose observation that is


class Trajectory(NamedTuple):
    """One rollout, each field (num_steps, num_envs, ...)."""

    observation: jax.Array
    mask: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array  # from the mover's side
    player: jax.Array  # the mover
    reward: jax.Array  # the mover's reward for this step
    done: jax.Array  # terminated or truncated


def negamax_gae(
    reward: jax.Array,
    value: jax.Array,
    done: jax.Array,
    player: jax.Array,
    last_value: jax.Array,
    last_player: jax.Array,
    gamma: float,
    lam: float,
    truncated: jax.Array | None = None,
    final_value: jax.Array | None = None,
    final_player: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array]:
    """GAE where each value is from its mover's side (time on axis 0).

    Where the next state's mover differs from this one's (zero-sum), the next value and
    the advantage recursion enter with a minus sign; at episode ends the recursion stops.
    A terminated episode is worth nothing after its end; a `truncated` one (cut short by
    the step limit, not terminated) would have gone on, so its step bootstraps from the
    value of its final observation (`final_value`, from `final_player`'s side) instead of
    the next episode's first. With one player this is ordinary GAE. Returns (advantages,
    value targets).
    """
    truncated = jnp.zeros_like(done) if truncated is None else truncated
    final_value = jnp.zeros_like(value) if final_value is None else final_value
    final_player = player if final_player is None else final_player

    def back(carry, step):
        next_advantage, next_value, next_player = carry
        r, v, d, p, cut, fv, fp = step
        cut = cut * d  # only where an episode ended
        bootstrap, after = cut * fv + (1.0 - d) * next_value, jnp.where(cut > 0, fp, next_player)
        delta = r + gamma * jnp.where(after == p, 1.0, -1.0) * bootstrap - v
        sign = jnp.where(next_player == p, 1.0, -1.0) * (1.0 - d)
        advantage = delta + gamma * lam * sign * next_advantage
        return (advantage, v, p), advantage

    carry = (jnp.zeros_like(last_value), last_value, last_player)
    steps = (reward, value, done.astype(jnp.float32), player, truncated.astype(jnp.float32), final_value, final_player)
    _, advantages = jax.lax.scan(back, carry, steps, reverse=True)
    return advantages, advantages + value


def sample_action(key: jax.Array, logits: jax.Array, mask: jax.Array, eps: float) -> tuple[jax.Array, jax.Array]:
    """An action from the behaviour policy and its log probability, per row of `logits`.

    The behaviour policy mixes the network's (masked) policy with a uniform random legal
    move (weight eps); its log probabilities go into the PPO ratio, whose clipping bounds
    the off-policy part. Illegal actions have probability exactly 0.
    """
    uniform = mask / mask.sum(axis=-1, keepdims=True)
    behaviour = (1 - eps) * jax.nn.softmax(jnp.where(mask, logits, -jnp.inf)) + eps * uniform
    log_behaviour = jnp.where(mask, jnp.log(behaviour), -jnp.inf)
    action = jax.random.categorical(key, log_behaviour)
    return action, jnp.take_along_axis(log_behaviour, action[..., None], axis=-1)[..., 0]


def make_update(env: Env, cfg: PPOConfig, tx: optax.GradientTransformation, mesh: Mesh | None = None):
    """update(runner, learning_rate) -> (runner, metrics): one rollout and its PPO epochs.

    With a `mesh` (see specc.sharding), the environments are split along its data axis;
    the algorithm, and every random draw, stays that of one device."""
    learn = make_learn(cfg, tx, mesh)

    def rollout_step(runner: Runner, _):
        key, act_key, env_key = jax.random.split(runner.key, 3)
        state = runner.env_state
        logits, value = logits_and_value(runner.params, state.observation, state.legal_action_mask)
        action, log_prob = sample_action(act_key, logits, state.legal_action_mask, cfg.explore_eps)
        keys = constrain(jax.random.split(env_key, cfg.num_envs), mesh, DATA)
        next_state, transition = jax.vmap(env.step_autoreset)(state, action, keys)
        next_state = constrain(next_state, mesh, DATA)
        mover = state.current_player
        reward = jnp.take_along_axis(transition.rewards, mover[:, None], axis=1)[:, 0]
        done = transition.terminated | transition.truncated
        episode_return = runner.episode_return + transition.rewards[:, 0]
        episode_length = runner.episode_length + 1
        illegal = ~jnp.take_along_axis(state.legal_action_mask, action[:, None], axis=1)[:, 0]
        info = (done, episode_return, episode_length, illegal)
        step = Trajectory(state.observation, state.legal_action_mask, action, log_prob, value, mover, reward, done)
        cut = transition.truncated & ~transition.terminated
        ending = Ending(cut, transition.observation, transition.current_player)
        runner = runner._replace(
            env_state=next_state,
            episode_return=jnp.where(done, 0.0, episode_return),
            episode_length=jnp.where(done, 0, episode_length),
            key=key,
        )
        return runner, (step, info, ending)

    def update(runner: Runner, lr: jax.Array) -> tuple[Runner, dict[str, jax.Array]]:
        runner, (traj, info, ending) = jax.lax.scan(rollout_step, runner, None, cfg.num_steps)
        return learn(runner, traj, info, ending, lr)

    return update


def make_learn(cfg: PPOConfig, tx: optax.GradientTransformation, mesh: Mesh | None = None):
    """learn(runner, traj, info, ending, lr) -> (runner, metrics): GAE and the PPO epochs of
    one rollout (each field (num_steps, num_envs, ...); info = (done, episode return and
    length so far, illegal)). Only runner.env_state's observation, legal_action_mask and
    current_player are read: where the rollout stopped, for the bootstrap value.

    The minibatches are drawn from the whole batch as on one device; with a `mesh` each is
    split along its data axis, so the mean loss's gradient is the average of the devices'."""
    batch = cfg.num_envs * cfg.num_steps
    minibatch = batch // cfg.num_minibatches

    def loss_fn(params: Params, mb: Trajectory, advantage: jax.Array, target: jax.Array):
        logits, value = logits_and_value(params, mb.observation, mb.mask)
        log_probs = jax.nn.log_softmax(logits)
        log_prob = jnp.take_along_axis(log_probs, mb.action[:, None], axis=1)[:, 0]
        ratio = jnp.exp(log_prob - mb.log_prob)
        if cfg.normalize_advantages:
            advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        policy_loss = -jnp.minimum(
            ratio * advantage, jnp.clip(ratio, 1 - cfg.clip_eps, 1 + cfg.clip_eps) * advantage
        ).mean()
        clipped = mb.value + jnp.clip(value - mb.value, -cfg.clip_eps, cfg.clip_eps)
        value_loss = 0.5 * jnp.maximum((value - target) ** 2, (clipped - target) ** 2).mean()
        # masked logits are finite (-1e9) and their probabilities exactly 0, so no NaN here
        entropy = -jnp.sum(jnp.exp(log_probs) * log_probs, axis=-1).mean()
        total = policy_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy
        approx_kl = ((ratio - 1) - (log_prob - mb.log_prob)).mean()
        return total, dict(loss=total, policy_loss=policy_loss, value_loss=value_loss, entropy=entropy, kl=approx_kl)

    def minibatch_step(carry, data):
        params, opt_state, lr = carry
        mb, advantage, target = data
        grads, stats = jax.grad(loss_fn, has_aux=True)(params, mb, advantage, target)
        updates, opt_state = tx.update(grads, opt_state, params)
        params = optax.apply_updates(params, jax.tree_util.tree_map(lambda u: -lr * u, updates))
        return (params, opt_state, lr), stats

    def learn(runner: Runner, traj: Trajectory, info: tuple, ending: Ending, lr: jax.Array):
        done, ep_return, ep_length, illegal = info
        state = runner.env_state
        _, last_value = logits_and_value(runner.params, state.observation, state.legal_action_mask)
        _, final_value = logits_and_value(runner.params, ending.observation, traj.mask)  # all steps in one batch
        advantage, target = negamax_gae(
            traj.reward, traj.value, traj.done, traj.player, last_value, state.current_player, cfg.gamma,
            cfg.gae_lambda, ending.truncated, final_value, ending.player,
        )  # fmt: skip

        def epoch(carry, key):
            flat = jax.tree_util.tree_map(lambda x: x.reshape((batch, *x.shape[2:])), (traj, advantage, target))
            order = jax.random.permutation(key, batch)
            shuffled = jax.tree_util.tree_map(
                lambda x: x[order].reshape((cfg.num_minibatches, minibatch, *x.shape[1:])), flat
            )
            shuffled = constrain(shuffled, mesh, MINIBATCH)  # each minibatch split over the devices
            return jax.lax.scan(minibatch_step, carry, shuffled)

        key, epoch_key = jax.random.split(runner.key)
        carry = (runner.params, runner.opt_state, lr)
        (params, opt_state, _), stats = jax.lax.scan(epoch, carry, jax.random.split(epoch_key, cfg.update_epochs))
        metrics = jax.tree_util.tree_map(jnp.mean, stats)
        episodes = done.sum()
        metrics.update(
            episodes=episodes,
            episode_return=jnp.where(done, ep_return, 0.0).sum() / jnp.maximum(episodes, 1),
            episode_length=jnp.where(done, ep_length, 0).sum() / jnp.maximum(episodes, 1),
            illegal_actions=illegal.sum(),
        )
        return runner._replace(params=params, opt_state=opt_state, key=key), metrics

    return learn


def sharded_update(env: Env, cfg: PPOConfig, tx: optax.GradientTransformation, runner: Runner, mesh: Mesh):
    """The update function compiled for `mesh` (environments split along its data axis, the
    rest replicated: specc.sharding) and `runner` placed on it."""
    shardings = runner_shardings(runner, mesh)
    runner = place(runner, shardings)
    same = NamedSharding(mesh, REPLICATED)
    update = jax.jit(make_update(env, cfg, tx, mesh), in_shardings=(shardings, same), out_shardings=(shardings, same),
                     donate_argnums=0)  # fmt: skip
    return update.lower(runner, replicated(mesh, np.float32(0))).compile(), runner


@dataclass
class TrainResult:
    """What `train` produced. `curve` holds (env steps, score) points, where score is the
    greedy win rate against a random player (two players) or the mean greedy return."""

    params: Params
    config: PPOConfig
    curve: list[tuple[int, float]]
    metric: str
    env_steps: int
    updates: int
    compile_s: float  # compiling the update and evaluation functions
    train_s: float  # the training loop, compile excluded (curve evaluations included)
    steps_per_s: float  # env_steps / train_s
    checkpoint: Path
    plot: Path
    final_eval: Evaluation | float | None = None  # evaluate_vs_random after training
    history: list[dict[str, float]] = field(default_factory=list)  # losses etc. at each curve point
    backend: str = "jax"  # where the rollouts ran: "jax" or "c"
    devices: int = 1  # data-parallel over this many devices

    def summary(self) -> str:
        """A few lines for people: speed, the final evaluation, where the files are."""
        lines = [f"{self.env_steps:,} env steps in {self.train_s:.1f} s ({self.steps_per_s:,.0f} PPO steps/s"
                 f" on {'C environments' if self.backend == 'c' else f'{self.devices} device(s)'})"]  # fmt: skip
        lines[0] += f", compile {self.compile_s:.1f} s"
        n, e = self.config.final_eval_episodes, self.final_eval
        if isinstance(e, Evaluation):
            lines.append(
                f"greedy vs random, {n} games: win {e.win_rate:.3f} (95% CI {e.win_ci[0]:.3f}-{e.win_ci[1]:.3f}), "
                f"draw {e.draw_rate:.3f}, loss {e.loss_rate:.3f}"
            )
        elif e is not None:
            lines.append(f"greedy mean return over {n} episodes: {e:.1f}")
        lines.append(f"checkpoint {self.checkpoint}, curve {self.plot}")
        return "\n".join(lines)


def train(
    spec: str | Path | Env,
    *,
    seed: int = 0,
    total_steps: int | None = None,
    time_budget_s: float | None = 600.0,
    out_dir: str | Path | None = None,
    config: PPOConfig | None = None,
    progress: bool = True,
    plot: str | Path | None = None,
    devices: int = 1,
    backend: str = "jax",
    threads: int = 1,
    **overrides: Any,
) -> TrainResult:
    """Train a PPO policy on a spec's JAX environment (or a made Env) and save it into `out_dir`.

    Stops after `total_steps` env steps (default: the spec's config) or `time_budget_s`
    seconds of training (compile excluded), whichever comes first; the learning rate
    anneals over total_steps, so a run is repeatable for a seed unless the budget cuts it.
    Two-player specs must be zero-sum (the negamax GAE assumes it). `overrides` replace
    fields of `config` (default: the spec's entry in SPEC_DEFAULTS), e.g. num_envs=64.
    Writes checkpoint.msgpack, config.json and curve.png into out_dir (runs/ENV_ID); `plot`:
    write the learning curve there instead of out_dir/curve.png.

    `devices`: data-parallel over that many of `jax.devices()` (specc.sharding), the same
    algorithm as one. `backend="c"`: the rollouts step the native C environments
    (specc.train_native), the policy and the learning stay on JAX (one device), each batched
    C step on `threads` cores (1 by default: PPO's batches are small, and OpenMP's waiting
    threads slow XLA's own between the steps).
    """
    from .train_native import NativeUpdate, jax_env, native_env  # (it imports this module)

    if backend not in ("jax", "c"):
        raise SpecError(f"--backend must be 'jax' or 'c', not {backend!r}")
    if backend == "c" and devices != 1:
        raise SpecError("--backend c runs on one device: --devices needs --backend jax")
    mesh = data_mesh(devices) if backend == "jax" else None  # first: a clear error before any compiling
    native = native_env(spec) if backend == "c" else None
    env = jax_env(native) if native is not None else spec if isinstance(spec, Env) else make(spec)
    if env.num_players > 2:
        raise ValueError(f"{env.id}: PPO self-play here supports one or two (zero-sum) players")
    cfg = dataclasses.replace(config or default_config(env), **overrides)
    if total_steps is not None:
        cfg = dataclasses.replace(cfg, total_steps=int(total_steps))
    out = Path(out_dir) if out_dir is not None else Path("runs") / env.id
    steps_per_update = cfg.num_envs * cfg.num_steps
    if steps_per_update % cfg.num_minibatches:
        raise ValueError("num_envs * num_steps must be a multiple of num_minibatches")
    num_updates = max(1, cfg.total_steps // steps_per_update)
    check_split(cfg.num_envs, steps_per_update // cfg.num_minibatches, devices)

    key, init_key, env_key, eval_key = jax.random.split(jax.random.PRNGKey(seed), 4)
    params = init_params(init_key, env.num_actions, env.observation_shape, cfg.hidden)
    # Adam without its learning rate: the update scales by a per-call lr for annealing.
    tx = optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm), optax.scale_by_adam(eps=1e-5))
    runner = Runner(
        params=params,
        opt_state=tx.init(params),
        env_state=None,
        episode_return=jnp.zeros(cfg.num_envs, jnp.float32),
        episode_length=jnp.zeros(cfg.num_envs, jnp.int32),
        key=key,
    )
    env_keys = jax.random.split(env_key, cfg.num_envs)
    eval_keys = jax.random.split(eval_key, cfg.eval_episodes)
    eval_first = jnp.arange(cfg.eval_episodes) % 2 == 0

    start = time.perf_counter()
    with task(f"{env.id}: compiling the PPO update and the evaluation", enabled=progress):
        if native is not None:  # the environments in C, stepped a whole batch per call
            update = NativeUpdate(native, cfg, tx, env_keys, threads)
            runner = update.start(runner)
            learning_rate: Any = jnp.float32
        else:
            update, runner = sharded_update(env, cfg, tx, runner._replace(env_state=jax.vmap(env.init)(env_keys)), mesh)
            learning_rate = functools.partial(replicated, mesh)
        play(env, params, eval_keys, eval_first)  # compiles the evaluation
    compile_s = time.perf_counter() - start

    def score(params: Params) -> float:
        returns = play(env, jax.device_get(params), eval_keys, eval_first)  # on one device
        return float(np.mean(returns > 0) if env.num_players > 1 else np.mean(returns))

    metric = "win rate vs random (greedy)" if env.num_players > 1 else "mean return (greedy)"
    curve = [(0, score(params))]
    done_updates, metrics, history = 0, {}, []
    start = time.perf_counter()
    with _progress(env.id, num_updates, progress, time_budget_s) as bar:
        while done_updates < num_updates:
            elapsed = time.perf_counter() - start
            if time_budget_s is not None and elapsed >= time_budget_s:
                break
            # annealed by steps, not time, so that a run is repeatable for a given seed
            lr = cfg.learning_rate * (1.0 - done_updates / num_updates if cfg.anneal_lr else 1.0)
            runner, metrics = update(runner, learning_rate(np.float32(lr)))
            metrics = {k: float(v) for k, v in jax.device_get(metrics).items()}
            done_updates += 1
            if not np.isfinite(metrics["loss"]):
                raise FloatingPointError(f"non-finite PPO loss at update {done_updates}: {metrics}")
            steps = done_updates * steps_per_update
            if done_updates % cfg.eval_every == 0 or done_updates == num_updates:
                curve.append((steps, score(runner.params)))
                history.append({"env_steps": steps, "score": curve[-1][1], **metrics})
            rate = steps / max(time.perf_counter() - start, 1e-9)
            bar.update(done_updates, note=_describe(steps, rate, curve[-1][1]))
    train_s = time.perf_counter() - start
    env_steps = done_updates * steps_per_update
    if curve[-1][0] != env_steps:
        curve.append((env_steps, score(runner.params)))

    params = jax.device_get(runner.params)
    with task(f"{env.id}: final evaluation, {cfg.final_eval_episodes} games", enabled=progress):
        final_eval = evaluate_vs_random(env, params, cfg.final_eval_episodes, seed=seed + 1)
    result = TrainResult(
        params=params,
        config=cfg,
        curve=curve,
        metric=metric,
        env_steps=env_steps,
        updates=done_updates,
        compile_s=compile_s,
        train_s=train_s,
        steps_per_s=env_steps / max(train_s, 1e-9),
        checkpoint=out / CHECKPOINT,
        plot=Path(plot) if plot is not None else out / "curve.png",
        final_eval=final_eval,
        history=history,
        backend=backend,
        devices=devices,
    )
    if jax.process_index() == 0:  # across machines, one process writes the files
        save(result, env, spec, seed)
    return result


def _progress(env_id: str, updates: int, enabled: bool, budget_s: float | None) -> Task:
    """The training progress (specc.progress: a bar in a terminal, plain lines otherwise);
    its ETA is the sooner of the last update and the end of the time budget."""
    return task(f"{env_id}: training", total=updates, unit="updates", enabled=enabled, limit_s=budget_s)


def _describe(steps: int, rate: float, score: float) -> str:
    return f"{steps:,} env steps, {rate:,.0f} steps/s, score {score:.3f}"


# --- saving -----------------------------------------------------------------------------


def save(result: TrainResult, env: Env, spec: str | Path | Env, seed: int) -> None:
    """checkpoint.msgpack (params), config.json and curve.png, each written atomically."""
    save_params(result.checkpoint, result.params)
    final = result.final_eval
    summary = {
        "spec": env.id if isinstance(spec, Env) else str(spec),
        "env_id": env.id,
        "num_players": env.num_players,
        "num_actions": env.num_actions,
        "observation_shape": list(env.observation_shape),
        "seed": seed,
        "ppo": dataclasses.asdict(result.config),
        "env_steps": result.env_steps,
        "updates": result.updates,
        "compile_s": result.compile_s,
        "train_s": result.train_s,
        "steps_per_s": result.steps_per_s,
        "backend": result.backend,
        "devices": result.devices,
        "metric": result.metric,
        "curve": result.curve,
        "final_eval": final._asdict() if isinstance(final, Evaluation) else {"mean_return": final},
    }
    atomic_write(result.checkpoint.parent / CONFIG, json.dumps(summary, indent=2).encode())
    write_curve(result, env.id)


def write_curve(result: TrainResult, env_id: str) -> Path:
    """The learning curve (score against env steps) as a PNG at result.plot."""
    title = f"PPO on {env_id}: {result.env_steps:,} steps in {result.train_s:.0f} s ({result.steps_per_s:,.0f}/s)"
    atomic_write(result.plot, plot_curve(result.curve, result.metric, title))
    return result.plot


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Train PPO on a spec and evaluate it.")
    parser.add_argument("spec")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--total-steps", type=int, default=None)
    parser.add_argument("--time-budget", type=float, default=600.0)
    parser.add_argument("--out", default=None)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--backend", choices=["jax", "c"], default="jax")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    r = train(args.spec, seed=args.seed, total_steps=args.total_steps, time_budget_s=args.time_budget, out_dir=args.out,
              plot=args.plot, devices=args.devices, backend=args.backend, threads=args.threads)  # fmt: skip
    print(r.summary())


if __name__ == "__main__":
    main()
