"""Level 3 (specc/verify/rollouts.py) sees what its lock-step must see: every player's
observation, not only the current player's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import specc
from specc.verify.replay import replay
from specc.verify.rollouts import episode_key, field_names, lockstep_backends, same, tolerances

SPECS = Path(__file__).resolve().parents[1] / "specs"
TTT_VIEW = "value: stack(reshape(board == player + 1, 3, 3), reshape(board == 2 - player, 3, 3))"
# the mutant: a player who is not to move sees none of the opponent's marks (the mover sees all)
BLIND_VIEW = (
    "value: stack(reshape(board == player + 1, 3, 3), "
    "reshape(where(player == current_player, board == 2 - player, false), 3, 3))"
)


@pytest.fixture(scope="module")
def ttt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """tic-tac-toe's modules on every backend, and each backend built from the mutant spec."""
    work = tmp_path_factory.mktemp("views")
    text = (SPECS / "tic_tac_toe.yaml").read_text()
    assert text.count(TTT_VIEW) == 1
    mutant = work / "tic_tac_toe.yaml"
    mutant.write_text(text.replace(TTT_VIEW, BLIND_VIEW))
    mods: dict[str, object] = {}
    for backend in ("python", "jax", "c"):
        mods[backend] = specc.make(SPECS / "tic_tac_toe.yaml", backend=backend, out_dir=work / "good").module
        mods["blind-" + backend] = specc.make(mutant, backend=backend, out_dir=work / "blind").module
    return mods


def test_the_mutant_changes_only_what_the_player_not_to_move_sees(ttt) -> None:
    """Every state field, `observation` included, is the original's on every step: a
    lock-step of the fields alone (level 3 before) cannot tell the mutant apart."""
    good, blind = ttt["python"], ttt["blind-python"]
    names, tol = field_names(good), tolerances(good)
    key = np.array([0, 7], np.uint32)
    a, b = good.init(key), blind.init(key)
    first = int(a.current_player)
    seen_differ = 0
    for action in (4, 0, 2, 8, 6):  # the first mover takes the diagonal 2-4-6
        a, b = good.step(a, action), blind.step(b, action)
        assert all(same(getattr(a, n), getattr(b, n), tol[n]) for n in names)
        waiting = 1 - int(a.current_player)
        assert np.array_equal(good.observe(a, a.current_player), blind.observe(b, b.current_player))
        seen_differ += not np.array_equal(good.observe(a, waiting), blind.observe(b, waiting))
    assert seen_differ == 4  # from move 2 on, the waiting player's view lost the mover's marks
    assert bool(a.terminated) and a.rewards[first] == 1.0 and a.rewards[1 - first] == -1.0


@pytest.mark.parametrize("bad, base, left, right", [
    ("jax", "python", "specc-jax", "specc-python"),
    ("c", "python", "specc-c", "specc-python"),
    ("c", "jax", "specc-c", "specc-jax"),
])  # fmt: skip
def test_level_3_catches_a_wrong_view_of_the_player_not_to_move(ttt, bad, base, left, right) -> None:
    """The mutant built into one backend: level 3 fails every episode at step 2 (the first
    state where the waiting player has an opponent's mark to miss), on that player's
    `observe(s, p)`, with both views in the report."""
    jax_mod = ttt["blind-jax"] if bad == "jax" else ttt["jax"] if base == "jax" else None
    py_mod = ttt["python"] if base == "python" else None
    others = {"specc-c": ttt["blind-c"]} if bad == "c" else {}
    result = lockstep_backends(jax_mod, py_mod, episodes=12, seed=3, others=others)
    assert (result.failed, result.passed) == (12, 24)  # init and step 1 agree in all 12 episodes
    div = result.divergence
    assert (div.left, div.right, div.episode, div.step) == (left, right, 0, 2)
    first_mover = int(ttt["python"].init(episode_key(3, 0)).current_player)
    assert div.field == f"observe(s, {1 - first_mover})"  # moved at step 2, now waits
    mine, theirs = np.asarray(div.left_value), np.asarray(div.right_value)
    assert np.array_equal(mine[..., 0], theirs[..., 0]) and mine[..., 0].sum() == 1  # its own mark
    assert theirs[..., 1].sum() == 1 and mine[..., 1].sum() == 0  # the opponent's mark, lost


# a * b is 1 + 2**-11 + 2**-24, a tie that float32 rounds to 1 + 2**-11: a * b + c is 0 when the
# product is rounded first (the reference, C) and 2**-24 when XLA fuses it into one FMA (jit)
THRESHOLD = """\
specc: 1
name: threshold
players: 1
state:
  a: {type: float32, init: 1.000244140625}
  b: {type: float32, init: 1.000244140625}
  c: {type: float32, init: -1.00048828125}
  y: {type: float32, init: 0.0}
max_steps: 3
actions:
  go:
    effect: |
      y = a * b + c
      if y > 0.0:
          terminate()
observe:
  type: "float32[1]"
  value: stack(y)
"""


def test_a_branch_decided_by_a_fused_multiply_add_is_reported(tmp_path: Path, capsys, monkeypatch) -> None:
    """XLA on CPU always fuses a * b + c under jit (one rounding, not two): floats differ
    within tolerance, but a threshold on them can fall either way. Level 3 reports that
    divergence (never hides it) and says floats within tolerance decided it; C, which
    never fuses, has the reference's bits."""
    (tmp_path / "threshold.yaml").write_text(THRESHOLD)
    mods = {b: specc.make(tmp_path / "threshold.yaml", backend=b, out_dir=tmp_path / "gen").module
            for b in ("python", "jax", "c")}  # fmt: skip
    result = lockstep_backends(mods["jax"], mods["python"], episodes=3, others={"specc-c": mods["c"]})
    assert (result.checks, result.passed, result.failed) == (6, 3, 3)  # the inits agree; step 1 does not
    note = " (decided by floats that differ only within tolerance: y)"
    assert result.failures == [f"episode {e} step 1: specc-jax: terminated{note}" for e in range(3)]
    div = result.divergence
    assert (div.left, div.field) == ("specc-jax", "terminated")
    assert bool(div.left_value) is True and bool(div.right_value) is False
    assert div.note == "decided by floats that differ only within tolerance: y"
    gaps = result.details["float_gaps"]
    assert gaps["specc-c"]["y"] == 0.0 and gaps["specc-jax"]["y"] == 2.0**-24
    monkeypatch.chdir(tmp_path)  # replay runs JAX jitted, as level 3: the fused add shows again
    assert replay("threshold.yaml", 0, div.episode, div.actions, generated="gen") == 1
    out = capsys.readouterr().out
    assert "step 1 (action 0): backends differ on terminated, legal_action_mask" in out, out
