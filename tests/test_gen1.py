"""specs/gen1.yaml: Gen 1 singles with Showdown's mechanics, and its lock-step against Showdown.

The lock-step tests need node and `npm ci --prefix showdown` (both README commands run it); without
them they fail with the SpecError saying what to install, as tests/test_showdown.py does.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from rich.console import Console

import specc
from specc.cli import main
from specc.loader import load
from specc.verify import verify
from specc.verify.gen1_showdown import (
    Gen1Tables,
    lockstep_showdown,
    play_battle,
    playable_on_showdown,
    scenario_on_showdown,
)
from specc.verify.showdown import ShowdownBridge, require_showdown

SPEC = Path(__file__).resolve().parents[1] / "specs" / "gen1.yaml"


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return specc.make(SPEC, backend="python").module


@pytest.fixture(scope="module")
def bridge() -> Iterator[ShowdownBridge]:
    require_showdown()  # fails (not skips) with the command to run when the package is missing
    with ShowdownBridge() as sd:
        yield sd


def test_spec_checks() -> None:
    spec, _, program = load(str(SPEC))
    assert spec.name == "gen1" and spec.players == 2
    assert [a for a in spec.actions] == ["move", "switch"]
    assert len(spec.scenarios) >= 9
    assert program.name == "gen1"


def test_scenarios_on_every_backend() -> None:
    """The spec's scenarios (values checked on Showdown with the same draws) on python, C and JAX."""
    report = verify(str(SPEC), [2], console=Console(file=io.StringIO()), backends=["python", "c", "jax"])
    level = report.levels[0]
    assert level.failed == 0 and level.passed == level.checks > 0, level.failures


def test_the_first_choice_stays_hidden(reference: ModuleType) -> None:
    """Player 1's observation is the same whichever move player 0 chose (the choice waits hidden)."""
    from specc.verify.rollouts import episode_key, step_key

    key = episode_key(0, 0)
    views = []
    for action in range(4):
        state = reference.step(reference.init(key), action, step_key(key, 0))
        assert int(state.current_player) == 1
        views.append(reference.observe(state, 1))
    for view in views[1:]:
        np.testing.assert_array_equal(view, views[0])


def test_lockstep_against_showdown(reference: ModuleType, bridge: ShowdownBridge) -> None:
    result = lockstep_showdown(reference, 3, seed=0, bridge=bridge)
    assert result.divergence is None, result.divergence and result.divergence.describe()
    assert result.passed == 3 and result.details["steps"] > 100


def test_a_divergence_names_the_turn_field_and_both_values(reference: ModuleType, bridge: ShowdownBridge) -> None:
    """A spec that loses one HP too many is caught after that turn, with a replay command."""

    class OffByOne:
        def __getattr__(self, name: str):
            return getattr(reference, name)

        @staticmethod
        def step(state, action, key):
            after = reference.step(state, action, key)
            if int(after.pending[0]) < 0 and int(after.hp[1, int(after.active[1])]) > 1:
                after.hp[1, int(after.active[1])] -= 1  # the turn resolved: one HP off
            return after

    steps, divergence = play_battle(OffByOne(), bridge, Gen1Tables(), seed=0, battle=0)
    assert divergence is not None and steps == 2
    assert divergence.field.endswith(" hp") and divergence.field.startswith("p2 slot")
    assert divergence.left_value == divergence.right_value - 1
    assert "--against showdown:gen1 --seed 0 --battle 0" in divergence.replay


def test_verify_against_showdown_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["verify", str(SPEC), "--level", "3", "--against", "showdown:gen2"]) == 2
    assert "showdown:gen1" in capsys.readouterr().err
    report = tmp_path / "r.json"
    code = main(["verify", str(SPEC), "--level", "3", "--against", "showdown:gen1", "--battle", "1",
                 "--report", str(report)])  # fmt: skip
    assert code == 0 and report.exists()


def test_scenarios_agree_with_showdown(reference: ModuleType, bridge: ShowdownBridge) -> None:
    """Every scenario that Showdown's sets can carry (setup of moves at most) plays the same on Showdown,
    fed the spec's draws: HP, status, PP, stages, legal choices and draws after every round."""
    spec, _, program = load(str(SPEC))
    played = 0
    for scenario in spec.scenarios:
        if not playable_on_showdown(scenario):
            continue  # a status, counter or PP set up by hand: Showdown cannot start from it
        divergence = scenario_on_showdown(reference, bridge, program, scenario)
        assert divergence is None, f"{scenario.name}: {divergence.describe()}"
        played += 1
    assert played >= 9


def test_the_c_backend_against_showdown(capsys: pytest.CaptureFixture[str]) -> None:
    """`--backends c` lock-steps the C backend itself against Showdown (jax is refused: its state is immutable)."""
    assert main(["verify", str(SPEC), "--level", "3", "--against", "showdown:gen1", "--backends", "jax"]) == 2
    assert "python and c backends" in capsys.readouterr().err
    report = verify(str(SPEC), [3], against="showdown:gen1", episodes=2, seed=1, backends=["c"],
                    console=Console(file=io.StringIO()))  # fmt: skip
    level = report.levels[0]
    assert level.details["backend"] == "c" and level.details["steps"] > 50
    assert level.failed == 0 and level.passed == 2, level.divergence


def test_the_observation_shows_the_volatiles(reference: ModuleType) -> None:
    """Each player sees both active Pokémon's volatiles (here Ditto's Transform: the flag, the species it
    shows) and its own Substitute's HP, never the foe's."""
    from specc.verify.rollouts import episode_key, step_key

    key = episode_key(0, 109)  # Ditto leads for player 0 against Clefairy
    state = reference.init(key)
    for t in range(2):  # both use move slot 0: Ditto's Transform, Clefairy's Body Slam
        state = reference.step(state, 0, step_key(key, t))
    own, foe = 113, 180  # the blocks of volatiles: [flags x 12, Toxic counter, disabled slot, species, types x 2]
    mine, theirs = reference.observe(state, 0), reference.observe(state, 1)
    assert mine[own + 7] == 1 and mine[own + 14] == 34  # Ditto is transformed, showing Clefairy
    assert theirs[foe + 7] == 1 and theirs[foe + 14] == 34 and theirs[own + 7] == 0
    state.sub_hp[0] = 50
    assert reference.observe(state, 0)[own + 17] == 50
    np.testing.assert_array_equal(reference.observe(state, 1), theirs)


def test_random_teams_play_covered_moves_outside_the_pool(reference: ModuleType, bridge: ShowdownBridge) -> None:
    """`--teams random` gives every Pokémon four different covered moves (Toxic, Thrash... that the random-battle
    pool never picks) and still lock-steps with Showdown."""
    from specc.verify.gen1_showdown import restrict
    from specc.verify.rollouts import episode_key

    tables = Gen1Tables()
    state = restrict(reference, reference.init(episode_key(3, 0)), tables, draw=np.random.default_rng([3, 0, 1]))
    moves = np.asarray(state.moves)
    assert all(len(set(moves[p, i])) == 4 and set(moves[p, i]) <= tables.covered for p in range(2) for i in range(6))
    result = lockstep_showdown(reference, 2, seed=3, bridge=bridge, teams="random")
    assert result.divergence is None, result.divergence and result.divergence.describe()
    assert result.passed == 2 and result.details["teams"] == "random"
