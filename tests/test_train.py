"""PPO training (specc.train) and the policy helpers (specc.policy), on tiny runs.

Each tiny run compiles the update function and trains a few updates, enough to check
the plumbing (finite losses, no illegal moves, checkpoint and plot written and reloadable,
identical evaluation on both backends), not the learning itself (see the training bars).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from specc.api import Env
from specc.policy import (
    evaluate_returns,
    evaluate_vs_random,
    greedy_action,
    init_params,
    load_config,
    load_policy,
    wilson_interval,
)
from specc.train import TrainResult, default_config, negamax_gae, sample_action, train

MakeEnv = Callable[[str, str], Env]
TINY = dict(  # a few updates of a small network: seconds, mostly compiling
    num_envs=8,
    num_steps=16,
    hidden=(16, 16),
    eval_every=2,
    eval_episodes=8,
    final_eval_episodes=10,
    progress=False,
)


@pytest.fixture(scope="module", params=["tic_tac_toe", "cartpole"])
def tiny_run(request: pytest.FixtureRequest, make_env: MakeEnv, tmp_path_factory) -> tuple[str, TrainResult]:
    name = request.param
    out = tmp_path_factory.mktemp(f"run_{name}")
    return name, train(make_env(name, "jax"), seed=1, total_steps=6 * 8 * 16, out_dir=out, **TINY)


def test_tiny_run_trains(tiny_run: tuple[str, TrainResult]) -> None:
    """Six updates ran, every loss is finite, the policy never chose an illegal move."""
    _, result = tiny_run
    assert result.updates == 6 and result.env_steps == 6 * 8 * 16
    assert len(result.history) == 3
    for metrics in result.history:
        assert all(np.isfinite(v) for v in metrics.values()), metrics
        assert metrics["illegal_actions"] == 0
    assert result.steps_per_s > 0 and result.compile_s > 0
    assert [steps for steps, _ in result.curve] == [0, 256, 512, 768]


def test_checkpoint_and_plot_written(tiny_run: tuple[str, TrainResult]) -> None:
    """checkpoint.msgpack reloads to the same params, config.json and curve.png exist,
    and no temporary files are left behind."""
    name, result = tiny_run
    out = result.checkpoint.parent
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.msgpack", "config.json", "curve.png"]
    assert result.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for loaded in (load_policy(result.checkpoint), load_policy(out)):
        same = jax.tree_util.tree_map(lambda a, b: bool(np.array_equal(a, b)), loaded, result.params)
        assert jax.tree_util.tree_structure(loaded) == jax.tree_util.tree_structure(result.params)
        assert all(jax.tree_util.tree_leaves(same))
    config = load_config(out)
    assert config["env_id"] == name and config["ppo"]["num_envs"] == 8
    assert json.loads((out / "config.json").read_text())["env_steps"] == result.env_steps


def test_evaluate_returns_same_on_both_backends(tiny_run: tuple[str, TrainResult], make_env: MakeEnv) -> None:
    """Same seeds, same greedy episodes: the JAX batch and the Python reference agree."""
    name, result = tiny_run
    seeds = list(range(12)) if name == "tic_tac_toe" else list(range(4))
    on_jax = evaluate_returns(make_env(name, "jax"), result.params, seeds)
    on_python = evaluate_returns(make_env(name, "python"), result.params, seeds)
    assert on_jax == on_python
    assert len(on_jax) == len(seeds)


def test_evaluate_vs_random(tiny_run: tuple[str, TrainResult], make_env: MakeEnv) -> None:
    name, result = tiny_run
    env = make_env(name, "jax")
    outcome = evaluate_vs_random(env, result.params, episodes=20, seed=3)
    if name == "cartpole":
        assert isinstance(outcome, float) and outcome >= 8  # CartPole lasts at least ~8 steps
    else:
        win, draw, loss, (low, high) = outcome
        assert win + draw + loss == pytest.approx(1.0)
        assert low <= win <= high
        assert outcome == evaluate_vs_random(env, result.params, episodes=20, seed=3)  # seeded


def test_negamax_gae_hand_computed() -> None:
    """Column 0: players alternate, the last mover wins. Column 1: player 0 moves twice in
    a row (no sign flip), then an episode ends and a new one starts; bootstraps at the end."""
    gamma, lam = 0.9, 0.8
    reward = jnp.array([[0.0, 0.0], [0.0, 0.0], [1.0, -1.0]])
    value = jnp.array([[0.1, 0.2], [-0.2, 0.4], [0.5, -0.3]])
    done = jnp.array([[False, False], [False, True], [True, False]])
    player = jnp.array([[0, 0], [1, 0], [0, 1]])
    last_value, last_player = jnp.array([0.3, 0.6]), jnp.array([1, 0])
    advantage, target = negamax_gae(reward, value, done, player, last_value, last_player, gamma, lam)
    # column 0, backwards: t=2 ends (delta = 1 - 0.5); t=1 and t=0 see the other mover next
    a2 = 1.0 - 0.5
    a1 = (0.0 - gamma * 0.5 - -0.2) + gamma * lam * -a2
    a0 = (0.0 - gamma * -0.2 - 0.1) + gamma * lam * -a1
    # column 1: t=2 (player 1) bootstraps from player 0's 0.6 (flip); t=1 ends; t=0 -> t=1 same mover
    b2 = -1.0 - gamma * 0.6 - -0.3
    b1 = 0.0 - 0.4
    b0 = (0.0 + gamma * 0.4 - 0.2) + gamma * lam * b1
    expected = np.array([[a0, b0], [a1, b1], [a2, b2]])
    np.testing.assert_allclose(advantage, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(target, expected + np.asarray(value), rtol=1e-6, atol=1e-6)
    assert a0 == pytest.approx(0.5192)  # the worked example, by hand


def test_negamax_gae_one_player_is_plain_gae() -> None:
    rng = np.random.default_rng(0)
    t, gamma, lam = 7, 0.99, 0.95
    reward, value = rng.normal(size=t), rng.normal(size=t)
    done = np.array([0, 0, 1, 0, 0, 0, 1], bool)
    advantage, _ = negamax_gae(*map(jnp.asarray, (reward, value, done, np.zeros(t, int))), 0.7, 0, gamma, lam)
    expected, next_adv, next_value = np.zeros(t), 0.0, 0.7
    for i in reversed(range(t)):
        keep = 1.0 - done[i]
        next_adv = reward[i] + gamma * keep * next_value - value[i] + gamma * lam * keep * next_adv
        expected[i], next_value = next_adv, value[i]
    np.testing.assert_allclose(advantage, expected, rtol=1e-5, atol=1e-6)


def test_negamax_gae_bootstraps_a_truncated_step_from_its_final_observation() -> None:
    """Step 1 ends its episode. Terminated: its target is the bare reward. Truncated (the
    step limit): the game would have gone on, so it bootstraps from the value of its final
    observation (2.0), never from the next episode's first state (0.7); from the other
    player's side in a two-player game, with a minus sign."""
    gamma, lam = 0.9, 0.8
    reward, value = jnp.array([1.0, 1.0, 1.0]), jnp.array([0.5, 0.6, 0.7])
    done, player = jnp.array([False, True, False]), jnp.array([0, 0, 0])
    final_value = jnp.array([9.0, 2.0, 9.0])  # only step 1's is used: the others did not end an episode
    args = (reward, value, done, player, jnp.array(0.4), jnp.array(0), gamma, lam)
    cut = jnp.array([False, True, True])  # step 2's flag means nothing: it did not end an episode
    terminated, _ = negamax_gae(*args)
    truncated, target = negamax_gae(*args, cut, final_value, player)
    a2 = 1.0 + 0.9 * 0.4 - 0.7  # 0.66, bootstrapping from last_value as usual
    np.testing.assert_allclose(terminated, [1.04 + 0.72 * 0.4, 0.4, a2], rtol=1e-6, atol=1e-6)  # step 1: 1 - 0.6
    np.testing.assert_allclose(truncated, [1.04 + 0.72 * 2.2, 2.2, a2], rtol=1e-6, atol=1e-6)  # step 1: 1 + 0.9*2 - 0.6
    np.testing.assert_allclose(target, [3.124, 2.8, 1.36], rtol=1e-6, atol=1e-6)
    # two players: the final observation is player 1's, so its value enters negated
    other, _ = negamax_gae(*args, cut, final_value, jnp.array([0, 1, 0]))
    np.testing.assert_allclose(other[1], 1.0 - 0.9 * 2.0 - 0.6, rtol=1e-6, atol=1e-6)  # -1.4
    np.testing.assert_allclose(other[0], 1.04 + 0.72 * -1.4, rtol=1e-6, atol=1e-6)


def test_masking_never_picks_illegal_actions() -> None:
    """Logits that strongly favour illegal moves: sampling (with or without exploration)
    and greedy actions still pick legal ones only; masks are never all-False."""
    key = jax.random.PRNGKey(0)
    mask = jax.random.bernoulli(key, 0.3, (4096, 9)).at[:, 4].set(True)
    logits = jnp.where(mask, -20.0, 20.0)
    for eps in (0.0, 0.2):
        action, log_prob = sample_action(jax.random.PRNGKey(1), logits, mask, eps)
        assert bool(jnp.all(mask[jnp.arange(4096), action]))
        assert bool(jnp.all(jnp.isfinite(log_prob)))
    params = init_params(key, 9, (3, 3, 2), (16, 16))
    # make the network prefer illegal moves: a huge bias towards every action but 4
    params["params"]["actor_out"]["bias"] = jnp.full(9, 1e6).at[4].set(0.0)
    observation = jax.random.bernoulli(key, 0.3, (4096, 3, 3, 2))
    greedy = greedy_action(params, observation, mask)
    assert bool(jnp.all(mask[jnp.arange(4096), greedy]))
    assert int(greedy_action(params, observation[0], mask[0])) == int(greedy[0])  # one observation works too


def test_wilson_interval() -> None:
    low, high = wilson_interval(90, 100)
    assert (round(low, 4), round(high, 4)) == (0.8256, 0.9448)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_default_config_per_spec(make_env: MakeEnv) -> None:
    """Two-player specs get the self-play settings, then their own entries."""
    board, cartpole = default_config(make_env("connect_four", "jax")), default_config(make_env("cartpole", "jax"))
    assert board.explore_eps > 0 and not board.normalize_advantages and board.total_steps == 4_000_000
    assert cartpole.explore_eps == 0 and cartpole.normalize_advantages and cartpole.learning_rate == 2.5e-4


# --- the C backend's rollouts (specc.train_native) ------------------------------------------


def test_native_rollouts_train_like_jax(tiny_run: tuple[str, TrainResult], make_env: MakeEnv, tmp_path) -> None:
    """`backend="c"`: the same run with the environments in C trains (finite losses, no
    illegal move, files written) and, on a discrete game, follows the all-JAX run: the
    same keys draw the same episodes, so the episode statistics are identical and the
    losses equal up to the network's float rounding."""
    name, on_jax = tiny_run
    on_c = train(make_env(name, "c"), seed=1, total_steps=6 * 8 * 16, out_dir=tmp_path, backend="c", **TINY)
    assert on_c.backend == "c" and on_c.updates == 6 and len(on_c.history) == 3
    for metrics in on_c.history:
        assert all(np.isfinite(v) for v in metrics.values()), metrics
        assert metrics["illegal_actions"] == 0 and metrics["episodes"] > 0
    assert json.loads((tmp_path / "config.json").read_text())["backend"] == "c"
    assert "PPO steps/s on C environments" in on_c.summary()
    if name == "tic_tac_toe":  # cartpole's floats differ in the last bit between C and XLA
        for c, j in zip(on_c.history, on_jax.history, strict=True):
            for k in ("episodes", "episode_return", "episode_length"):
                assert c[k] == j[k], (k, c, j)
            for k in ("loss", "value_loss", "entropy"):
                assert c[k] == pytest.approx(j[k], rel=1e-4, abs=1e-6), (k, c, j)


# --- several devices (specc.sharding) -------------------------------------------------------

DEVICES_SCRIPT = """
import json, sys
import jax
import specc.train as T
from specc import make

seen = {}
original = T.sharded_update


def spy(env, cfg, tx, runner, mesh):
    update, runner = original(env, cfg, tx, runner, mesh)
    board = jax.tree_util.tree_leaves(runner.env_state)[0]
    params = jax.tree_util.tree_leaves(runner.params)[0]
    seen[mesh.size] = dict(
        all_reduce="all-reduce" in update.as_text(),
        env_shard=[s.data.shape[0] for s in board.addressable_shards],
        params_replicated=params.sharding.is_fully_replicated,
    )
    return update, runner


T.sharded_update = spy
env = make(sys.argv[1], out_dir=sys.argv[2])
tiny = dict(num_envs=8, num_steps=16, hidden=(16, 16), eval_every=2, eval_episodes=8, final_eval_episodes=10)
runs = {}
for n in (1, 2):
    r = T.train(env, seed=1, total_steps=4 * 8 * 16, out_dir=f"{sys.argv[2]}/run{n}", devices=n, progress=False, **tiny)
    leaves = [jax.device_get(x).ravel().tolist() for x in jax.tree_util.tree_leaves(r.params)]
    runs[n] = dict(history=r.history, params=leaves, devices=r.devices, summary=r.summary())
print(json.dumps(dict(devices=jax.device_count(), seen=seen, runs=runs)))
"""


def test_two_devices_train_as_one(tmp_path) -> None:
    """`devices=2` on two forced host devices (XLA_FLAGS, set before JAX starts: hence a
    subprocess): the environments are split (4 of 8 per device), the parameters
    replicated, the gradients summed across devices (an all-reduce in the compiled
    update), and the run follows the one-device run: the same episodes exactly, losses
    and parameters equal up to the float order of the cross-device sums."""
    import os
    import subprocess
    import sys

    spec = Path(__file__).resolve().parents[1] / "specs" / "tic_tac_toe.yaml"
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", DEVICES_SCRIPT, str(spec), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == 2
    assert out["seen"]["2"] == dict(all_reduce=True, env_shard=[4, 4], params_replicated=True)
    assert out["seen"]["1"]["env_shard"] == [8]
    one, two = out["runs"]["1"], out["runs"]["2"]
    assert two["devices"] == 2 and "on 2 device(s)" in two["summary"]
    assert len(one["history"]) == len(two["history"]) == 2
    for a, b in zip(one["history"], two["history"], strict=True):
        assert all(np.isfinite(v) for v in b.values()), b
        for k in ("episodes", "episode_return", "episode_length", "illegal_actions", "score"):
            assert a[k] == b[k], (k, a, b)
        for k in ("loss", "policy_loss", "value_loss", "entropy"):
            assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), (k, a, b)
    for a, b in zip(one["params"], two["params"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_devices_errors(make_env: MakeEnv, capsys) -> None:
    """More devices than visible, uneven splits and C rollouts on several devices: one
    clear line (exit 2 from the CLI), before anything compiles."""
    from specc.cli import main
    from specc.errors import SpecError
    from specc.sharding import check_split

    with pytest.raises(SpecError, match=r"--devices 2: only 1 cpu device\(s\) visible; set XLA_FLAGS="):
        train(make_env("tic_tac_toe", "jax"), devices=2, **TINY)
    with pytest.raises(SpecError, match="--devices needs --backend jax"):
        train(make_env("tic_tac_toe", "jax"), devices=2, backend="c", **TINY)
    with pytest.raises(SpecError, match=r"num_envs \(6\) and the minibatch size \(32\) must be multiples"):
        check_split(6, 32, 4)
    spec = Path(__file__).resolve().parents[1] / "specs" / "tic_tac_toe.yaml"
    assert main(["train", str(spec), "--devices", "3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--devices 3: only 1 cpu device(s) visible") and len(err.splitlines()) == 1
