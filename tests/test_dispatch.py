"""The JAX step's action dispatch under vmap (the template's `_dispatch`): each effect runs on
the environments whose action is of its kind, gathered in chunks (`_dispatch_chunk`), giving
exactly what one environment's lax.switch gives, without broadcasting the constants the
effects read (a table) to the batch, which vmap of lax.switch does."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import specc

CSV = "name,power,kind\na,3,x\nb,-2,y\nc,7,x\nd,0,y\ne,1,x\nf,-1,y\n"

SPEC = """\
specc: 1
name: dispatch
players: 2
enums:
  K: [x, y]
tables:
  T:
    file: t.csv
    columns: {power: int8, kind: K}
state:
  score: {type: "int16[2]", init: 0}
  last: {type: int8, init: -1}
  hits: {type: "int8[4]", init: 0}
actions:
  take:
    params: {c: "0..4"}
    legal: hits[c] < 3
    effect: |
      score[current_player] += T.power[c] + (1 if T.kind[c] == K.y else 0)
      hits[c] += 1
      last = c
      current_player = 1 - current_player
  gamble:
    legal: last >= 0
    effect: |
      if flip():
          score[current_player] += T.power[last - 5]
      for i in 0..4:
          hits[i] = max(hits[i] - 1, 0)
      last = -1
      current_player = 1 - current_player
  stop:
    legal: score[current_player] > 5
    effect: |
      win(current_player)
observe:
  type: "int16[3]"
  value: "[score[player], score[1 - player], last]"
rewards: {range: [-1, 1], zero_sum: true}
max_steps: 40
"""

B = 16


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("dispatch")
    (folder / "t.csv").write_text(CSV)
    (folder / "d.yaml").write_text(SPEC)
    return specc.make(folder / "d.yaml", out_dir=folder / "out").module


def leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


@pytest.mark.parametrize("B", [B, 37])  # 37: chunks of 3, the last of each kind part-filled
def test_vmapped_step_is_each_environments_own_step(env, B: int) -> None:
    assert env._dispatch_chunk(B) == -(-B // 16)
    keys = jax.random.split(jax.random.PRNGKey(0), B)
    states = jax.vmap(env.init)(keys)
    rng = np.random.default_rng(0)
    batched, single = jax.jit(jax.vmap(env.step)), jax.jit(env.step)
    kinds = set()
    for t in range(30):
        masks = np.asarray(states.legal_action_mask)
        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else rng.integers(-2, 9) for m in masks])
        kinds |= {int(env._KIND[a]) for a in actions if 0 <= a < env.NUM_ACTIONS}
        step_keys = jax.random.split(jax.random.PRNGKey(t + 1), B)
        new = batched(states, jnp.asarray(actions, jnp.int32), step_keys)
        for i in range(B):
            one = single(jax.tree_util.tree_map(lambda x, i=i: x[i], states), jnp.int32(actions[i]), step_keys[i])
            for a, b in zip(leaves(one), leaves(jax.tree_util.tree_map(lambda x, i=i: x[i], new))):
                assert np.array_equal(a, b), (t, i)
        states = new
    assert kinds == {0, 1, 2}  # every effect ran somewhere


def test_dispatch_takes_unbatched_and_nested_batches(env) -> None:
    keys = jax.random.split(jax.random.PRNGKey(1), B)
    states = jax.vmap(env.init)(keys)
    key = jax.random.PRNGKey(7)
    shared = jax.vmap(env.step, in_axes=(0, None, None))(states, jnp.int32(2), key)  # one action for all
    for i in range(B):
        one = env.step(jax.tree_util.tree_map(lambda x, i=i: x[i], states), jnp.int32(2), key)
        assert all(np.array_equal(a, b[i]) for a, b in zip(leaves(one), leaves(shared)))
    grid = jax.tree_util.tree_map(lambda x: x.reshape((4, 4) + x.shape[1:]), states)
    nested = jax.vmap(jax.vmap(env.step, in_axes=(0, None, None)), in_axes=(0, None, None))(grid, jnp.int32(1), key)
    flat = jax.vmap(env.step, in_axes=(0, None, None))(states, jnp.int32(1), key)
    assert all(np.array_equal(a.reshape(b.shape), b) for a, b in zip(leaves(nested), leaves(flat)))


def test_tables_are_not_broadcast_to_the_batch(env) -> None:
    keys = jax.random.split(jax.random.PRNGKey(2), B)
    states = jax.vmap(env.init)(keys)
    jaxpr = jax.make_jaxpr(jax.vmap(env.step))(states, jnp.zeros(B, jnp.int32), keys)
    text = str(jaxpr)
    assert f"i8[{B},6]" not in text  # T's columns (6 rows) never copied per environment
    assert Path(env.__file__).read_text().count("jax.lax.switch(") == 1  # one environment: one effect runs


def test_step_inside_a_batched_cond(env) -> None:
    """Pgx's step calls ours inside lax.cond on `terminated`: under vmap the predicate is batched,
    so JAX turns the cond into a select and broadcasts every operand of its branches, the
    constants they close over among them. The dispatch must take that (it once failed an
    internal assertion of custom_vmap) and still give each environment its own step."""
    keys = jax.random.split(jax.random.PRNGKey(3), B)
    states = jax.vmap(env.init)(keys)
    states = states.replace(terminated=states.terminated.at[::3].set(True))
    guarded = lambda s, a, k: jax.lax.cond(s.terminated, lambda: s, lambda: env.step(s, a, k))
    actions = jnp.arange(B, dtype=jnp.int32) % env.NUM_ACTIONS
    new = jax.jit(jax.vmap(guarded))(states, actions, keys)
    for i in range(B):
        s = jax.tree_util.tree_map(lambda x, i=i: x[i], states)
        one = s if bool(s.terminated) else env.step(s, actions[i], keys[i])
        assert all(np.array_equal(a, b[i]) for a, b in zip(leaves(one), leaves(new))), i
