"""Our encoding of every card effect of the pool as a few named mechanics with coefficients.

Each effect (an attack's, an ability's or a Trainer's) is a list of steps, written here as
`mechanic key=value ...` and separated by ` ; `. Names are ours; the numbers are the cards'.
Conventions for the parameters:

* `if=heads` / `if=tails` / `if=all_heads`: the step happens only on that result of the
  effect's own `flip` step (one flip shared by every step of the effect);
* `target=`: `defender` (the opponent's Active), `opp_bench`, `opp_any`, `self` (the Pokémon
  using the attack or ability), `own_active`, `own_bench`, `own_any`, `all_own`;
* `chooser=self|opponent|random`: who picks the target when there is more than one;
* `filter=`: which Pokémon qualify, `type:T`, `name:A|B`, `stage:basic`;
* `duration=this_turn|next_turn|while_active|always`: `next_turn` is the opponent's next turn.

The key of EFFECTS is the attack or ability name, or `NAME@CARD ID` / `NAME@CARD NAME` where
one name has different effects on different cards. Trainers and fossils are in TRAINER_EFFECTS,
keyed by the card name, restated from TRAINERS.md (the source file has no Trainer text).
`UNCERTAIN` notes the encodings a reviewer should check against a printed card.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- attacks (key: attack name[@card]) -------------------------------------------------------

EFFECTS: dict[str, str] = {
    # healing
    "Mega Drain": "heal target=self amount=30",
    "Giant Bloom": "heal target=self amount=30",
    "Absorb": "heal target=self amount=30",
    "Blot": "heal target=self amount=10",
    "Bubble Drain@Vaporeon": "heal target=self amount=30",
    "Bubble Drain@Lapras ex": "heal target=self amount=20",
    "Leaf Drain": "heal target=self amount=10",
    "Bloomshine": "heal target=all_own amount=20",
    "Leech Life": "drain",
    # Special Conditions
    "Soothing Scent": "status target=defender status=asleep",
    "Powder Snow": "status target=defender status=asleep",
    "Sleepy Song": "status target=defender status=asleep",
    "Flickering Spores": "status target=defender status=asleep",
    "Hypnotic Gaze": "status target=defender status=asleep",
    "Sing": "status target=defender status=asleep",
    "Poison Powder": "status target=defender status=poisoned",
    "Poison Tentacles": "status target=defender status=poisoned",
    "Poison Horn": "status target=defender status=poisoned",
    "Poison Gas": "status target=defender status=poisoned",
    "Poison Claws": "status target=defender status=poisoned",
    "Poison Sting": "status target=defender status=poisoned",
    "Ice Beam": "flip coins=1 ; status target=defender status=paralyzed if=heads",
    "Thunder Fang": "flip coins=1 ; status target=defender status=paralyzed if=heads",
    "Thunder Shock": "flip coins=1 ; status target=defender status=paralyzed if=heads",
    # coins and damage
    "Stomp": "flip coins=1 ; damage_bonus amount=30 if=heads",
    "Tropical Swing": "flip coins=1 ; damage_bonus amount=40 if=heads",
    "Quick Attack": "flip coins=1 ; damage_bonus amount=40 if=heads",
    "Rising Lunge": "flip coins=1 ; damage_bonus amount=60 if=heads",
    "Thunder Punch": "flip coins=1 ; damage_bonus amount=40 if=heads ; recoil amount=20 if=tails",
    "KO Crab": "flip coins=2 ; damage_bonus amount=80 if=all_heads",
    "Double Horn": "coin_damage coins=2 per_heads=50",
    "Pin Missile": "coin_damage coins=4 per_heads=40",
    "Thundering Hurricane": "coin_damage coins=4 per_heads=50",
    "Double Lariat": "coin_damage coins=2 per_heads=100",
    "Bonemerang": "coin_damage coins=2 per_heads=80",
    "Dizzy Punch": "coin_damage coins=2 per_heads=30",
    "Powerful Bloom": "coin_damage coins=energy_self per_heads=50",
    "Continuous Lick": "coin_damage coins=until_tails per_heads=60",
    "Continuous Steps": "coin_damage coins=until_tails per_heads=20",
    "Surprise Attack": "flip coins=1 ; attack_fails if=tails",
    "Sky Attack": "flip coins=1 ; attack_fails if=tails",
    "Horn Hazard": "flip coins=1 ; attack_fails if=tails",
    "Focus Fist": "flip coins=1 ; attack_fails if=tails",
    "Hydro Pump@Blastoise": "damage_bonus amount=60 if=extra_energy type=water n=2",
    "Hydro Bazooka": "damage_bonus amount=60 if=extra_energy type=water n=2",
    "Hydro Pump@A1 079": "damage_bonus amount=60 if=extra_energy type=water n=3",
    "Hydro Pump@A1 234": "damage_bonus amount=70 if=extra_energy type=water n=3",
    "Energy Whip": "damage_bonus amount=70 if=extra_energy type=grass n=3",
    "Second Strike": "damage_bonus amount=60 if=defender_damaged",
    "Fight Back": "damage_bonus amount=60 if=self_damaged",
    "Venoshock@Muk": "damage_bonus amount=50 if=defender_poisoned",
    "Venoshock": "damage_bonus amount=40 if=defender_poisoned",
    "Venoshock@Scolipede": "damage_bonus amount=50 if=defender_poisoned",
    "Fighting Tackle": "damage_bonus amount=80 if=defender_ex",
    "Revenge": "damage_bonus amount=60 if=own_ko_last_turn",
    "Psychic@Alakazam": "damage_per per=30 count=defender_energy add=yes",
    "Psychic": "damage_per per=20 count=defender_energy add=yes",
    "Circle Circuit": "damage_per per=30 count=own_bench filter=type:lightning add=no",
    "Circle Circuit@Pikachu": "damage_per per=10 count=own_bench filter=type:lightning add=no",
    "Do the Wave": "damage_per per=30 count=own_bench add=no",
    "Lovestrike": "damage_per per=50 count=own_bench filter=name:Nidoking add=yes",
    "Mind Jack": "damage_per per=20 count=opp_bench add=yes",
    "Scattering Cyclone": "damage_per per=20 count=opp_bench add=yes",
    # damage elsewhere
    "Heat Tackle": "recoil amount=20",
    "Inferno Onrush": "recoil amount=20",
    "Reckless Charge": "recoil amount=10",
    "Double-Edge": "recoil amount=50",
    "Blizzard": "bench_damage target=opp_bench each=10",
    "Gigashock": "bench_damage target=opp_bench each=20",
    "Water Arrow": "snipe target=opp_any amount=50 chooser=self",
    "Thunder Spear@Zebstrika": "snipe target=opp_any amount=30 chooser=self",
    "Thunder Spear@Electabuzz": "snipe target=opp_any amount=40 chooser=self",
    "Stretch Kick": "snipe target=opp_bench amount=30 chooser=self",
    "Aqua Liner": "snipe target=opp_bench amount=50 chooser=self",
    "Volcanic Ash": "discard_energy target=self n=2 type=fire ; snipe target=opp_any amount=80 chooser=self",
    "Raging Thunder": "snipe target=own_bench amount=30 chooser=self",
    "Draco Meteor": "random_hits target=opp_any times=4 amount=50",
    # energy
    "Ember": "discard_energy target=self n=1 type=fire",
    "Flamethrower": "discard_energy target=self n=1 type=fire",
    "Fire Blast@Centiskorch": "discard_energy target=self n=1 type=fire",
    "Fire Blast@Magmar": "discard_energy target=self n=2 type=fire",
    "Fire Spin": "discard_energy target=self n=2 type=fire",
    "Crimson Storm": "discard_energy target=self n=2 type=fire",
    "Power Blast": "discard_energy target=self n=2 type=psychic",
    "Psydrive": "discard_energy target=self n=2 type=psychic",
    "Thunderbolt": "discard_energy target=self n=all type=any",
    "Hyper Beam": "discard_energy target=defender n=1 type=random",
    "Crunch": "flip coins=1 ; discard_energy target=defender n=1 type=random if=heads",
    "Drill Run": "flip coins=1 ; discard_energy target=defender n=1 type=random if=heads",
    "Rampaging Whirlpool": "discard_energy target=all_in_play n=1 type=random",
    "Amass": "attach_energy target=self n=1 type=metal",
    "Growth Spurt": "attach_energy target=self n=1 type=grass",
    "Leaf Supply": "attach_energy target=own_bench n=1 type=grass filter=type:grass chooser=self",
    "Inferno Dance": "flip coins=3 ; attach_energy target=own_bench n=heads type=fire filter=type:fire chooser=self "
    "split=yes",
    # lasting effects (the opponent's next turn)
    "Tail Whip": "flip coins=1 ; cant_attack target=defender duration=next_turn if=heads",
    "Ancient Whirlpool": "cant_attack target=defender duration=next_turn",
    "Corner": "cant_retreat target=defender duration=next_turn",
    "Electroweb": "cant_retreat target=defender duration=next_turn",
    "Headache": "no_supporter target=opponent duration=next_turn",
    "Bother": "no_supporter target=opponent duration=next_turn",
    "Barrier Attack": "damage_taken target=self amount=-20 duration=next_turn",
    "Guard Press": "damage_taken target=self amount=-30 duration=next_turn",
    "Growl": "damage_dealt target=defender amount=-20 duration=next_turn before_weakness=yes",
    "Dig": "flip coins=1 ; invulnerable target=self duration=next_turn if=heads",
    "Dive": "flip coins=1 ; invulnerable target=self duration=next_turn if=heads",
    "Smokescreen": "attack_coin target=defender duration=next_turn",
    # cards, deck and hand
    "Pay Day": "draw n=1",
    "Spike Draw": "draw n=1",
    "Find a Friend": "search_deck n=1 filter=type:grass to=hand chooser=random",
    "Call for Family": "search_deck n=1 filter=name:Nidoran♂ to=bench chooser=random",
    "Division": "search_deck n=1 filter=name:Koffing to=bench chooser=random",
    "Shadow Claw": "flip coins=1 ; discard_hand target=opponent n=1 chooser=random if=heads",
    "Mimic": "shuffle_hand target=self ; draw n=opp_hand",
    "Psy Report": "reveal_hand target=opponent",
    "Primal Wingbeat": "flip coins=1 ; shuffle_into_deck target=defender if=heads ; "
    "promote target=opponent chooser=opponent if=heads",
    # switching and copying
    "Teleport": "switch target=self chooser=self",
    "Leap Out": "switch target=self chooser=self",
    "Knock Back": "switch target=defender chooser=opponent",
    "Copy Anything": "copy_attack source=opp_any chooser=self need_energy=yes",
    "Genome Hacking": "copy_attack source=defender chooser=self need_energy=no",
}

# --- abilities (key: ability name); `when` is how the ability is used ---------------------------

ABILITIES: dict[str, tuple[str, str]] = {
    "Powder Heal": ("once_per_turn", "heal target=all_own amount=20"),
    "Fragrance Trap": ("once_per_turn", "switch target=defender filter=stage:basic chooser=self if=self_active"),
    "Counterattack": ("on_damaged", "counter_damage target=attacker amount=20 if=self_active"),
    "Rough Skin": ("on_damaged", "counter_damage target=attacker amount=20 if=self_active"),
    "Shell Armor": ("passive", "damage_taken target=self amount=-10 duration=always"),
    "Hard Coat": ("passive", "damage_taken target=self amount=-20 duration=always"),
    "Water Shuriken": ("once_per_turn", "snipe target=opp_any amount=20 chooser=self"),
    "Volt Charge": ("once_per_turn", "attach_energy target=self n=1 type=lightning"),
    "Shadowy Spellbind": ("passive", "no_supporter target=opponent duration=while_active"),
    "Sleep Pendulum": ("once_per_turn", "flip coins=1 ; status target=defender status=asleep if=heads"),
    "Psy Shadow": ("once_per_turn", "attach_energy target=own_active n=1 type=psychic filter=type:psychic"),
    "Gas Leak": ("once_per_turn", "status target=defender status=poisoned if=self_active"),
    "Drive Off": ("once_per_turn", "switch target=defender chooser=opponent"),
    "Data Scan": ("once_per_turn", "look_deck target=self n=1"),
    "Jungle Totem": ("passive", "energy_value type=grass filter=type:grass value=2 stack=no"),
    "Wash Out": ("repeatable", "move_energy from=own_bench to=own_active n=1 type=water filter=type:water "
                 "chooser=self"),
    "Primeval Law": ("passive", "no_evolve target=defender duration=while_active"),
}

# --- Trainers (TRAINERS.md, our words): key card name ----------------------------------------

_FOSSIL = "fossil hp=40 ; discard_self duration=own_turn ; cant_retreat target=self duration=always"
TRAINER_EFFECTS: dict[str, str] = {
    "Helix Fossil": _FOSSIL,
    "Dome Fossil": _FOSSIL,
    "Old Amber": _FOSSIL,
    "Erika": "heal target=own_any amount=50 filter=type:grass chooser=self",
    "Misty": "flip coins=until_tails ; attach_energy target=own_any n=heads type=water filter=type:water chooser=self",
    "Blaine": "damage_dealt target=all_own amount=30 to=defender filter=name:Ninetales|Rapidash|Magmar "
    "duration=this_turn",
    "Koga": "return_to_hand target=own_active filter=name:Muk|Weezing ; promote target=self chooser=self",
    "Giovanni": "damage_dealt target=all_own amount=10 to=defender duration=this_turn",
    "Brock": "attach_energy target=own_any n=1 type=fighting filter=name:Golem|Onix chooser=self",
    "Sabrina": "switch target=defender chooser=opponent",
    "Lt. Surge": "move_energy from=own_bench to=own_active n=all type=lightning "
    "filter=name:Raichu|Electrode|Electabuzz",
    "Budding Expeditioner": "return_to_hand target=own_active filter=name:Mew ex ; promote target=self chooser=self",
    "Blue": "damage_taken target=all_own amount=-10 duration=next_turn",
    "Leaf": "retreat_cost target=own_active amount=-2 duration=this_turn",
    "Professor's Research": "draw n=2",
    "Pokemon Flute": "from_discard target=opponent filter=stage:basic to=bench chooser=self",
    "Mythical Slab": "look_deck target=self n=1 ; search_deck n=1 filter=type:psychic to=hand else=bottom",
    "Potion": "heal target=own_any amount=20 chooser=self",
    "X Speed": "retreat_cost target=own_active amount=-1 duration=this_turn",
    "Hand Scope": "reveal_hand target=opponent",
    "Pokedex": "look_deck target=self n=3",
    "Poke Ball": "search_deck n=1 filter=stage:basic to=hand chooser=random",
    "Red Card": "shuffle_hand target=opponent ; draw target=opponent n=3",
}

UNCERTAIN: dict[str, str] = {
    "Venoshock@Muk": "the file's effect text gives 50 as the whole damage when Poisoned, while the damage reads "
    "70+ and the other printings give 50 as a bonus: encoded as a 50 bonus",
    "Dizzy Punch": "damage 30x, while the effect text speaks of a bonus per heads: encoded as 30 per heads "
    "(no base damage), the reading of the x suffix",
    "Copy Anything": "which of the opponent's Pokémon (Active or Benched) may be copied is read from "
    "'opponent's Pokémon': any of them",
    "Rampaging Whirlpool": "one energy picked at random among all energy attached in play (both sides)",
    "Misty": "TRAINERS.md: any of your Water Pokémon (chosen before the flips)",
    "Mythical Slab": "private look: the player sees the top card; not revealed to the opponent",
}


@dataclass(frozen=True)
class Step:
    """One mechanic with its coefficients, e.g. Step('heal', {'target': 'self', 'amount': '30'})."""

    mechanic: str
    params: dict[str, str]

    def text(self) -> str:
        """The params as `key=value` words (values with spaces are kept whole: `name:Nidoran M`)."""
        return " ".join(f"{k}={v}" for k, v in self.params.items())


def parse_steps(encoded: str) -> list[Step]:
    """'flip coins=1 ; status target=defender status=paralyzed if=heads' -> two Steps.

    A value runs to the next `key=`, so a name with a space (`filter=name:Nidoran M`) stays whole.
    """
    steps = []
    for part in encoded.split(";"):
        words = part.split()
        if not words:
            raise ValueError(f"empty step in {encoded!r}")
        params: dict[str, str] = {}
        key = ""
        for word in words[1:]:
            if "=" in word:
                key, value = word.split("=", 1)
                params[key] = value
            elif key:
                params[key] += f" {word}"
            else:
                raise ValueError(f"step {part.strip()!r}: {word!r} is not key=value")
        steps.append(Step(words[0], params))
    return steps


def attack_key(attack: str, card_id: str, card_name: str) -> str | None:
    """The EFFECTS key for an attack of a card: by card id, then card name, then the attack alone."""
    for key in (f"{attack}@{card_id}", f"{attack}@{card_name}", attack):
        if key in EFFECTS:
            return key
    return None
