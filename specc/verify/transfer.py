"""Level 4: policy transfer. A PPO policy trained on the JAX backend must score the
same on the Python backend (identical seeds, identical returns), beat a random
player, and, against an outside implementation, be equivalent by a TOST test over
several training seeds (alpha 0.05, both directions), the criterion the research used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from .peers import peer_env
from .report import LevelResult


def tost(differences: list[float], margin: float, alpha: float = 0.05) -> tuple[bool, float]:
    """Two one-sided t-tests that the mean difference lies within (-margin, +margin).
    Returns (equivalent, p) where p is the larger of the two one-sided p-values."""
    from scipy import stats

    d = np.asarray(differences, np.float64)
    n = len(d)
    if n < 2:
        return False, 1.0
    se = d.std(ddof=1) / np.sqrt(n)
    if se == 0.0:  # identical every time: equivalent iff the difference is inside the margin
        inside = abs(float(d.mean())) < margin
        return inside, 0.0 if inside else 1.0
    p_low = 1.0 - stats.t.cdf((d.mean() + margin) / se, n - 1)  # H0: mean <= -margin
    p_high = stats.t.cdf((d.mean() - margin) / se, n - 1)  # H0: mean >= +margin
    p = float(max(p_low, p_high))
    return p < alpha, p


def peer_returns(against: str, params: Any, seeds: list[int]) -> list[float]:
    """The greedy policy's return on an outside implementation (same seat rule as ours:
    first for even seeds, against a uniform random legal player)."""
    import jax

    from ..policy import greedy_action

    kind, _, ident = against.partition(":")
    out = []
    if kind == "pgx":
        import pgx

        env = peer_env(against, lambda: pgx.make(ident))
        init, step = jax.jit(env.init), jax.jit(env.step)
        for s in seeds:
            key = jax.random.PRNGKey(s)
            state = init(key)
            agent = int(state.current_player) if s % 2 == 0 else 1 - int(state.current_player)
            rng, total = np.random.default_rng(s), 0.0
            while not (bool(state.terminated) or bool(state.truncated)):
                mask = np.asarray(state.legal_action_mask)
                if int(state.current_player) == agent:
                    a = int(greedy_action(params, state.observation, state.legal_action_mask))
                else:
                    a = int(rng.choice(np.flatnonzero(mask)))
                state = step(state, a)
                total += float(state.rewards[agent])
            out.append(total)
        return out
    if kind == "gymnax":
        import gymnax
        import jax.numpy as jnp

        env, env_params = peer_env(against, lambda: gymnax.make(ident))
        step = jax.jit(env.step_env)
        mask = jnp.ones(env.num_actions, bool)
        for s in seeds:
            key = jax.random.PRNGKey(s)
            obs, state = env.reset_env(key, env_params)
            total, done = 0.0, False
            while not done:
                a = int(greedy_action(params, obs, mask))
                obs, state, reward, terminated, _ = step(key, state, a, env_params)
                total += float(reward)
                done = bool(terminated) or bool(env.is_truncated(state, env_params))
            out.append(total)
        return out
    raise SpecError(f"level 4 compares against pgx:ID or gymnax:ID, not {against!r}")


def level_transfer(spec_path: str, env, ref, seed: int = 0, console=None, checkpoint: str | None = None,
                   budget_s: float = 120.0, episodes: int = 100, against: str | None = None,
                   train_seeds: int = 10, margin: float | None = None) -> LevelResult:  # fmt: skip
    from ..loader import load
    from ..policy import evaluate_returns, evaluate_vs_random, load_policy
    from ..train import train

    result = LevelResult(4, "policy transfer")
    start = time.perf_counter()
    out = Path("runs") / env.id
    if checkpoint is None and (out / "checkpoint.msgpack").exists():
        checkpoint = str(out / "checkpoint.msgpack")
    if checkpoint is not None:
        params = load_policy(checkpoint, env)
        result.details["checkpoint"] = checkpoint
    else:
        trained = train(spec_path, seed=seed, time_budget_s=budget_s, out_dir=out, progress=False)
        params = trained.params
        result.details |= {"checkpoint": str(trained.checkpoint), "ppo_steps_per_s": trained.steps_per_s}
    seeds = list(range(seed, seed + episodes))
    on_jax = evaluate_returns(env, params, seeds)
    on_python = evaluate_returns(ref, params, seeds)
    differ = [s for s, a, b in zip(seeds, on_jax, on_python, strict=True) if a != b]
    result.details |= {
        "mean_return_jax": float(np.mean(on_jax)),
        "mean_return_python": float(np.mean(on_python)),
        "return_difference": float(np.mean(on_jax) - np.mean(on_python)),
    }
    result.record(not differ, f"returns differ between backends for seeds {differ[:10]}")
    vs_random = evaluate_vs_random(env, params, episodes=max(episodes, 200), seed=seed)
    if isinstance(vs_random, float):
        result.details["mean_greedy_return"] = vs_random
    else:
        result.details |= {"win_rate": vs_random.win_rate, "win_ci95": list(vs_random.win_ci),
                           "draw_rate": vs_random.draw_rate, "loss_rate": vs_random.loss_rate}  # fmt: skip
        result.record(vs_random.win_rate > 0.5, f"the policy wins only {vs_random.win_rate:.1%} against random")
    if against:
        low, high = env.module.REWARD_RANGE
        if margin is None:  # --margin, else the spec's rewards.transfer_margin, else 5% of the return range
            margin = load(spec_path)[0].rewards.transfer_margin
        if margin is None:
            margin = 0.05 * (high - low) * (500 if env.num_players == 1 else 1)
        diffs = []
        for s in range(train_seeds):
            run = train(spec_path, seed=seed + s, time_budget_s=budget_s / train_seeds,
                        out_dir=Path("runs") / f"{env.id}_tost_{s}", progress=False)  # fmt: skip
            ours = evaluate_returns(env, run.params, seeds)
            theirs = peer_returns(against, run.params, seeds)
            diffs.append(float(np.mean(ours) - np.mean(theirs)))
        equivalent, p = tost(diffs, margin)
        result.details |= {"tost_differences": diffs, "tost_margin": margin, "tost_p": p, "peer": against}
        result.record(equivalent, f"TOST vs {against}: not shown equivalent within ±{margin} (p = {p:.3f})")
    result.seconds = time.perf_counter() - start
    return result
