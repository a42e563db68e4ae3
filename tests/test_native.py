"""The C backend (generated/NAME/native.c): the same numbers as jax.random, the same
episodes as the Python reference, batched calls equal to single ones, auto-reset, the
benchmark harness equal to the JAX one, and a clear error without a C compiler."""

from __future__ import annotations

import textwrap

import jax
import numpy as np
import pytest

import specc
from specc import native
from specc.api import RESET_SITE
from specc.backends import c_backend
from specc.errors import SpecError
from specc.verify.rollouts import choose, episode_key, field_names, first_difference, step_key, tolerances

SPECS = ["tic_tac_toe", "connect_four", "cartpole", "tcg"]


@pytest.fixture(scope="module")
def envs():
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            spec = f"specs/{name}.yaml"
            cache[name] = (specc.make(spec, backend="c"), specc.make(spec, backend="python"))
        return cache[name]

    return get


def test_threefry_fold_in_and_bits_are_jax_random(envs):
    lib = envs("tic_tac_toe")[0].module
    rng = np.random.default_rng(0)
    keys = [np.array([0, 0], np.uint32), np.array([0xFFFFFFFF, 0xFFFFFFFF], np.uint32)]
    keys += [rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32) for _ in range(100)]
    for key in keys:
        for data in (0, 1, 7, RESET_SITE, 2**31, 2**32 - 1, int(rng.integers(0, 2**32))):
            out = np.zeros(2, np.uint32)
            lib.lib.specc_fold_in(lib._ptr(key), data, lib._ptr(out))
            assert np.array_equal(out, np.asarray(jax.random.fold_in(key, np.uint32(data)))), (key, data)
        for n in (1, 2, 3, 10, 40):
            out = np.zeros(n, np.uint32)
            lib.lib.specc_random_bits(lib._ptr(key), n, lib._ptr(out))
            assert np.array_equal(out, np.asarray(jax.random.bits(key, (n,), np.uint32))), (key, n)
        word = np.zeros(1, np.uint32)
        lib.lib.specc_random_bits(lib._ptr(key), 1, lib._ptr(word))
        assert word[0] == np.asarray(jax.random.bits(key, (), np.uint32))


def test_reset_site_is_the_api_one():
    assert c_backend.RESET_SITE == RESET_SITE


@pytest.mark.parametrize("name,episodes", [("tic_tac_toe", 20), ("connect_four", 10), ("cartpole", 10), ("tcg", 6)])
def test_lockstep_with_the_reference(envs, name, episodes):
    c, py = (e.module for e in envs(name))
    names, tol = field_names(py), tolerances(py)
    steps = 0
    for e in range(episodes):
        key = episode_key(1, e)
        a, b = py.init(key), c.init(key)
        rng = np.random.default_rng([1, e])
        for t in range(600):
            assert first_difference(a, b, names, tol) is None, (name, e, t, first_difference(a, b, names, tol))
            if a.terminated or a.truncated:
                break
            action = choose(rng, a.legal_action_mask)
            a, b = py.step(a, action, step_key(key, t)), c.step(b, action, step_key(key, t))
            steps += 1
        for p in range(-1, py.NUM_PLAYERS):
            if p >= 0:
                assert np.array_equal(py.observe(a, p), c.observe(b, p))
        assert not c.observe(b, py.NUM_PLAYERS).any() and not c.observe(b, -1).any()  # no such player
    assert steps > episodes


def test_illegal_and_finished_steps(envs):
    c, py = (e.module for e in envs("tic_tac_toe"))
    key = episode_key(0, 0)
    a, b = py.init(key), c.init(key)
    for action in (-1, 9, 2**40):  # out of range: illegal, the mover loses
        x, y = py.step(a, action, key), c.step(b, action, key)
        assert y.terminated and np.array_equal(x.rewards, y.rewards)
        z = c.step(y, 0, key)  # a finished episode absorbs with zero rewards
        assert z.terminated and not z.rewards.any() and z.step_count == y.step_count


def test_batched_calls_equal_single_calls(envs):
    env, _ = envs("connect_four")
    c = env.module
    n = 16
    keys = np.stack([np.asarray(episode_key(3, e)) for e in range(n)])
    states = env.init_batch(keys, threads=2)
    singles = [c.init(k) for k in keys]
    names = field_names(c)
    rng = np.random.default_rng(0)
    for t in range(30):
        for i in range(n):
            assert first_difference(c.record(states, i), singles[i], names, {}) is None, (t, i)
        actions = np.array([choose(rng, s.legal_action_mask) for s in singles], np.int32)
        step_keys = np.stack([np.asarray(step_key(k, t)) for k in keys])
        env.step_batch(states, actions, step_keys, threads=2)
        singles = [c.step(s, a, k) for s, a, k in zip(singles, actions, step_keys)]


def test_autoreset_keeps_the_final_observation(envs):
    env, ref = envs("tic_tac_toe")
    c = env.module
    n = 8
    keys = np.stack([np.asarray(episode_key(5, e)) for e in range(n)])
    states = env.init_batch(keys)
    singles = [ref.init(k) for k in keys]
    rng = np.random.default_rng(1)
    resets = 0
    for t in range(20):
        actions = np.array([choose(rng, s.legal_action_mask) for s in singles], np.int32)
        step_keys = np.stack([np.asarray(step_key(k, t)) for k in keys])
        out = env.step_autoreset_batch(states, actions, step_keys)
        for i in range(n):
            nxt, transition = ref.step_autoreset(singles[i], actions[i], step_keys[i])
            assert np.array_equal(out.observation[i], transition.observation)
            assert np.array_equal(out.rewards[i], transition.rewards)
            assert out.terminated[i] == transition.terminated and out.truncated[i] == transition.truncated
            assert first_difference(c.record(states, i), nxt, field_names(c), {}) is None
            single, _ = env.step_autoreset(singles[i], actions[i], step_keys[i])  # the single-state call
            assert first_difference(single, nxt, field_names(c), {}) is None
            resets += bool(transition.terminated or transition.truncated)
            singles[i] = nxt
    assert resets > 0


def test_bench_harness_equals_the_jax_one(envs):
    from specc.bench import scan_runner

    env, _ = envs("tic_tac_toe")
    jax_env = specc.make("specs/tic_tac_toe.yaml", backend="jax")
    batch, steps = 8, 25
    runner = scan_runner("jax", jax_env.init, jax_env.step, batch, steps)
    key = jax.random.PRNGKey(3)
    final = jax.device_get(runner.run(key))
    states = env.module.bench(batch, steps, np.asarray(key), threads=2)
    for name in field_names(env.module):
        assert np.array_equal(np.asarray(getattr(final, name)), states[name]), name


def test_no_compiler_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "/no/such/cc")
    monkeypatch.setenv("SPECC_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(SpecError, match="needs a C compiler"):
        native.build("int x;", "t")
    with pytest.raises(SpecError, match="needs a C compiler"):
        specc.make("specs/tic_tac_toe.yaml", backend="c", out_dir=tmp_path / "out")


def test_batched_calls_need_the_c_backend(envs):
    _, ref = envs("tic_tac_toe")
    with pytest.raises(SpecError, match="backend 'c'"):
        ref.init_batch(np.zeros((2, 2), np.uint32))


EDGES = """
specc: 1
name: edges
players: 2
state:
  a: {type: int32, init: 0}
  b: {type: int32, init: 0}
  q: {type: int32, init: 0}
  r: {type: int32, init: 0}
  big: {type: int32, init: 2147483647}
  small: {type: int8, init: 127}
  arr: {type: "int32[4]", init: 0}
  got: {type: int32, init: 0}
  f: {type: float32, init: 0.0}
  sat: {type: int8, init: 0}
  nan_i: {type: int32, init: 0}
  rolled: {type: int32, init: 5}
actions:
  go:
    effect: |
      a = 7
      q = a // b
      r = a % b
      big = big + 1
      small = small + 1
      arr[1] = 5
      got = arr[a - 10]
      arr[a] = 99
      arr[b - 1] = 3
      f = 1000.0
      sat = int8(f)
      nan_i = int(sqrt(f - 2000.0))
      rolled = roll(b)
      win(b - 1)
      terminate()
observe:
  type: "int32[4]"
  value: arr
"""


def test_edge_meanings(tmp_path):
    spec = tmp_path / "edges.yaml"
    spec.write_text(textwrap.dedent(EDGES))
    env = specc.make(spec, backend="c", out_dir=tmp_path / "edges")
    s = env.step(env.init(np.zeros(2, np.uint32)), 0, np.zeros(2, np.uint32))
    assert (s.q, s.r) == (0, 0)  # a zero divisor gives 0
    assert s.big == -(2**31) and s.small == -128  # integers wrap
    assert s.got == 5  # arr[-3]: counts from the end
    assert list(s.arr) == [0, 5, 0, 3]  # arr[7] = 99 is dropped; arr[-1] is the last
    assert s.sat == 127 and s.nan_i == 0  # float -> int saturates, NaN gives 0
    assert s.rolled == 0  # roll(n) with n < 1
    assert list(s.rewards) == [0.0, 0.0]  # win(-1) names no player: all zeros


SCATTER = """
specc: 1
name: scatter
players: 1
state:
  a: {type: "int32[4,2]", init: 0}
  idx: {type: "int32[3]", init: 0}
actions:
  go:
    params: {v: "0..3"}
    effect: |
      idx = [v, 5, v - 4]
      a[idx] = 7
      if v == 2:
          terminate()
observe:
  type: "int32[4,2]"
  value: a
"""


def test_assignment_through_an_index_array_is_jax_scatter(tmp_path):
    spec = tmp_path / "scatter.yaml"
    spec.write_text(textwrap.dedent(SCATTER))
    key = np.zeros(2, np.uint32)
    results = []
    for backend in ("c", "jax"):
        env = specc.make(spec, backend=backend, out_dir=tmp_path / "scatter")
        results.append(np.asarray(env.step(env.init(key), 1, key).a))
    assert np.array_equal(results[0], results[1])
    assert results[0].tolist() == [[0, 0], [7, 7], [0, 0], [0, 0]]  # row 5 dropped; 1 - 4 = -3 is row 1


def test_the_reference_threefry_is_jax_random():
    """The Python reference draws with its own NumPy threefry: the same bits as jax.random."""
    ref = specc.make("specs/tcg.yaml", backend="python").module
    rng = np.random.default_rng(2)
    for _ in range(50):
        key = rng.integers(0, 2**32, 2, dtype=np.uint64).astype(np.uint32)
        assert np.array_equal(ref._bits(key, 7), np.asarray(jax.random.bits(key, (7,), np.uint32)))
        folded = jax.random.fold_in(jax.random.fold_in(key, 16), 3)
        assert np.array_equal(ref._site_key(key, 16, np.int32(3)), np.asarray(folded))
        assert ref._word(key) == np.asarray(jax.random.bits(key, (), np.uint32))
    typed = jax.random.key(5)  # a typed key works too
    assert np.array_equal(ref._bits(typed, 3), np.asarray(jax.random.bits(typed, (3,), np.uint32)))


UNROLL = """
specc: 1
name: unroll
players: 1
constants:
  D: [1, 2, 3, 4]
state:
  n: {type: int32, init: 0}
  hits: {type: bool, init: false}
  deep: {type: bool, init: false}
actions:
  go:
    params: {v: "0..4"}
    effect: |
      hits = any(a in 0..4: any(b in 0..4: all(c in 0..4: (a + b + c) * D[a] > v * 9)))
      deep = any(a in 0..4: any(b in 0..4: any(c in 0..4: any(e in 0..2: a + b + c + e == v + 10))))
      n = count(i in 0..20: i < v * 5) + sum(j in 0..3: j * v)
      terminate()
observe:
  type: "int32[1]"
  value: "[n]"
"""


def test_short_constant_reductions_are_unrolled_and_mean_the_same(tmp_path):
    """A reduction over at most UNROLL_MAX constant indexes asks the C compiler to unroll it
    (nested ones while the product of their lengths stays within UNROLL_PRODUCT = 64), and
    the unrolled code computes what the reference does."""
    spec = tmp_path / "unroll.yaml"
    spec.write_text(textwrap.dedent(UNROLL))
    env = specc.make(spec, backend="c", out_dir=tmp_path / "unroll")
    ref = specc.make(spec, backend="python", out_dir=tmp_path / "unroll").module
    text = (tmp_path / "unroll" / "native.c").read_text()
    effect = text[text.index("static void effect_go") :]
    loops = [line.split("for (int32_t ")[1].split(" ")[0] for line in effect.split("; ") if "for (int32_t " in line]
    unrolled = [line.split("for (int32_t ")[1].split(" ")[0] for line in effect.split("; ")
                if '_Pragma("GCC unroll ' in line]  # fmt: skip
    assert loops[:9] == ["a", "b", "c", "a", "b", "c", "e", "i", "j"], loops
    # 4 * 4 * 4 = 64 copies at most: `e` (a fourth level) and `i` (20 indexes) stay loops
    assert unrolled == ["a", "b", "c", "a", "b", "c", "j"], unrolled
    assert effect.count('_Pragma("GCC unroll 4")') == 6 and effect.count('_Pragma("GCC unroll 3")') == 1
    key = np.zeros(2, np.uint32)
    seen = set()
    for v in range(4):
        c, py = env.step(env.init(key), v, key), ref.step(ref.init(key), v, key)
        assert (c.hits, c.deep, c.n) == (py.hits, py.deep, py.n), v
        seen.add((bool(c.hits), bool(c.deep), int(c.n)))
    # hits: (3 + 3 + 0) * 4 = 24 > 9v up to v = 2; deep: a + b + c + e reaches 10 at most; n: 5v + 3v
    assert seen == {(True, True, 0), (True, False, 8), (True, False, 16), (False, False, 24)}, seen


PLANES = """
specc: 1
name: planes
players: 2
constants:
  VALUES: [-128, -1, 0, 1, 2, 126, 127]
  W: [0, 1, 2, 3]
state:
  board: {type: "int8[3,4]", init: 0}
  wide: {type: "int16[3,4]", init: 0}
actions:
  put:
    params: {cell: "0..12", v: "0..7"}
    effect: |
      board[cell // 4, cell % 4] = VALUES[v]
      wide[cell // 4, cell % 4] = VALUES[v] * 200
      current_player = 1 - current_player
observe:
  type: "bool[3,4,6]"
  value: stack(board == player + 1, board == player + 127, board < player - 128, board == W, wide == player + 1,
               wide == player + 25400)
"""


def test_observation_planes_are_flat_loops_with_narrow_comparisons(tmp_path):
    """An observation over whole arrays is one flat loop storing every plane (nested loops
    where an operand is broadcast), and an int32 side compared with an int8 or int16 array
    is cast to it only where its range fits: the same planes as the reference's."""
    spec = tmp_path / "planes.yaml"
    spec.write_text(textwrap.dedent(PLANES))
    env = specc.make(spec, backend="c", out_dir=tmp_path / "planes")
    ref = specc.make(spec, backend="python", out_dir=tmp_path / "planes").module
    text = (tmp_path / "planes" / "native.c").read_text()
    observe = text[text.index("static void observe_unchecked") : text.index("static void observe(")]
    assert "for (int32_t _i" in observe and "for (int32_t _f" not in observe  # W is broadcast over rows
    assert "((int8_t)(_wadd(player, 1)))" in observe and "((int8_t)(_wsub(player, 128)))" in observe
    assert "((int16_t)(_wadd(player, 25400)))" in observe
    assert "== _wadd(player, 127)" in observe  # 127..128 does not fit int8
    assert "s->board[_f" in text  # the board's init: one flat loop
    c = env.module
    key = np.zeros(2, np.uint32)
    a, b = ref.init(key), c.init(key)
    rng = np.random.default_rng(0)
    for t in range(300):
        action = int(rng.integers(0, 84))
        a, b = ref.step(a, action, key), c.step(b, action, key)
        for p in (0, 1):
            assert np.array_equal(ref.observe(a, p), c.observe(b, p)), (t, p)
    assert ref.observe(a, 0)[..., 1].any() and ref.observe(a, 1)[..., 2].any()  # the edge values were seen


def test_level_3_plays_the_same_episodes_on_three_backends(envs):
    """lockstep over the Python reference, JAX and C sides: 200 tic-tac-toe episodes of seed 0
    are the 1744 states (inits and steps) they were before level 3 batched its backends."""
    from specc.verify.rollouts import lockstep_backends

    c, py = (e.module for e in envs("tic_tac_toe"))
    jax_module = specc.make("specs/tic_tac_toe.yaml").module
    result = lockstep_backends(jax_module, py, 200, 0, others={"specc-c": c})
    assert (result.checks, result.passed, result.failed) == (1744, 1744, 0)
    assert result.details == {"episodes": 200, "steps": 1544, "seed": 0,
                              "backends": ["specc-python", "specc-jax", "specc-c"]}  # fmt: skip
    alone = lockstep_backends(None, None, 50, 0, others={"specc-c": c, "specc-jax": jax_module})
    assert alone.failed == 0 and alone.details["backends"] == ["specc-c", "specc-jax"]
