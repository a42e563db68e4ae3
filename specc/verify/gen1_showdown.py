"""Lock-step of specs/gen1.yaml against Pokémon Showdown (`specc verify SPEC --against showdown:gen1`).

Each battle starts from the spec's init (teams drawn from data/gen1/teams.csv) and sends the
same teams to Showdown through the node bridge. Random legal choices are played on the spec;
once both sides have chosen (or the side that must replace a fainted Pokémon has), the same
choices go to Showdown together with the values the spec drew in those steps, in order (the
spec logs them in its hidden `draws` field), so Showdown's PRNG gives exactly the spec's
numbers. A battle diverges when Showdown wants a draw the spec did not make, leaves one unused,
draws over another range, or when after the turn any Pokémon's HP, status, fainting, PP, the
active Pokémon, its stat stages, the legal choices, the end or the winner differ.

`covered_moves()` is the harness's team pool: moves whose mechanics the spec has so far. A
move outside it is taken off both teams before the battle (a Pokémon left with none keeps
Tackle), so every battle plays only what the spec claims to cover.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import SpecError
from ..schema import ScenarioSpec
from .report import Divergence, LevelResult
from .rollouts import choose, episode_key, step_key
from .scenarios import action_index, start
from .showdown import ROOT, ShowdownBridge, ShowdownError, Snapshot

DATA = ROOT / "data" / "gen1"
STATUS = ["", "brn", "frz", "par", "psn", "slp", "tox"]
BOOSTS = ["atk", "def", "spa", "spe", "accuracy", "evasion"]  # spa is Gen 1's Special
STATS = BOOSTS[:4]
# the mechanics (moves.kind) the spec covers so far
COVERED_KINDS = {"damage", "recoil", "inflict_status", "stat_stage", "recharge", "level_damage", "fixed_damage",
                 "half_hp", "self_destruct", "drain", "rest", "heal_half", "reflect", "light_screen", "confuse",
                 "multi_hit", "crash_on_miss", "counter", "two_turn", "substitute", "mirror_move",
                 "mimic", "transform", "no_effect", "ohko", "psywave", "focus_energy", "conversion",
                 "dream_eater", "leech_seed", "haze", "mist", "rampage", "disable"}  # fmt: skip
# moves with Showdown hooks whose behaviour the spec has (Thunder's hook is about rain, not in Gen 1)
HOOKS_COVERED = {"thunder", "superfang", "rest", "recover", "softboiled", "counter", "reflect", "lightscreen",
                 "jumpkick", "highjumpkick", "razorwind", "solarbeam", "skullbash", "skyattack",
                 "substitute", "mirrormove", "mimic", "transform", "payday", "splash", "minimize", "defensecurl",
                 "focusenergy", "psywave", "conversion", "dreameater", "toxic", "leechseed", "haze",
                 "mist", "disable"}  # fmt: skip


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def covered_moves(moves: list[dict[str, str]]) -> set[int]:
    """The MOVES rows the harness puts in teams: covered mechanics, hooks only where the spec has what they do."""

    def covered(m: dict[str, str]) -> bool:
        return (m["kind"] in COVERED_KINDS and m["name"] != "struggle"
                and (not m["hooks"] or m["name"] in HOOKS_COVERED))  # fmt: skip

    return {i for i, m in enumerate(moves) if covered(m)}


class Gen1Tables:
    """The CSV tables the harness needs to name what the spec's numbers mean."""

    def __init__(self) -> None:
        self.species = _rows("species")
        self.moves = _rows("moves")
        self.teams = _rows("teams")
        self.covered = covered_moves(self.moves)
        self.tackle = next(i for i, m in enumerate(self.moves) if m["name"] == "tackle")


TEAMS = ("pool", "random")


def restrict(module: ModuleType, state: Any, tables: Gen1Tables, keep_all: bool = False,
             draw: np.random.Generator | None = None) -> Any:  # fmt: skip
    """The state with every move outside the covered pool taken off (Tackle for a Pokémon left with none),
    each move at its full PP; with keep_all, every move is kept (only the PP is reset); with `draw`, every
    Pokémon gets four different covered moves drawn from it instead (the random-battle pool never picks
    moves such as Toxic or Wrap: these teams play every covered move)."""
    moves = np.array(state.moves)
    pp = np.array(state.pp)
    pool = sorted(tables.covered)
    for p in range(2):
        for i in range(6):
            keep = [int(m) for m in moves[p, i] if m >= 0 and (keep_all or int(m) in tables.covered)]
            if draw is not None:
                keep = [pool[j] for j in draw.choice(len(pool), 4, replace=False)]
            keep = keep or [tables.tackle]
            for k in range(4):
                mv = keep[k] if k < len(keep) else -1
                moves[p, i, k] = mv
                base = int(tables.moves[mv]["pp"]) if mv >= 0 else 0
                pp[p, i, k] = 0 if mv < 0 else base * 8 // 5 - (3 if base == 40 else 0)
    state.moves, state.pp = moves.astype(state.moves.dtype), pp.astype(state.pp.dtype)
    return module.refresh(state)


def showdown_team(state: Any, p: int, tables: Gen1Tables) -> list[dict[str, Any]]:
    """Side p's team as Showdown sets: species, level, moves, stat experience and ivs from teams.csv."""
    team = []
    for i in range(6):
        row = tables.teams[int(state.team[p]) * 6 + i]
        moves = [tables.moves[int(m)]["name"] for m in state.moves[p, i] if m >= 0]
        stats = ("hp", "atk", "def", "spa", "spd", "spe")
        cols = ("hp", "atk", "def", "spc", "spc", "spe")
        team.append({
            "species": tables.species[int(state.species[p, i])]["name"], "level": int(state.level[p, i]),
            "moves": moves, "evs": {s: int(row[f"ev_{c}"]) for s, c in zip(stats, cols, strict=True)},
            "ivs": {s: int(row[f"iv_{c}"]) for s, c in zip(stats, cols, strict=True)},
        })  # fmt: skip
    return team


def drawn(state: Any) -> list[tuple[int, int, int]]:
    """The (value, lo, hi) of each draw the spec made in its last step."""
    n = int(state.ndraws)
    return [(int(state.draws[k]), int(state.draw_lo[k]), int(state.draw_hi[k])) for k in range(n)]


def compare(state: Any, snap: Snapshot, tables: Gen1Tables) -> list[tuple[str, Any, Any]]:
    """(field, spec's value, Showdown's value) for every field that differs after a turn: each Pokémon's
    HP, fainting, status, moves and PP; the active one's stat stages, species, stats and modified stats
    (what a Transform copies); the end and the winner."""
    out: list[tuple[str, Any, Any]] = []
    for p, side in enumerate(snap.sides):
        if not snap.ended:
            if side.active != int(state.active[p]):
                out.append((f"p{p + 1} active", int(state.active[p]), side.active))
        for i, mon in enumerate(side.pokemon):
            name = f"p{p + 1} slot {i} ({mon.species})"
            hp = int(state.hp[p, i])
            if hp != mon.hp:
                out.append((f"{name} hp", hp, mon.hp))
            if (hp <= 0) != mon.fainted:
                out.append((f"{name} fainted", hp <= 0, mon.fainted))
            status = STATUS[int(state.status[p, i])]
            if status != mon.status and not mon.fainted:
                out.append((f"{name} status", status, mon.status))
            pps = [int(state.pp[p, i, k]) for k in range(len(mon.moves))]
            if pps != [m.pp for m in mon.moves]:
                out.append((f"{name} pp", pps, [m.pp for m in mon.moves]))
            names = [tables.moves[int(m)]["name"] for m in state.moves[p, i] if m >= 0]
            if names != [m.id for m in mon.moves]:
                out.append((f"{name} moves", names, [m.id for m in mon.moves]))
            if mon.active and not mon.fainted:
                boosts = [int(b) for b in state.boosts[p]]
                theirs = [mon.boosts[b] for b in BOOSTS]
                if boosts != theirs:
                    out.append((f"{name} stat stages", boosts, theirs))
                form = tables.species[int(state.form[p])]["name"]
                if form != mon.species:
                    out.append((f"{name} species", form, mon.species))
                out += compare_volatiles(state, p, mon, name)
                for field, mine, theirs in (("stats", state.stored[p], mon.stats),
                                            ("modified stats", state.mod[p], mon.modified_stats)):  # fmt: skip
                    values = [int(v) for v in mine]
                    if values != [theirs[s] for s in STATS]:
                        out.append((f"{name} {field}", values, [theirs[s] for s in STATS]))
    ended = bool(state.terminated)
    if ended != snap.ended:
        out.append(("ended", ended, snap.ended))
    elif ended:
        r = np.asarray(state.rewards)
        winner = "p1" if r[0] > r[1] else "p2" if r[1] > r[0] else "tie"
        if winner != (snap.winner or "tie"):
            out.append(("winner", winner, snap.winner))
    return out


# the spec's flag of each Showdown volatile the lock-step compares, and the counter that goes with it
VOLATILES = {"reflect": ("reflect", None, None), "lightscreen": ("light_screen", None, None),
             "confusion": ("confused", "confusion_turns", "time"), "substitute": ("substitute", "sub_hp", "hp"),
             "mustrecharge": ("recharge", None, None), "twoturnmove": ("charging", None, None),
             "focusenergy": ("focus", None, None), "leechseed": ("seeded", None, None), "mist": ("mist", None, None),
             "residualdmg": (None, "toxic", "counter"),
             "lockedmove": ("thrashing", "rampage_turns", "time"),
             "disable": ("disabled_slot", "disable_turns", "time")}  # fmt: skip


def compare_volatiles(state: Any, p: int, mon: Any, name: str) -> list[tuple[str, Any, Any]]:
    """Side p's active Pokémon's volatiles (VOLATILES) against Showdown's: present or not, and their counters."""
    out = []
    for vid, (flag, counter, key) in VOLATILES.items():
        theirs = mon.volatiles.get(vid)
        value = getattr(state, flag)[p] if flag is not None else None
        mine = None if flag is None else bool(value) if value.dtype == bool else int(value) >= 0  # a slot: -1 none
        if flag is not None and mine != (theirs is not None):
            out.append((f"{name} volatile {vid}", mine, theirs is not None))
        elif counter is not None:
            mine = int(getattr(state, counter)[p])
            value = -1 if theirs is None else theirs.get(key)
            if (flag is None or theirs is not None) and mine != value:
                out.append((f"{name} volatile {vid} {key}", mine, value))
    return out


def legal_choices(state: Any, side: Any, p: int) -> list[str]:
    """The spec's legal actions for side p as Showdown's choice strings."""
    mask = np.asarray(state.legal_action_mask)
    moves = [f"move {m + 1}" for m in range(4) if mask[m]]
    switches = [side.switch(s) for s in range(6) if mask[4 + s]]
    return sorted(moves + switches)


def play_battle(module: ModuleType, bridge: ShowdownBridge, tables: Gen1Tables, seed: int, battle: int,
                max_turns: int = 1000, backend: str = "python",
                teams: str = "pool") -> tuple[int, Divergence | None]:  # fmt: skip
    """One battle in lock-step; (spec steps played, the first divergence or None). `teams`: pool (the
    random-battle sets, uncovered moves taken off) or random (four covered moves drawn for each Pokémon)."""
    if teams not in TEAMS:
        raise SpecError(f"--teams takes {' or '.join(TEAMS)}, got {teams!r}")
    key = episode_key(seed, battle)
    rng = np.random.default_rng([seed, battle])
    draw = np.random.default_rng([seed, battle, 1]) if teams == "random" else None
    state = restrict(module, module.init(key), tables, draw=draw)

    def pick(state: Any, t: int) -> int | None:
        return None if int(state.turn) >= max_turns else choose(rng, np.asarray(state.legal_action_mask))

    replay = f"specc verify specs/gen1.yaml --level 3 --against showdown:gen1 --seed {seed} --battle {battle}"
    replay += "" if backend == "python" else f" --backends {backend}"
    replay += "" if teams == "pool" else f" --teams {teams}"
    return lockstep(module, bridge, tables, key, state, pick, seed, battle, replay)


def lockstep(module: ModuleType, bridge: ShowdownBridge, tables: Gen1Tables, key: Any, state: Any,
             pick: Callable[[Any, int], int | None], seed: int, battle: int,
             replay: str) -> tuple[int, Divergence | None]:  # fmt: skip
    """Play the spec from `state` with the actions `pick(state, t)` gives (None: stop) and Showdown
    alongside, comparing after every round of choices; (spec steps played, the first divergence)."""
    actions: list[int] = []
    t = 0

    def diverged(field: str, mine: Any, theirs: Any) -> Divergence:
        return Divergence("specc", "showdown:gen1", battle, int(state.turn), field, mine, theirs, seed,
                          list(actions), replay)  # fmt: skip

    teams = [showdown_team(state, p, tables) for p in range(2)]
    pending = drawn(state)
    try:
        snap = bridge.start(teams[0], teams[1], draws=[v for v, _, _ in pending], strict=True)
    except ShowdownError as err:
        return 0, diverged("draws", pending, str(err))
    choices = ["", ""]
    while True:
        bad = check_draws(pending, snap) or compare(state, snap, tables)
        if bad:
            return t, diverged(*bad[0])
        if snap.ended or bool(state.terminated):
            return t, None
        pending, choices = [], ["", ""]
        while True:  # the spec's steps until the round of choices is complete
            p = int(state.current_player)
            side = snap.sides[p]
            mine = legal_choices(state, side, p)
            if mine != sorted(side.request):
                return t, diverged(f"p{p + 1} legal choices", mine, sorted(side.request))
            action = pick(state, t)
            if action is None:
                return t, None
            choices[p] = f"move {action + 1}" if action < 4 else side.switch(action - 4)
            state = module.step(state, action, step_key(key, t))
            actions.append(action)
            t += 1
            pending += drawn(state)
            if int(state.pending[0]) < 0 and int(state.pending[1]) < 0:
                break
        try:
            snap = bridge.choose(choices[0], choices[1], draws=[v for v, _, _ in pending])
        except ShowdownError as err:
            return t, diverged("draws", pending, f"{err} after {[(d.kind, d.lo, d.hi, d.at) for d in err.draws]}")


def playable_on_showdown(scenario: ScenarioSpec) -> bool:
    """Whether Showdown can start where the scenario starts: its sets carry species, level, moves and
    stats only, at full PP, so the setup may give `moves` (and their `pp`, full) and the draws, nothing else."""
    allowed = {"moves", "pp", "forced", "forced_n"}  # forced: the scenario's own draws, which Showdown is fed too
    return not set(scenario.setup) - allowed and ("pp" not in scenario.setup or "moves" in scenario.setup)


def scenario_on_showdown(module: ModuleType, bridge: ShowdownBridge, program: Any,
                         scenario: ScenarioSpec) -> Divergence | None:  # fmt: skip
    """Play one of the spec's scenarios on Showdown with the spec's draws and compare every round
    (a scenario that is not `playable_on_showdown`, or sets up PP other than full, raises ValueError)."""
    if not playable_on_showdown(scenario):
        raise ValueError(f"scenario {scenario.name!r} sets up {sorted(scenario.setup)}: Showdown cannot start there")
    key, state = start(module, "python", scenario)
    tables = Gen1Tables()
    if "moves" in scenario.setup:
        given = np.array(state.pp)
        state = restrict(module, state, tables, keep_all=True)
        if "pp" in scenario.setup and not np.array_equal(given, np.asarray(state.pp)):
            raise ValueError(f"scenario {scenario.name!r} sets up PP that is not full: Showdown starts at full PP")
    actions = [action_index(program, a) for a in scenario.play]

    def pick(state: Any, t: int) -> int | None:
        return actions[t] if t < len(actions) else None

    replay = f"scenario {scenario.name!r}"
    _, divergence = lockstep(module, bridge, tables, key, state, pick, scenario.seed, scenario.episode, replay)
    return divergence


def check_draws(pending: list[tuple[int, int, int]], snap: Snapshot) -> list[tuple[str, Any, Any]]:
    """A difference in the draws of the last round: count (unused values) or ranges."""
    theirs = [(d.lo, d.hi) for d in snap.draws]
    mine = [(lo, hi) for _, lo, hi in pending[: len(theirs)]]
    if snap.unused or mine != theirs:
        return [("draws", [(v, lo, hi) for v, lo, hi in pending], [(d.kind, d.lo, d.hi, d.value) for d in snap.draws])]
    return []


def lockstep_showdown(module: ModuleType, battles: int, seed: int = 0, only: int | None = None,
                      bridge: ShowdownBridge | None = None, backend: str = "python",
                      teams: str = "pool") -> LevelResult:  # fmt: skip
    """`battles` random battles (or only battle `only`) on the spec's module (the `backend` it is, for
    the report: python or c, whose states are the reference's) and on Showdown; `teams` as play_battle's."""
    tables = Gen1Tables()
    result = LevelResult(3, "rollouts vs showdown:gen1" if backend == "python" else f"{backend} vs showdown:gen1")
    start = time.perf_counter()
    own = bridge is None
    bridge = bridge or ShowdownBridge()
    steps = 0
    try:
        for b in [only] if only is not None else range(battles):
            played, divergence = play_battle(module, bridge, tables, seed, b, backend=backend, teams=teams)
            steps += played
            result.record(divergence is None, "" if divergence is None else f"battle {b}: {divergence.field}")
            if divergence is not None and result.divergence is None:
                result.divergence = divergence
    finally:
        if own:
            bridge.close()
    result.seconds = time.perf_counter() - start
    result.details = {"battles": 1 if only is not None else battles, "steps": steps, "peer": "showdown:gen1",
                      "covered_moves": len(tables.covered), "backend": backend, "teams": teams}  # fmt: skip
    return result


def spec_module(spec_path: str | Path) -> ModuleType:
    """The spec's Python reference (compiled on demand)."""
    import specc

    return specc.make(spec_path, backend="python").module
