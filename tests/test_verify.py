"""`specc verify`, `specc replay` and `specc mutate`, end to end.

Commands run as subprocesses in a temporary working folder, so the generated/ and
reports/ folders they write are temporary too (the repository's are never touched);
level 1 in particular runs pytest, which must not nest inside this pytest. Episode
and example counts are small: these tests check the verifier's plumbing, while
tests/test_equivalence.py plays the long games.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from specc import cli
from specc.errors import SpecError
from specc.loader import load, load_program
from specc.schema import ScenarioSpec
from specc.verify import parse_levels, verify
from specc.verify.mutation import Baseline, apply_edit, code_edits, load_source, spec_edits
from specc.verify.scenarios import action_index, run_scenarios

SPECS = Path(__file__).resolve().parents[1] / "specs"
TTT = SPECS / "tic_tac_toe.yaml"
# the broken build: after a mark on the centre the turn does not pass (JAX backend only)
GOOD_LINE = "    current_player = 1 - current_player\n"
BAD_LINE = "    current_player = jnp.where(board[4] == current_player + 1, current_player, 1 - current_player)\n"


def specc(*args: object, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the specc command line; stdout and stderr together in .stdout."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", COLUMNS="200")
    cmd = [sys.executable, "-m", "specc.cli", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)  # fmt: skip


def spec_copy(folder: Path, name: str = "tic_tac_toe") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text((SPECS / f"{name}.yaml").read_text())
    return path


# ---------------------------------------------------------------- a passing run


def test_verify_passes_levels_1_to_3_and_writes_a_json_report(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["verify", TTT, "--level", "1-3", "--episodes", 50, "--examples", 3, "--against", "pgx:tic_tac_toe"]
    run = specc(*args, "--report", out, cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert "all checks passed" in run.stdout
    report = json.loads(out.read_text())
    assert report["ok"] is True and report["spec"] == str(TTT)
    levels = [(lv["level"], lv["name"]) for lv in report["levels"]]
    assert levels == [(1, "properties"), (2, "scenarios"), (3, "rollouts"), (3, "rollouts vs pgx:tic_tac_toe")]
    for lv in report["levels"]:
        assert lv["checks"] > 0 and lv["failed"] == 0 and lv["passed"] == lv["checks"], lv
    assert report["levels"][0]["checks"] >= 9  # one check per property test
    rollouts = report["levels"][2]["details"]
    assert rollouts["episodes"] == 50 and rollouts["steps"] > 50
    assert all(count > 0 for count in rollouts["coverage"].values())  # 50 games reach every rule


# ---------------------------------------------------------------- a broken build


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """A spec copy, compiled into gen/ with its env.py patched, verified once at level 3
    with --save-regressions."""
    work = tmp_path_factory.mktemp("broken")
    spec = spec_copy(work)
    assert specc("compile", spec.name, "--out", "gen", cwd=work).returncode == 0
    env = work / "gen" / "env.py"
    assert env.read_text().count(GOOD_LINE) == 1
    env.write_text(env.read_text().replace(GOOD_LINE, BAD_LINE))
    run = specc("verify", spec.name, "--level", "3", "--episodes", 50, "--generated", "gen", "--save-regressions",
                cwd=work)  # fmt: skip
    return work, run


def test_level_3_fails_on_a_broken_build_and_names_the_divergence(broken) -> None:
    work, run = broken
    assert run.returncode == 1, run.stdout
    assert "verification failed" in run.stdout
    m = re.search(r"first divergence \(level 3\): episode (\d+), step (\d+): (\w+) differs", run.stdout)
    assert m and m.group(3) == "current_player", run.stdout
    values = re.search(r"specc-jax: (\d)\n\s+specc-python: (\d)\n", run.stdout)  # both values
    assert values and {values.group(1), values.group(2)} == {"0", "1"}, run.stdout
    report = json.loads((work / "reports" / "verify_tic_tac_toe.json").read_text())
    div = report["levels"][0]["divergence"]
    assert report["ok"] is False and div["field"] == "current_player"
    assert (div["episode"], div["step"]) == (int(m.group(1)), int(m.group(2)))
    assert div["actions"][-1] == 4 and len(div["actions"]) == div["step"]  # the centre, just played
    assert f"checking {work / 'gen'} as it is; it differs from what the spec compiles to now: env.py" in run.stdout


def test_the_printed_replay_command_reproduces_the_divergence(broken) -> None:
    work, run = broken
    line = next(ln for ln in run.stdout.splitlines() if "replay: specc replay" in ln)
    args = shlex.split(line.split("replay: specc ", 1)[1])
    assert args[0] == "replay" and "--generated" in args
    again = specc(*args, cwd=work)
    assert again.returncode == 1, again.stdout
    assert "backends differ on current_player" in again.stdout
    assert re.search(r"specc-jax:\s+(\d)\n\s+specc-python:\s+(?!\1)\d", again.stdout), again.stdout
    i = args.index("--generated")
    fixed = specc(*args[:i], *args[i + 2 :], cwd=work)  # the spec compiled afresh: no difference
    assert fixed.returncode == 0, fixed.stdout


def test_save_regressions_writes_a_scenario_that_level_2_runs(broken) -> None:
    work, run = broken
    saved = work / "tic_tac_toe.regressions.yaml"
    assert "saved the first divergence as a regression scenario" in run.stdout
    scenarios = yaml.safe_load(saved.read_text())
    assert len(scenarios) == 1
    sc = scenarios[0]
    assert sc["name"].startswith("regression: specc-jax vs specc-python")
    assert list(sc["expect"]) == ["current_player"] and sc["play"][-1] == 4
    right = sc["expect"]["current_player"]  # the reference's: the turn passed
    ScenarioSpec(**sc)  # the spec's own scenario schema

    on_broken = specc("verify", "tic_tac_toe.yaml", "--level", "2", "--generated", "gen", "--report", "b.json",
                      cwd=work)  # fmt: skip
    assert on_broken.returncode == 1
    failures = json.loads((work / "b.json").read_text())["levels"][0]["failures"]
    assert f"{sc['name']} on jax: current_player: expected {right}, got {1 - right}" in failures
    on_fixed = specc("verify", "tic_tac_toe.yaml", "--level", "2", "--report", "fixed.json", cwd=work)
    assert on_fixed.returncode == 0, on_fixed.stdout
    ran = json.loads((work / "fixed.json").read_text())["levels"][0]["details"]["scenarios"]
    assert ran == len(load(work / "tic_tac_toe.yaml")[0].scenarios) + 1


LEVEL_1_TWICE = """
import sys
from pathlib import Path
from specc.compiler import compile_spec, write
from specc.verify import level_properties

compiled = compile_spec(sys.argv[1])
for i, (good, bad) in enumerate([("", ""), sys.argv[2:4]]):
    out = write(compiled, Path(f"copy{i}") / "tic_tac_toe")
    (out / "env.py").write_text((out / "env.py").read_text().replace(good, bad))
    result = level_properties(out / "test_tic_tac_toe.py", 3)
    print(i, result.checks, result.failed)
"""


def test_level_1_runs_the_files_on_disk_each_time(tmp_path: Path) -> None:
    """Two level-1 runs in one process on two copies of generated/NAME/ (as `specc mutate`
    makes): the second must test its own, broken env.py, not the module pytest cached.
    (This was a bug: the second run reused the first copy's test module, or collected nothing.)"""
    first_player = "current_player = _roll(_words[0], 2)"
    script = tmp_path / "twice.py"
    script.write_text(LEVEL_1_TWICE)
    run = subprocess.run([sys.executable, script, TTT, first_player, first_player + " + 2"], cwd=tmp_path,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)  # fmt: skip
    lines = run.stdout.strip().splitlines()[-2:]
    assert lines[0] == "0 11 0", run.stdout  # eleven properties, all hold
    second, checks, failed = map(int, lines[1].split())
    # player 2 or 3 moves first: out of range in every example, so this fails whatever hypothesis draws
    assert second == 1 and checks == 11 and failed >= 1, run.stdout


DATA = Path(__file__).resolve().parent / "data" / "verify"


@pytest.mark.parametrize("name, leaks", [("peek_at_25", True), ("peek_honest", False)])
def test_level_1_checks_hidden_fields_in_every_state_of_a_sequence(tmp_path: Path, name: str, leaks: bool) -> None:
    """peek_at_25 shows the opponent's hidden card in one state only (turn counter 25, of
    40): level 1 looked at the last state of a sequence and passed it; now it fails, naming
    that state, on each backend (JAX, the Python reference and C). Its honest twin passes."""
    spec = tmp_path / f"{name}.yaml"
    spec.write_text((DATA / f"{name}.yaml").read_text())
    report = tmp_path / "report.json"
    run = specc("verify", spec.name, "--level", "1", "--examples", 3, "--report", report, cwd=tmp_path)
    level = json.loads(report.read_text())["levels"][0]
    assert level["details"]["backends"] == ["jax", "python", "c"], run.stdout
    assert level["checks"] == 11 + 9 + 11, run.stdout  # the reference has no batched step and no compile
    if not leaks:
        assert run.returncode == 0 and level["failed"] == 0, run.stdout
        return
    assert run.returncode == 1 and level["failed"] == 3, run.stdout
    for failure, prefix in zip(level["failures"], ["", "python: ", "c: "], strict=True):
        assert failure.startswith(f"{prefix}test_observation_shows_only_what_the_player_may_see: AssertionError: ")
        assert "observation of state 25 changes when hidden fields are scrambled" in failure, failure


# the C build's bug: the turn passes to player 2 or 3, no player (native.c only)
C_GOOD = "    s->current_player = _wsub(1, s->current_player);\n"
C_BAD = "    s->current_player = _wsub(3, s->current_player);\n"


def test_a_bug_in_the_c_build_only_fails_levels_1_and_3_on_c(tmp_path: Path) -> None:
    """C is a backend like the others: a bug in native.c alone fails its level-1 properties
    (JAX's pass) and its lock-step with JAX (`--backends jax,c`: no Python reference)."""
    spec = spec_copy(tmp_path)
    assert specc("compile", spec.name, "--out", "gen", cwd=tmp_path).returncode == 0
    c_file = tmp_path / "gen" / "native.c"
    assert c_file.read_text().count(C_GOOD) == 1
    c_file.write_text(c_file.read_text().replace(C_GOOD, C_BAD))
    report = tmp_path / "report.json"
    run = specc("verify", spec.name, "--level", "1,3", "--backends", "jax,c", "--generated", "gen", "--examples", 3,
                "--episodes", 20, "--report", report, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 1, run.stdout
    assert "it differs from what the spec compiles to now: native.c" in " ".join(run.stdout.split())
    properties, rollouts = json.loads(report.read_text())["levels"]
    assert properties["details"]["backends"] == ["jax", "c"] and properties["checks"] == 22
    assert properties["failed"] >= 1 and all(f.startswith("c: ") for f in properties["failures"]), properties
    assert any(f.startswith("c: test_fields_keep_their_type_and_range") for f in properties["failures"])
    assert rollouts["details"]["backends"] == ["specc-jax", "specc-c"] and rollouts["failed"] == 20  # every episode
    div = rollouts["divergence"]
    assert (div["left"], div["right"], div["step"], div["field"]) == ("specc-c", "specc-jax", 1, "current_player")
    assert div["left_value"] in (2, 3) and div["right_value"] in (0, 1)
    assert "no rule coverage: the Python reference is not among the backends" in " ".join(run.stdout.split())
    args = shlex.split(div["replay"].removeprefix("specc "))  # replays that very pair
    assert args[-2:] == ["--backends", "c,jax"] and "--generated" in args, div["replay"]
    again = specc(*args, cwd=tmp_path)
    assert again.returncode == 1 and "step 1 " in again.stdout and "backends differ on current_player" in again.stdout
    assert re.search(r"specc-c:\s+[23]\n\s+specc-jax:\s+[01]\n", again.stdout), again.stdout


def test_level_3_lock_steps_c_and_jax_alone(tmp_path: Path) -> None:
    """The small version of the flagship's 10,000-episode run (`specc verify specs/tcg.yaml
    --level 3 --backends c,jax --episodes 10000`, BENCHMARKS.md), on connect four."""
    report = tmp_path / "report.json"
    run = specc("verify", SPECS / "connect_four.yaml", "--level", "3", "--backends", "c,jax", "--episodes", 40,
                "--report", report, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stdout
    assert re.search(r"level 3 rollouts: specc-c, specc-jax in lock-step, 40 episodes, (\d+) steps", run.stdout)
    (level,) = json.loads(report.read_text())["levels"]
    details = level["details"]
    assert details["backends"] == ["specc-c", "specc-jax"] and details["episodes"] == 40
    assert details["steps"] >= 40 * 7  # a connect four game lasts 7 moves at least
    assert level["checks"] == details["steps"] + 40 and level["failed"] == 0  # each state: the init and each step
    assert "coverage" not in details


@pytest.mark.parametrize("args, message", [
    (["--backends", "jax,cuda"], "--backends takes some of jax, python, c, each once (e.g. c,jax); got 'jax,cuda'"),
    (["--backends", "c,c"], "--backends takes some of jax, python, c, each once"),
    (["--backends", "c", "--level", "3"], "level 3 lock-steps two backends or more; --backends names c"),
])  # fmt: skip
def test_bad_backends_exit_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["verify", str(TTT), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


KUHN = Path(__file__).resolve().parent / "data" / "peers" / "kuhn_poker.yaml"


def kuhn_variant(tmp_path: Path, **changes: tuple[str, str]) -> Path:
    """tests/data/peers/kuhn_poker.yaml with text replaced: name=(old, new)."""
    text = KUHN.read_text()
    for old, new in changes.values():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "kuhn_poker.yaml"
    path.write_text(text)
    return path


def lockstep_kuhn(spec: Path, out: Path, episodes: int, game: str = "kuhn_poker"):
    import specc
    from specc.verify.peers import chance_cells, lockstep_peer

    module = specc.make(spec, out_dir=out).module
    cells = chance_cells(*load(spec), f"openspiel:{game}")
    return lockstep_peer(module, f"openspiel:{game}", episodes, chance=cells)


@pytest.mark.parametrize("game, least_steps", [("kuhn_poker", 2), ("leduc_poker", 3)])
def test_openspiel_chance_nodes_replay_the_specs_deal(tmp_path: Path, game: str, least_steps: int) -> None:
    """OpenSpiel's Kuhn poker starts at two chance nodes (the cards), Leduc's has a third
    after the first betting round (the public card): the spec's peers.openspiel:ID.chance
    names the cells holding them; 300 games in lock-step agree at every step."""
    result = lockstep_kuhn(KUHN.with_name(f"{game}.yaml"), tmp_path / "out", 300, game)
    assert result.failed == 0 and result.divergence is None, result.failures[:3]
    assert result.details["episodes"] == 300 and result.details["steps"] >= least_steps * 300
    assert result.checks == 300 + result.details["steps"]  # after the deal, then after every action


def test_openspiel_lockstep_catches_a_wrong_showdown(tmp_path: Path) -> None:
    spec = kuhn_variant(tmp_path, lower=("if card[0] > card[1]", "if card[0] < card[1]"))
    result = lockstep_kuhn(spec, tmp_path / "out", 100)
    assert result.failed > 0 and result.divergence.field == "mover_reward", result.failures
    assert result.divergence.actions in ([0, 0], [1, 1], [0, 1, 1])  # a showdown


def test_a_chance_outcome_openspiel_refuses_is_a_divergence_on_chance(tmp_path: Path) -> None:
    """card[0] dealt twice: OpenSpiel allows only the two cards left for player 1."""
    spec = kuhn_variant(tmp_path, twice=('chance: ["card[0]", "card[1]"]', 'chance: ["card[0]", "card[0]"]'))
    result = lockstep_kuhn(spec, tmp_path / "out", 5)
    div = result.divergence
    assert result.failed == 5 and (div.episode, div.step, div.field) == (0, 0, "chance")  # every game, at the deal
    assert int(div.left_value) not in div.right_value.tolist() and len(div.right_value) == 2


@pytest.mark.parametrize("cells, message", [
    ('["card[0]", "hand[1]"]', "kuhn_poker.yaml:63:25: 'hand' is no state field (chance cells name the state: card,"),
    ('["card[0]", "card[2]"]', "kuhn_poker.yaml:63:25: 'card[2]': card has shape [2], so a cell takes 1 index(es)"),
    ('["card[0]", "card[x]"]', "kuhn_poker.yaml:63:25: a chance cell is a state field, indexed by whole numbers"),
    ('["card[0]", "pot[0, 1]"]', "kuhn_poker.yaml:63:25: 'pot[0, 1]': pot has shape [2], so a cell takes 1"),
])  # fmt: skip
def test_bad_chance_cells_name_their_place(tmp_path: Path, cells: str, message: str) -> None:
    from specc.verify.peers import chance_cells

    spec = kuhn_variant(tmp_path, cells=('chance: ["card[0]", "card[1]"]', f"chance: {cells}"))
    with pytest.raises(SpecError) as err:
        chance_cells(*load(spec), "openspiel:kuhn_poker")
    assert str(err.value).startswith(str(spec)) and message in str(err.value), str(err.value)


def test_too_few_chance_cells_stop_at_the_chance_node_they_miss(tmp_path: Path) -> None:
    spec = kuhn_variant(tmp_path, cells=('chance: ["card[0]", "card[1]"]', 'chance: ["card[0]"]'))
    with pytest.raises(SpecError, match=r"reaches chance node 2 but the spec's peers.openspiel:kuhn_poker.chance "
                                        r"lists 1 cell\(s\)"):  # fmt: skip
        lockstep_kuhn(spec, tmp_path / "out", 3)


@pytest.mark.parametrize("cells, message", [
    ("[]", "openspiel:kuhn_poker reaches chance node 1 but the spec's peers.openspiel:kuhn_poker.chance lists 0"),
    ('["card[0]", "hand[1]"]', "kuhn_poker.yaml:63:25: 'hand' is no state field"),
])  # fmt: skip
def test_missing_chance_cells_exit_2_with_one_line(tmp_path: Path, cells: str, message: str) -> None:
    spec = kuhn_variant(tmp_path, cells=('chance: ["card[0]", "card[1]"]', f"chance: {cells}"))
    run = specc("verify", spec.name, "--level", "3", "--episodes", 3, "--against", "openspiel:kuhn_poker", cwd=tmp_path)
    assert run.returncode == 2 and message in run.stdout, run.stdout
    errors = [line for line in run.stdout.strip().splitlines() if not line.lstrip().startswith(".. ")]  # not progress
    assert len(errors) == 1 and message in errors[0], run.stdout


# ---------------------------------------------------------------- level 2


def test_a_wrong_expectation_fails_level_2_on_both_backends_citing_the_rule(tmp_path: Path) -> None:
    spec = spec_copy(tmp_path)
    data = yaml.safe_load(spec.read_text())
    data["scenarios"] = [{
        "name": "a column of three",
        "rule": "three in a row wins",
        "setup": {"current_player": 0, "board": [1, 2, 0, 1, 2, 0, 0, 0, 0]},
        "play": ["place(6)"],
        "expect": {"terminated": False},  # wrong: it wins
    }]  # fmt: skip
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    run = specc("verify", spec.name, "--level", "2", cwd=tmp_path)
    assert run.returncode == 1, run.stdout
    for backend in ("jax", "python"):
        want = f"a column of three [three in a row wins] on {backend}: terminated: expected False, got True"
        assert want in run.stdout, run.stdout


def test_a_wrong_expectation_in_process(make_env) -> None:
    spec, source, program = load(TTT)
    wrong = ScenarioSpec(name="two in a row", rule="three in a row wins", setup={"current_player": 0},
                         play=["place(0)", "place(4)", "place(1)"], expect={"terminated": True})  # fmt: skip
    backends = {b: make_env("tic_tac_toe", b).module for b in ("jax", "python")}
    result = run_scenarios(program, source, [wrong], backends)
    assert result.failed == 2 and result.passed == 1  # both backends wrong; they agree with each other
    assert all("[three in a row wins]" in f for f in result.failures)


def test_scenario_actions_by_name_map_to_flat_indices(tmp_path: Path) -> None:
    ttt, c4 = load_program(TTT), load_program(SPECS / "connect_four.yaml")
    assert [action_index(ttt, f"place({i})") for i in range(9)] == list(range(9))
    assert action_index(ttt, " place( 4 ) ") == 4 and action_index(ttt, 4) == 4
    assert action_index(c4, "drop(6)") == 6
    two = tmp_path / "two.yaml"  # two kinds, two parameters: offsets and row-major order
    two.write_text(
        "specc: 1\nname: two_params\nplayers: 2\n"
        'state:\n  board: {type: "int8[9]", init: 0, range: [0, 2]}\n'
        "actions:\n"
        '  resign: {legal: "true", effect: lose(current_player)}\n'
        "  place:\n"
        '    params: {row: "0..3", col: "0..3"}\n'
        "    legal: board[row * 3 + col] == 0\n"
        "    effect: |\n      board[row * 3 + col] = current_player + 1\n      current_player = 1 - current_player\n"
        'observe: {type: "int8[9]", value: board}\n'
        "rewards: {range: [-1, 1], zero_sum: true}\n"
    )
    program = load_program(two)
    assert action_index(program, "resign") == 0
    assert action_index(program, "place(0, 0)") == 1
    assert action_index(program, "place(1, 2)") == 1 + 1 * 3 + 2
    assert action_index(program, "place(2,2)") == 9
    bad = {"place(9)": "must be in 0..9", "place(1, 2)": "takes 1 parameter", "jump(1)": "unknown action kind",
           "place(x)": "whole number", 9: "out of range"}  # fmt: skip
    for action, why in bad.items():
        with pytest.raises(ValueError, match=re.escape(why)):
            action_index(ttt, action)


# ---------------------------------------------------------------- level 3 coverage


def test_rule_coverage_reports_a_branch_never_reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    monkeypatch.chdir(tmp_path)  # verify compiles into ./generated/
    report = verify(str(TTT), [3], episodes=1, console=Console(file=io.StringIO()))
    level = report.levels[0]
    assert report.ok and level.details["episodes"] == 1
    coverage = level.details["coverage"]
    never = [point for point, count in coverage.items() if count == 0]
    # one game ends once: by a line or by a full board, never both
    assert any("if at line" in p and p.endswith(": true") for p in never), coverage
    assert coverage["action place"] >= 5  # a game takes five moves at least
    assert {f"rule never reached in 1 episodes: {p}" for p in never} <= set(level.warnings)
    shown = io.StringIO()
    report.print(Console(file=shown, width=200))
    assert "warning (level 3): rule never reached in 1 episodes: place" in shown.getvalue()


# ---------------------------------------------------------------- --level


@pytest.mark.parametrize("text, levels", [("1-3", [1, 2, 3]), ("2", [2]), ("1,3", [1, 3]), ("3,1-2", [1, 2, 3])])
def test_level_parsing(text: str, levels: list[int]) -> None:
    assert parse_levels(text) == levels


@pytest.mark.parametrize("text", ["0", "5", "x", "", "1-", "3-1"])
def test_bad_levels_exit_2_with_one_line(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SpecError):
        parse_levels(text)
    assert cli.main(["verify", str(TTT), "--level", text]) == 2
    err = capsys.readouterr().err
    assert "--level" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- specc mutate


def test_mutation_operators_and_the_behaviour_check() -> None:
    from specc.compiler import compile_spec

    compiled = compile_spec(TTT)
    source = compiled.files["env.py"]
    edits = code_edits(source)
    ops = {e.operator for e in edits}
    assert ops == {"compare", "off_by_one", "constant", "drop", "swap_branches", "logic"}
    assert {e.operator for e in spec_edits(compiled.program)} == ops
    plain = ast.unparse(ast.parse(source))
    for e in edits[:: max(1, len(edits) // 25)]:
        assert ast.unparse(ast.parse(apply_edit(source, e))) != plain, e.change  # one real edit, still Python
    original = load_source(source, "test_verify_original_env")
    baseline = Baseline(original, episodes=64, seed=0, max_steps=12)
    assert baseline.difference(original) is None
    # the win's reward, 1.0 -> 0.0 (whatever name the generated code gives the new rewards)
    reward = next(e for e in edits if e.change.endswith("1.0 -> 0.0") and "_outcome(current_player, 1.0)" in e.change)
    mutant = load_source(apply_edit(source, reward), "test_verify_mutant_env")
    assert "rewards" in (baseline.difference(mutant) or "")


def test_specc_mutate_on_a_small_budget_reports_a_share(tmp_path: Path) -> None:
    out = tmp_path / "mutate.json"
    args = ["mutate", TTT, "--max-mutants", 2, "--levels", "1-3", "--episodes", 20, "--examples", 2]
    run = specc(*args, "--report", out, cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert re.search(r"caught \d+(\.\d)?% of the mutants that change behaviour", run.stdout), run.stdout
    report = json.loads(out.read_text())
    assert set(report["families"]) == {"code", "spec"}
    assert report["stages"] == ["3", "2", "1"]
    assert len(report["mutants"]) == 4
    for m in report["mutants"]:
        assert m["status"] in {"equivalent", "invalid", "compile", "caught", "missed"}
        assert bool(m["caught_by"]) == (m["status"] == "caught")
    for fam in report["families"].values():
        share = fam["share"]
        assert share is None or 0.0 <= share <= 1.0
        assert fam["table"]["all"]["mutants"] == 2


def test_coverage_adds_up_the_copies_of_a_procedure_inlined_twice(tmp_path: Path, monkeypatch) -> None:
    """`bump` runs twice per move; its branch is taken only by the first call (x even then),
    so counting only the last copy would call a reached rule never reached."""
    from rich.console import Console

    spec = tmp_path / "twice.yaml"
    spec.write_text(
        "specc: 1\nname: twice\nplayers: 1\n"
        "state:\n  x: {type: int8, init: 0, range: [0, 100]}\n"
        "procedures:\n  bump:\n    body: |\n      if x % 2 == 0:\n          x += 1\n      else:\n          x += 2\n"
        "actions:\n  go:\n    effect: |\n      bump()\n      bump()\n      if x >= 9:\n          terminate()\n"
        'observe: {type: "int8[1]", value: "[x]"}\nrewards: {range: [0, 1]}\n'
    )
    monkeypatch.chdir(tmp_path)
    report = verify(str(spec), [3], episodes=2, console=Console(file=io.StringIO()))
    coverage = report.levels[0].details["coverage"]
    # x goes 0 -> 1 -> 3, 5 -> 7, 9 -> 11: the `true` branch once a game, by the first copy
    assert report.ok and coverage["go: if at line 9: true"] == 2 and coverage["go: if at line 9: false"] == 10
