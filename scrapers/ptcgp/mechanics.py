"""The mechanics vocabulary: what each one means (our words), and what implementing it needs.

Levels of a step (one mechanic with its coefficients):

* `today`: an Effect kind of specs/tcg.yaml already does it; only the table's numbers change
  (possibly a larger cap such as MAX_COINS);
* `spec`: today's language says it, with new spec code (state, procedures, actions);
* `language`: it needs a language feature specc lacks; `needs` names them:
  `choice` (a pending choice made by a named player in the middle of an effect),
  `next_turn` (an effect lasting until the end of the opponent's next turn),
  `hook` (a trigger or continuous modifier run at a named event: being damaged, paying costs),
  `repeat` (flip until tails: bounded repetition with a documented cap),
  `discard_pile` (the discard pile as a zone of cards, not a count),
  `reveal` (a player's observation shows the cards it was shown),
  `copy` (running another card's attack, chosen during play).
"""

from __future__ import annotations

from .effects import Step

MECHANICS: dict[str, str] = {
    "heal": "remove up to `amount` damage from the target(s)",
    "drain": "heal the attacker by the damage the attack did",
    "status": "give the target a Special Condition",
    "flip": "flip `coins` coins (a number, or until tails); later steps read the heads",
    "coin_damage": "the attack's damage is `per_heads` for each heads of `coins` flips",
    "damage_bonus": "add `amount` to the attack's damage when the condition `if` holds",
    "damage_per": "the attack's damage is (`add=yes`: base plus) `per` times a count (bench, energy)",
    "attack_fails": "the attack does nothing (no damage, no effect)",
    "recoil": "the attacker takes `amount` damage itself",
    "bench_damage": "`each` damage to every Benched Pokémon of the side",
    "snipe": "`amount` damage to one Pokémon of the target set (no Weakness on the Bench)",
    "random_hits": "`times` times, `amount` damage to a Pokémon of the target set picked at random",
    "counter_damage": "`amount` damage to the Pokémon that attacked (an ability's trigger)",
    "discard_energy": "discard `n` energy (of `type`, or random) from the target(s)",
    "attach_energy": "attach `n` energy of `type` from the Energy Zone to the target",
    "move_energy": "move `n` energy of `type` from Benched Pokémon to the Active",
    "energy_value": "each energy of `type` on matching Pokémon counts `value` times",
    "cant_attack": "the target cannot attack for the duration",
    "cant_retreat": "the target cannot retreat for the duration",
    "no_supporter": "the target player cannot play Supporters for the duration",
    "no_evolve": "the opponent cannot evolve their Active for the duration",
    "damage_taken": "damage to the target from attacks changes by `amount` for the duration",
    "damage_dealt": "damage done by the target's attacks changes by `amount` for the duration",
    "invulnerable": "the target takes no damage and no effects from attacks for the duration",
    "attack_coin": "for the duration, the target's attacks need a heads to happen",
    "retreat_cost": "the target's retreat cost changes by `amount` for the duration",
    "draw": "draw `n` cards",
    "search_deck": "put `n` cards matching `filter` from the deck into the hand or onto the Bench",
    "from_discard": "put a card matching `filter` from the target's discard pile onto their Bench",
    "discard_hand": "discard `n` cards from the target's hand",
    "shuffle_hand": "the target shuffles their hand into their deck",
    "shuffle_into_deck": "the target Pokémon (and its cards) go back into its owner's deck",
    "return_to_hand": "the target Pokémon goes back to the hand, its attachments discarded",
    "promote": "the player puts a Benched Pokémon into the Active Spot",
    "reveal_hand": "the target shows their hand to the other player",
    "look_deck": "the player looks at the top `n` cards of their deck",
    "switch": "swap the target Active with a Benched Pokémon",
    "copy_attack": "use one of the opponent's Pokémon's attacks as this attack",
    "fossil": "played as a Basic Colorless Pokémon with `hp` HP and no attack",
    "discard_self": "its owner may discard it from play during their turn",
}

_LANGUAGE_MECHANICS = {"reveal_hand": "reveal", "look_deck": "reveal", "from_discard": "discard_pile",
                       "copy_attack": "copy"}  # fmt: skip
_MULTI_TARGETS = {"opp_any", "opp_bench", "own_any", "own_bench"}


def needs(step: Step, when: str) -> list[str]:
    """The language features a step needs (see the module docstring); [] if none."""
    out = []
    p = step.params
    if p.get("chooser") in ("self", "opponent") and (
        p.get("target") in _MULTI_TARGETS or step.mechanic in ("switch", "copy_attack", "promote", "move_energy")
        or p.get("to") == "bench" and step.mechanic == "from_discard"
    ):  # fmt: skip
        out.append("choice")
    if p.get("duration") == "next_turn":
        out.append("next_turn")
    if when in ("on_damaged", "passive"):
        out.append("hook")
    if p.get("coins") == "until_tails":
        out.append("repeat")
    if step.mechanic in _LANGUAGE_MECHANICS:
        out.append(_LANGUAGE_MECHANICS[step.mechanic])
    return out


def _today(step: Step, steps: list[Step]) -> bool:
    """Whether an Effect kind of today's specs/tcg.yaml does this step (one parametric kind each)."""
    p, m = step.params, step.mechanic
    if m == "heal":
        return p.get("target") == "self"
    if m == "status":
        return "if" not in p and p.get("status") in ("poisoned", "asleep", "paralyzed", "burned", "confused")
    if m == "coin_damage":
        return p.get("coins", "").isdigit()  # coin_damage (MAX_COINS raised from 3 to 4)
    if m in ("flip", "damage_bonus"):  # coin_bonus: flip one coin, more damage on heads, nothing else
        return [s.mechanic for s in steps] == ["flip", "damage_bonus"] and steps[0].params.get("coins") == "1" \
            and steps[1].params.get("if") == "heads"
    if m == "draw":
        return "target" not in p and p.get("n", "").isdigit()
    if m == "bench_damage":
        return p.get("target") == "opp_bench"
    return False


def level(step: Step, steps: list[Step], when: str) -> str:
    """`today`, `spec` or `language` (see the module docstring)."""
    if needs(step, when):
        return "language"
    if when in ("once_per_turn", "repeatable"):
        return "spec"  # an ability used as an action: a new action and a per-turn flag
    return "today" if _today(step, steps) else "spec"
