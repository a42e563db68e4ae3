"""Pokémon Showdown as a peer: a node process running showdown/bridge.js, driven from Python.

    with ShowdownBridge() as sd:
        snap = sd.start(team1, team2, strict=True)           # teams: lists of sets (species, level, moves)
        snap = sd.choose("move 1", "move 1", draws=[0, 255, 217, 255])
        snap.sides[1].pokemon[0].hp, snap.draws[2].value      # what happened, and what it drew

Every random draw of the battle goes through the bridge's stand-in PRNG: the values given
with `draws=` are used in order (an integer in the draw's range; for a chance draw the value
v in 0..den-1 succeeds when v < num, or a bool); when they run out, a strict battle stops with
a ShowdownError naming the draw it wanted, otherwise Showdown's own PRNG from `seed` takes
over. Each snapshot lists the draws made during the call (kind, range, value, given or not,
and with trace=True where in Showdown they came from) and how many given draws were unused.

Needs node (20) and `npm ci --prefix showdown`; without them a SpecError says what to run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
Set = dict[str, Any]  # a team member: {"species", "level"?, "moves", "evs"?, "ivs"?} (Showdown's 0..31 ivs)


class ShowdownError(SpecError):
    """Showdown refused a request or a battle stopped (a draw that was not supplied, a bad choice)."""

    def __init__(self, message: str, draws: list[Draw] | None = None):
        super().__init__(message)
        self.draws = draws or []


def showdown_dir() -> Path:
    """Where our package.json for Showdown lives ($SPECC_SHOWDOWN_DIR, else showdown/ in the repository)."""
    return Path(os.environ.get("SPECC_SHOWDOWN_DIR") or ROOT / "showdown")


def require_showdown(where: Path | None = None) -> tuple[str, Path]:
    """(the node executable, our showdown folder), or a SpecError saying what to install."""
    where = where or showdown_dir()
    node = shutil.which("node")
    if node is None:
        raise SpecError("showdown: node is not installed (Node.js 20 runs Pokémon Showdown: https://nodejs.org)")
    if not (where / "node_modules" / "pokemon-showdown" / "package.json").exists():
        raise SpecError(f"showdown: the pokemon-showdown package is not installed in {where}/node_modules: "
                        f"run `npm ci --prefix {where}`")  # fmt: skip
    return node, where


@dataclass
class Draw:
    """One random draw Showdown made: `kind` random (lo..hi-1), chance (succeeds when value < num),
    sample (an index into a list of hi items), shuffle (a speed-tie swap draw over lo..hi-1), float."""

    kind: str
    lo: int
    hi: int | None
    value: float
    given: bool
    num: int | None = None
    result: bool | None = None
    at: str | None = None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Draw:
        return cls(d["kind"], d["lo"], d["hi"], d["value"], d["given"], d.get("num"), d.get("result"), d.get("at"))


@dataclass
class Move:
    id: str
    pp: int
    maxpp: int
    disabled: bool


@dataclass
class Mon:
    """A Pokémon as Showdown has it after a turn; `slot` is its place in the team as given,
    `position` its place in Showdown's current order (what `switch N` names)."""

    slot: int
    species: str
    position: int
    active: bool
    hp: int
    maxhp: int
    fainted: bool
    status: str  # '' or brn, frz, par, psn, slp, tox
    status_state: dict[str, Any]  # the status's counters (e.g. sleep turns)
    boosts: dict[str, int]  # stat stages: atk, def, spa, spd, spe, accuracy, evasion
    stats: dict[str, int]  # the stats as computed from the set
    modified_stats: dict[str, int]  # Gen 1: after paralysis and burn drops and stages
    moves: list[Move]
    volatiles: dict[str, dict[str, Any]]  # e.g. confusion, substitute (with its hp), partiallytrapped


@dataclass
class SideView:
    name: str
    active: int  # the slot of the active Pokémon, -1 none
    pokemon_left: int
    pokemon: list[Mon]  # in slot order
    request: list[str]  # the legal choices now ('move 1', 'switch 3'); [] when this side waits

    def switch(self, slot: int) -> str:
        """The choice that sends in the Pokémon of `slot`."""
        return f"switch {self.pokemon[slot].position}"


@dataclass
class Snapshot:
    turn: int
    ended: bool
    winner: str | None  # 'p1', 'p2', 'tie' or None while the battle goes on
    sides: list[SideView]
    draws: list[Draw]
    unused: int  # given draws the battle did not use
    log: list[str] = field(default_factory=list)  # Showdown's protocol lines (start with log=True)

    @classmethod
    def of(cls, d: dict[str, Any]) -> Snapshot:
        sides = [
            SideView(s["name"], s["active"], s["pokemonLeft"], [_mon(p) for p in s["pokemon"]], s["request"])
            for s in d["sides"]
        ]
        draws = [Draw.of(x) for x in d["draws"]]
        return cls(d["turn"], d["ended"], d["winner"], sides, draws, d["unused"], d.get("log", []))


def _mon(p: dict[str, Any]) -> Mon:
    moves = [Move(m["id"], m["pp"], m["maxpp"], m["disabled"]) for m in p["moves"]]
    return Mon(p["slot"], p["species"], p["position"], p["active"], p["hp"], p["maxhp"], p["fainted"], p["status"],
               p["statusState"], p["boosts"], p["stats"], p["modifiedStats"], moves, p["volatiles"])  # fmt: skip


class ShowdownBridge:
    """One node process running showdown/bridge.js; one battle at a time. Close it (or use `with`)."""

    def __init__(self, where: Path | None = None):
        node, where = require_showdown(where)
        self.proc = subprocess.Popen(
            [node, str(where / "bridge.js")],
            cwd=where,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def __enter__(self) -> ShowdownBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()

    def request(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Send one request, return the answer; a refusal raises ShowdownError."""
        if self.proc.poll() is not None:
            raise ShowdownError(f"showdown: the bridge has exited (code {self.proc.returncode})")
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read().strip().splitlines()
            raise ShowdownError(f"showdown: the bridge stopped: {err[-1] if err else 'no message'}")
        answer = json.loads(line)
        if not answer.get("ok"):
            where = f" ({answer['where']})" if answer.get("where") else ""
            draws = [Draw.of(d) for d in answer.get("draws", [])]
            raise ShowdownError(f"showdown: {answer.get('error')}{where}", draws)
        return answer

    def start(self, p1: list[Set] | str, p2: list[Set] | str, seed: str | None = None, draws: list[Any] = (),
              strict: bool = False, trace: bool = False, log: bool = False) -> Snapshot:  # fmt: skip
        """A new Gen 1 battle (gen1customgame) of these teams, the leads sent in; `seed`: Showdown's
        PRNG seed ('a,b,c,d') for draws not given; `draws`: values for the first draws."""
        msg = {"cmd": "start", "p1": {"name": "p1", "team": p1}, "p2": {"name": "p2", "team": p2},
               "draws": list(draws), "strict": strict, "trace": trace, "log": log}  # fmt: skip
        if seed is not None:
            msg["seed"] = seed
        return Snapshot.of(self.request(msg))

    def choose(self, p1: str = "", p2: str = "", draws: list[Any] = ()) -> Snapshot:
        """Both sides' choices (a side that waits gives ''), then the battle runs until it needs choices again."""
        return Snapshot.of(self.request({"cmd": "choose", "p1": p1, "p2": p2, "draws": list(draws)}))

    def random_team(self, seed: str) -> list[Set]:
        """A team from Showdown's own gen1randombattle generator."""
        return self.request({"cmd": "team", "seed": seed})["team"]

    def bench_in_node(self, battles: int, seed: int = 1, plain: bool = False, check: bool = False) -> dict[str, Any]:
        """Random battles played inside node (no round trips): battles, turns, seconds, digest (of the
        logs); `plain`: with Showdown's own PRNG object instead of the bridge's logging one (the same
        battles); `check`: also `checked` requests and `mismatches` between the choices the snapshots
        list and those Showdown accepts when each is tried."""
        msg = {"cmd": "bench", "battles": battles, "seed": seed, "plain": plain, "check": check}
        return self.request(msg)


def random_battles(battles: int, seed: int = 0, bridge: ShowdownBridge | None = None) -> dict[str, float]:
    """Random battles driven from Python through the bridge, one request per turn (the lock-step
    harness's cost): Showdown's PRNG draws, random legal choices. battles, turns, seconds, per second."""
    rng = random.Random(seed)
    own = bridge is None
    bridge = bridge or ShowdownBridge()
    try:
        teams = [bridge.random_team(f"{seed},{i},7,11") for i in range(2 * battles)]
        turns, start = 0, time.perf_counter()
        for b in range(battles):
            snap = bridge.start(teams[2 * b], teams[2 * b + 1], seed=f"{seed},{b},3,5")
            while not snap.ended and snap.turn < 1000:
                picks = [rng.choice(s.request) if s.request else "" for s in snap.sides]
                snap = bridge.choose(*picks)
                turns += 1
        seconds = time.perf_counter() - start
    finally:
        if own:
            bridge.close()
    return {"battles": battles, "turns": turns, "seconds": seconds,
            "battles_per_s": battles / seconds, "turns_per_s": turns / seconds}  # fmt: skip
