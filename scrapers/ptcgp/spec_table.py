"""The tables specs/ptcgp.yaml loads: effects as numeric columns ("mechanics as table columns").

effects.csv lists each effect as steps `mechanic key=value ...`. A spec reads numbers, so this
module turns every step the spec implements into coefficients in columns of one row per printing
(`spec_cards.csv`, Trainers' columns `t_<column>`) and of one row per attack slot (`spec_attacks.csv`,
row 2 * card + k for attack k = 0, 1). A coefficient 0 (-1 or empty for a type, `always` for a
condition) does nothing, so the spec applies every mechanic to every attack without a branch per
card. A step the spec does not implement yet (it needs a language
feature, or is left for later) is not encoded: the row's `todo` / `t_todo` is true, and
`coverage()` counts what is encoded. The decks become `spec_decks.csv` (Energy Zone types) and
`spec_deck_cards.csv` (20 card rows per deck).
"""

from __future__ import annotations

from collections import Counter

from .cards import TYPES, Card
from .decks import Deck
from .effects import Step, parse_steps

ATTACK_TYPES = TYPES[:8]  # energy that can be attached: grass .. metal (never dragon or colorless)
KINDS = ("pokemon", "item", "supporter", "fossil")
STAGES = ("basic", "stage1", "stage2")
# a step's `if=`: `always` when absent; heads/tails/all_heads read the effect's own flip
CONDS = ("always", "heads", "tails", "all_heads", "extra_energy", "defender_damaged", "self_damaged",
         "defender_poisoned", "defender_ex", "own_ko_last_turn", "self_active")  # fmt: skip
STATUSES = ("none", "poisoned", "burned", "asleep", "paralyzed", "confused")
COUNTS = ("none", "own_bench", "defender_energy", "opp_bench")
SNIPES = ("none", "opp_any", "opp_bench", "own_bench")  # whose Pokémon a snipe's pick names
# effects of an attack lasting through the opponent's next turn (duration=next_turn), on the defender
# (cant_attack, cant_retreat, weaken: deals less, attack_coin), the opponent (no_supporter) or the
# attacker (guard: takes less, invulnerable)
COPIES = ("none", "defender", "opp_any")  # copy_attack: whose attacks may be copied
LASTING = ("none", "cant_attack", "cant_retreat", "no_supporter", "guard", "invulnerable", "weaken", "attack_coin")
NEXT_TURN = {("cant_attack", "defender"): "cant_attack", ("cant_retreat", "defender"): "cant_retreat",
             ("no_supporter", "opponent"): "no_supporter", ("damage_taken", "self"): "guard",
             ("invulnerable", "self"): "invulnerable", ("damage_dealt", "defender"): "weaken",
             ("attack_coin", "defender"): "attack_coin"}  # fmt: skip
# when an ability works (effects.csv's `when`): used as an action (once a turn, or as often as liked),
# always on (passive), or when its Pokémon is damaged
WHENS = ("none", "once_per_turn", "repeatable", "passive", "on_damaged")
ALL = 99  # `n=all`: more than any slot holds
MAX_SPLIT = 3  # attach_heads: the spec's MAX_SPLIT, the most heads it splits one pick each

# columns of an attack (prefix aK_) and of a Trainer/ability (prefix t_), with their value when unused
ATTACK_COLUMNS = {
    "coins": 0, "coins_energy": 0, "per_heads": 0, "bonus": 0, "bonus_if": 0, "bonus_type": -1, "bonus_n": 0,
    "fails_tails": 0, "status": 0, "status_if": 0, "heal_self": 0, "heal_all": 0, "recoil": 0, "recoil_if": 0,
    "bench_damage": 0, "per": 0, "per_count": 0, "per_type": -1, "per_group": -1, "per_add": 0,
    "discard_self_n": 0, "discard_self_type": -1, "discard_def": 0, "discard_def_if": 0, "discard_all": 0,
    "draw": 0, "attach_n": 0, "attach_type": -1, "drain": 0, "search_n": 0, "search_bench": 0,
    "search_type": -1, "search_group": -1, "search_stage": -1, "shuffle_hand": 0, "draw_opp_hand": 0,
    "until_tails": 0, "snipe": 0, "snipe_to": 0, "switch_self": 0, "switch_opp": 0, "pick_attach_n": 0,
    "pick_attach_type": -1, "pick_type": -1, "hits": 0, "hit_amount": 0, "discard_hand": 0, "discard_hand_if": 0,
    "shuffle_def": 0, "shuffle_def_if": 0, "lasting": 0, "lasting_if": 0, "lasting_n": 0,
    "reveal_hand": 0, "copy_from": 0, "copy_energy": 0, "attach_heads": 0,
}  # fmt: skip
TRAINER_COLUMNS = {
    "draw": 0, "search_n": 0, "search_stage": -1, "retreat_cut": 0, "dealt": 0, "dealt_group": -1,
    "shuffle_opp": 0, "draw_opp": 0, "heal": 0, "until_tails": 0, "attach_n": 0, "attach_type": -1,
    "target_type": -1, "target_group": -1, "switch_opp": 0, "return_group": -1, "move_type": -1,
    "move_group": -1, "taken_cut": 0, "reveal_hand": 0, "look_n": 0, "top_type": -1, "revive_opp": 0,
}  # fmt: skip

ABILITY_COLUMNS = {
    "when": 0, "active_only": 0, "heal_all": 0, "gust": 0, "gust_stage": -1, "drive_off": 0, "snipe": 0,
    "attach_type": -1, "attach_active": 0, "attach_filter": -1, "coins": 0, "status": 0, "status_if": 0,
    "look_n": 0, "move_type": -1, "move_filter": -1, "counter": 0, "guard": 0, "lock_supporter": 0,
    "no_evolve": 0, "double_type": -1, "double_filter": -1,
}  # fmt: skip

# columns written as names (the spec loads them as enums); -1 is written empty
NAMED = {"bonus_if": CONDS, "status_if": CONDS, "recoil_if": CONDS, "discard_def_if": CONDS, "status": STATUSES,
         "per_count": COUNTS, "snipe_to": SNIPES, "pick_attach_type": TYPES, "pick_type": TYPES,
         "discard_hand_if": CONDS, "shuffle_def_if": CONDS, "lasting": LASTING, "lasting_if": CONDS,
         "copy_from": COPIES, "bonus_type": TYPES, "per_type": TYPES,
         "discard_self_type": TYPES, "attach_type": TYPES, "search_type": TYPES, "search_stage": STAGES,
         "target_type": TYPES, "move_type": TYPES, "top_type": TYPES, "when": WHENS, "gust_stage": STAGES,
         "attach_filter": TYPES, "move_filter": TYPES, "double_type": TYPES, "double_filter": TYPES}  # fmt: skip


def _cell(column: str, value: int) -> str:
    """A coefficient as its CSV text: a name for NAMED columns (empty for -1), else the number."""
    if column in NAMED:
        return "" if value < 0 else NAMED[column][value]
    return str(value)


class Groups:
    """Name filters (`filter=name:A|B`) numbered in order of first use: card column `groups` has bit g
    set when the card's name is in filter g."""

    def __init__(self) -> None:
        self.names: list[frozenset[str]] = []

    def id(self, names: str) -> int:
        """The number of the filter naming `names` (A|B), added if new."""
        key = frozenset(names.split("|"))
        if key not in self.names:
            self.names.append(key)
        return self.names.index(key)

    def mask(self, name: str) -> int:
        """The card column: bit g for every filter g naming `name`."""
        return sum(1 << g for g, names in enumerate(self.names) if name in names)


def _filter(p: dict[str, str], groups: Groups, prefix: str) -> dict[str, int] | None:
    """`filter=` as (type, group, stage) columns; None for a filter kind the spec does not read."""
    f = p.get("filter", "")
    if not f:
        return {}
    kind, _, value = f.partition(":")
    if kind == "type" and value in TYPES:
        return {f"{prefix}_type": TYPES.index(value)}
    if kind == "name":
        return {f"{prefix}_group": groups.id(value)}
    if kind == "stage" and value in STAGES:
        return {f"{prefix}_stage": STAGES.index(value)}
    return None


def encode_attack(steps: list[Step], groups: Groups) -> tuple[dict[str, int], list[str]]:
    """An attack's steps as ATTACK_COLUMNS values, and the mechanics of the steps left out."""
    cols: dict[str, int] = {}
    missing: list[str] = []
    flip_ok = True
    for s in steps:
        m, p = s.mechanic, s.params
        cond = p.get("if", "always")
        if cond not in CONDS or cond == "self_active" or (cond in ("heads", "tails", "all_heads") and not flip_ok):
            missing.append(m)
            continue
        c = CONDS.index(cond)
        got: dict[str, int] | None = None
        if m == "flip" and p["coins"].isdigit():
            got = {"coins": int(p["coins"])}
        elif m == "flip":
            flip_ok = False
        elif m == "coin_damage" and p["coins"].isdigit():
            got = {"coins": int(p["coins"]), "per_heads": int(p["per_heads"])}
        elif m == "coin_damage" and p["coins"] == "until_tails":
            got = {"until_tails": 1, "per_heads": int(p["per_heads"])}
        elif m == "coin_damage" and p["coins"] == "energy_self":
            got = {"coins_energy": 1, "per_heads": int(p["per_heads"])}
        elif m == "damage_bonus":
            got = {"bonus": int(p["amount"]), "bonus_if": c}
            if cond == "extra_energy":
                got |= {"bonus_type": TYPES.index(p["type"]), "bonus_n": int(p["n"])}
        elif m == "attack_fails" and cond == "tails":
            got = {"fails_tails": 1}
        elif m == "status" and p.get("target") == "defender":
            got = {"status": STATUSES.index(p["status"]), "status_if": c}
        elif m == "heal" and cond == "always" and p.get("target") in ("self", "all_own"):
            got = {"heal_self" if p["target"] == "self" else "heal_all": int(p["amount"])}
        elif m == "recoil":
            got = {"recoil": int(p["amount"]), "recoil_if": c}
        elif m == "bench_damage" and p.get("target") == "opp_bench" and cond == "always":
            got = {"bench_damage": int(p["each"])}
        elif m == "damage_per" and cond == "always":
            got = _filter(p, groups, "per")
            if got is not None and "per_stage" not in got:
                got |= {"per": int(p["per"]), "per_count": COUNTS.index(p["count"]), "per_add": int(p["add"] == "yes")}
            else:
                got = None
        elif m == "discard_energy" and p.get("target") == "self" and cond == "always":
            n = ALL if p["n"] == "all" else int(p["n"])
            got = {"discard_self_n": n, "discard_self_type": -1 if p["type"] == "any" else TYPES.index(p["type"])}
        elif m == "discard_energy" and p.get("target") == "defender" and p["type"] == "random":
            got = {"discard_def": int(p["n"]), "discard_def_if": c}
        elif m == "discard_energy" and p.get("target") == "all_in_play" and cond == "always":
            got = {"discard_all": int(p["n"])}
        elif m == "draw" and cond == "always" and "target" not in p:
            if p["n"].isdigit():
                got = {"draw": int(p["n"])}
            elif p["n"] == "opp_hand":
                got = {"draw_opp_hand": 1}
        elif m == "attach_energy" and p.get("target") == "self" and p["n"].isdigit() and cond == "always":
            got = {"attach_n": int(p["n"]), "attach_type": TYPES.index(p["type"])}
        elif m == "drain" and cond == "always":
            got = {"drain": 1}
        elif m == "search_deck" and p.get("chooser") == "random" and cond == "always" and p["n"] == "1":
            got = _filter(p, groups, "search")
            if got is not None:
                got |= {"search_n": 1, "search_bench": int(p["to"] == "bench")}
        elif m == "shuffle_hand" and p.get("target") == "self" and cond == "always":
            got = {"shuffle_hand": 1}
        elif m == "snipe" and p.get("target") in SNIPES and p.get("chooser") == "self" and cond == "always":
            got = {"snipe": int(p["amount"]), "snipe_to": SNIPES.index(p["target"])}
        elif m == "switch" and p.get("target") == "self" and p.get("chooser") == "self" and cond == "always":
            got = {"switch_self": 1}
        elif m == "switch" and p.get("target") == "defender" and p.get("chooser") == "opponent" and cond == "always":
            got = {"switch_opp": 1}
        elif m == "attach_energy" and p.get("target") == "own_bench" and p.get("chooser") == "self":
            split = (p["n"], p.get("split")) == ("heads", "yes") and cols.get("coins", 0) <= MAX_SPLIT
            got = _filter(p, groups, "pick") if p["n"].isdigit() or split else None
            if got is not None and not set(got) - {"pick_type"}:  # n energy on one pick, or one per heads
                n = {"pick_attach_n": int(p["n"])} if p["n"].isdigit() else {"attach_heads": 1}
                got |= n | {"pick_attach_type": TYPES.index(p["type"])}
            else:
                got = None
        elif m == "random_hits" and p.get("target") == "opp_any" and cond == "always":
            got = {"hits": int(p["times"]), "hit_amount": int(p["amount"])}
        elif m == "discard_hand" and p.get("target") == "opponent" and p.get("chooser") == "random" and p["n"] == "1":
            got = {"discard_hand": 1, "discard_hand_if": c}
        elif m == "shuffle_into_deck" and p.get("target") == "defender":
            got = {"shuffle_def": 1, "shuffle_def_if": c}
        elif p.get("duration") == "next_turn" and (m, p.get("target")) in NEXT_TURN:
            kind = NEXT_TURN[(m, p.get("target"))]
            amount = -int(p["amount"]) if "amount" in p else 0
            if kind != "weaken" or p.get("before_weakness") == "yes":
                got = {"lasting": LASTING.index(kind), "lasting_if": c, "lasting_n": amount}
        elif m == "copy_attack" and p.get("source") in COPIES and p.get("chooser") == "self" and cond == "always":
            got = {"copy_from": COPIES.index(p["source"]), "copy_energy": int(p.get("need_energy") == "yes")}
        elif m == "reveal_hand" and p.get("target") == "opponent" and cond == "always":
            got = {"reveal_hand": 1}
        elif m == "promote" and p.get("target") == "opponent" and p.get("chooser") == "opponent":
            got = {}  # after shuffle_into_deck: the opponent promotes (the spec's promote phase)
        if got is None:
            missing.append(m)
        else:
            cols |= got
    return cols, missing


def encode_trainer(steps: list[Step], groups: Groups) -> tuple[dict[str, int], list[str]]:
    """A Trainer's steps as TRAINER_COLUMNS values (a Fossil's steps are its `kind`), and what is left out."""
    cols: dict[str, int] = {}
    missing: list[str] = []
    for s in steps:
        m, p = s.mechanic, s.params
        got: dict[str, int] | None = None
        if m in ("fossil", "discard_self", "cant_retreat") and (m != "cant_retreat" or p.get("duration") == "always"):
            got = {}  # a Fossil: kind fossil, hp, no attack, no retreat, discard action (the spec's fossil rules)
        elif m == "draw" and p.get("target") == "opponent":
            got = {"draw_opp": int(p["n"])}
        elif m == "draw":
            got = {"draw": int(p["n"])}
        elif m == "search_deck" and p.get("chooser") == "random" and p.get("to") == "hand" and p["n"] == "1":
            got = _filter(p, groups, "search")
            if got is not None and set(got) <= {"search_stage"}:
                got |= {"search_n": 1}
            else:
                got = None
        elif m == "retreat_cost" and p.get("duration") == "this_turn" and p.get("target") == "own_active":
            got = {"retreat_cut": -int(p["amount"])}
        elif m == "damage_dealt" and p.get("duration") == "this_turn" and p.get("to") == "defender":
            got = {"dealt": int(p["amount"])}
            if p.get("filter"):
                f = _filter(p, groups, "dealt")
                got = None if f is None or set(f) != {"dealt_group"} else got | f
        elif m == "shuffle_hand" and p.get("target") == "opponent":
            got = {"shuffle_opp": 1}
        elif m == "heal" and p.get("target") == "own_any" and p.get("chooser") == "self":
            got = _filter(p, groups, "target")  # the player picks one of their Pokémon passing the filter
            got = None if got is None else got | {"heal": int(p["amount"])}
        elif m == "flip" and p.get("coins") == "until_tails":
            got = {"until_tails": 1}  # the heads count is the `n=heads` of the next step
        elif m == "attach_energy" and p.get("target") == "own_any" and p.get("chooser") == "self":
            got = _filter(p, groups, "target")
            n = 0 if p["n"] == "heads" else int(p["n"])  # n=heads: the until_tails heads are added
            got = None if got is None else got | {"attach_n": n, "attach_type": TYPES.index(p["type"])}
        elif m == "switch" and p.get("target") == "defender" and p.get("chooser") == "opponent":
            got = {"switch_opp": 1}
        elif m == "return_to_hand" and p.get("target") == "own_active":
            f = _filter(p, groups, "return")
            got = None if f is None or set(f) != {"return_group"} else f
        elif m == "promote" and p.get("target") == "self" and p.get("chooser") == "self":
            got = {}  # the new Active after return_to_hand: the player's pick (return_group)
        elif m == "move_energy" and p.get("from") == "own_bench" and p.get("to") == "own_active" and p["n"] == "all":
            f = _filter(p, groups, "move")
            got = None if f is None or set(f) != {"move_group"} else f | {"move_type": TYPES.index(p["type"])}
        elif m == "damage_taken" and p.get("target") == "all_own" and p.get("duration") == "next_turn":
            got = {"taken_cut": -int(p["amount"])}
        elif m == "reveal_hand" and p.get("target") == "opponent":
            got = {"reveal_hand": 1}
        elif m == "look_deck" and p.get("target") == "self":
            got = {"look_n": int(p["n"])}
        elif m == "search_deck" and p.get("else") == "bottom" and p["n"] == "1":
            f = _filter(p, groups, "top")  # the top card to the hand if it passes, else to the bottom
            got = None if f is None or set(f) != {"top_type"} else f
        elif (m == "from_discard" and p.get("target") == "opponent" and p.get("filter") == "stage:basic"
              and p.get("to") == "bench" and p.get("chooser") == "self"):
            got = {"revive_opp": 1}  # the player picks a Basic in the opponent's discard pile for their Bench
        if got is None:
            missing.append(m)
        else:
            cols |= got
    return cols, missing


def encode_ability(steps: list[Step], when: str) -> tuple[dict[str, int], list[str]]:
    """An ability's steps as ABILITY_COLUMNS values (`when` from effects.csv), and what is left out."""
    cols: dict[str, int] = {"when": WHENS.index(when)} if when in WHENS else {}
    missing: list[str] = [] if cols else [s.mechanic for s in steps]
    for s in steps if cols else []:
        m, p = s.mechanic, s.params
        cond = p.get("if", "always")
        got: dict[str, int] | None = None
        if cond == "self_active":  # the Pokémon must be the Active (to use it, or to be hit)
            cols["active_only"] = 1
            cond = "always"
        ftype = TYPES.index(p["filter"][5:]) if p.get("filter", "").startswith("type:") else -1
        if m == "heal" and p.get("target") == "all_own" and cond == "always":
            got = {"heal_all": int(p["amount"])}
        elif m == "switch" and p.get("target") == "defender" and p.get("chooser") == "self":
            got = {"gust": 1, "gust_stage": STAGES.index(p["filter"][6:])} if p.get("filter", "").startswith(
                "stage:") else None  # fmt: skip
        elif m == "switch" and p.get("target") == "defender" and p.get("chooser") == "opponent":
            got = {"drive_off": 1}
        elif m == "snipe" and p.get("target") == "opp_any" and p.get("chooser") == "self":
            got = {"snipe": int(p["amount"])}
        elif m == "attach_energy" and p.get("target") in ("self", "own_active") and p["n"] == "1":
            got = {"attach_type": TYPES.index(p["type"]), "attach_active": int(p["target"] == "own_active"),
                   "attach_filter": ftype}  # fmt: skip
        elif m == "flip" and p.get("coins") == "1":
            got = {"coins": 1}
        elif m == "status" and p.get("target") == "defender" and cond in ("always", "heads"):
            got = {"status": STATUSES.index(p["status"]), "status_if": CONDS.index(cond)}
        elif m == "look_deck" and p.get("target") == "self":
            got = {"look_n": int(p["n"])}
        elif m == "move_energy" and p.get("from") == "own_bench" and p.get("to") == "own_active" and p["n"] == "1":
            got = {"move_type": TYPES.index(p["type"]), "move_filter": ftype}
        elif m == "counter_damage" and p.get("target") == "attacker":
            got = {"counter": int(p["amount"])}
        elif m == "damage_taken" and p.get("target") == "self" and p.get("duration") == "always":
            got = {"guard": -int(p["amount"])}
        elif m == "no_supporter" and p.get("duration") == "while_active":
            got = {"lock_supporter": 1}
        elif m == "no_evolve" and p.get("duration") == "while_active":
            got = {"no_evolve": 1}
        elif m == "energy_value" and p.get("value") == "2" and p.get("stack") == "no":
            got = {"double_type": TYPES.index(p["type"]), "double_filter": ftype}
        if got is None:
            missing.append(m)
        else:
            cols |= got
    return cols, missing


def _effect_steps(effects: list[list[str]]) -> dict[tuple[str, str, int], tuple[str, list[Step]]]:
    """(card id, source, index) -> (when, steps) from effects.csv's rows."""
    out: dict[tuple[str, str, int], tuple[str, list[Step]]] = {}
    for r in effects:
        key = (r[0], r[2], int(r[3]))
        when, steps = out.get(key, (r[5], []))
        steps.append(parse_steps(f"{r[7]} {r[8]}")[0])
        out[key] = (when, steps)
    return out


def spec_tables(cards: list[Card], effects: list[list[str]], decks: list[Deck]) -> dict[str, list[list[str]]]:
    """The tables (header row first) that specs/ptcgp.yaml loads; spec_attacks.csv has rows 2 * card + k."""
    steps = _effect_steps(effects)
    groups = Groups()
    encoded: dict[str, dict[str, int]] = {}
    todo: dict[str, dict[str, list[str]]] = {}
    for c in cards:
        row: dict[str, int] = {}
        todo[c.id] = {}
        for k in (1, 2):
            got, missing = encode_attack(steps[(c.id, "attack", k)][1], groups) if (c.id, "attack", k) in steps \
                else ({}, [])  # fmt: skip
            row |= {f"a{k}_{n}": v for n, v in got.items()}
            todo[c.id][f"a{k}"] = missing
        if c.kind != "pokemon":
            got, missing = encode_trainer(steps[(c.id, c.kind, 1)][1], groups)
            row |= {f"t_{n}": v for n, v in got.items()}
            todo[c.id]["t"] = missing
        if c.ability:
            when, ability_steps = steps[(c.id, "ability", 1)]
            got, missing = encode_ability(ability_steps, when)
            row |= {f"ab_{n}": v for n, v in got.items()}
            todo[c.id]["ability"] = missing
        encoded[c.id] = row
    names = sorted({c.name for c in cards})
    header = ["id", "name", "name_id", "kind", "stage", "type", "hp", "weakness", "retreat", "evolves_from", "ex",
              "groups", "attacks", "t_todo", "ability_todo"] + [f"t_{n}" for n in TRAINER_COLUMNS] \
        + [f"ab_{n}" for n in ABILITY_COLUMNS]  # fmt: skip
    rows = [header]
    attack_rows = [["id", "attack", "name", *(f"cost_{t}" for t in (*ATTACK_TYPES, "colorless")), "damage", "todo",
                    *ATTACK_COLUMNS]]  # fmt: skip
    for c in cards:
        e = encoded[c.id]
        rows.append([c.id, c.name, str(names.index(c.name)), c.kind, c.stage or "basic", c.type or "colorless",
                     str(c.hp or 0), "" if c.weakness in ("", "none") else c.weakness,
                     "-1" if c.retreat is None else str(c.retreat),
                     str(names.index(c.evolves_from)) if c.evolves_from else "-1", str(int(c.ex)),
                     str(groups.mask(c.name)), str(len(c.attacks)), str(int(bool(todo[c.id].get("t")))),
                     str(int(bool(todo[c.id].get("ability")))),
                     *(_cell(n, e.get(f"t_{n}", d)) for n, d in TRAINER_COLUMNS.items()),
                     *(_cell(n, e.get(f"ab_{n}", d)) for n, d in ABILITY_COLUMNS.items())])  # fmt: skip
        for k in (1, 2):
            a = c.attacks[k - 1] if k <= len(c.attacks) else None
            attack_rows.append([c.id, str(k), a.name if a else "",
                                *(str(a.cost.get(t, 0)) if a else "0" for t in (*ATTACK_TYPES, "colorless")),
                                str(a.damage) if a else "0", str(int(bool(todo[c.id][f"a{k}"]))),
                                *(_cell(n, e.get(f"a{k}_{n}", d)) for n, d in ATTACK_COLUMNS.items())])  # fmt: skip
    index = {c.id: i for i, c in enumerate(cards)}
    deck_rows = [["name", "types", "type0", "type1", "type2"]]
    deck_cards = [["deck", "slot", "card"]]
    for d, deck in enumerate(decks):
        types = [str(ATTACK_TYPES.index(t)) for t in deck.energy] + ["-1"] * (3 - len(deck.energy))
        deck_rows.append([deck.name, str(len(deck.energy)), *types])
        deck_cards += [[str(d), str(j), str(index[ident])] for j, ident in enumerate(deck.cards)]
    return {"spec_cards.csv": rows, "spec_attacks.csv": attack_rows, "spec_decks.csv": deck_rows,
            "spec_deck_cards.csv": deck_cards}  # fmt: skip


def coverage(effects: list[list[str]]) -> dict[str, Counter[str]]:
    """What spec_cards.csv encodes: effects (an attack's, ability's, Trainer's) whole or partly, and per
    mechanic its encoded and left-out steps."""
    groups = Groups()
    by_effect: Counter[str] = Counter()
    steps_done: Counter[str] = Counter()
    steps_left: Counter[str] = Counter()
    for (_, source, _), (when, steps) in _effect_steps(effects).items():
        if source == "ability":
            missing = encode_ability(steps, when)[1]
        elif source == "attack":
            missing = encode_attack(steps, groups)[1]
        else:
            missing = encode_trainer(steps, groups)[1]
        left = Counter(missing)
        for s in steps:
            if left[s.mechanic] > 0:
                left[s.mechanic] -= 1
                steps_left[s.mechanic] += 1
            else:
                steps_done[s.mechanic] += 1
        by_effect["whole" if not missing else ("part" if len(missing) < len(steps) else "none")] += 1
    return {"effects": by_effect, "done": steps_done, "left": steps_left}
