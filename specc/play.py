"""`specc play`: play a compiled game in the terminal, to check its rules by hand.

The state is printed as text (the spec's `render:` section draws fields as grids of
symbols, see specc.drawing; other 2-D arrays as grids of numbers), showing only what the
person's seat may see (a field `visible: none` is hidden, `visible: owner` shows the
seat's own row) unless `reveal` is set, and everything once the game is over. The legal
actions are listed by name; the other seats are played by a uniform random player or by
a trained policy checkpoint. Each game draws a fresh seed unless one is given, and says
it, so any game can be played again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TextIO

import numpy as np

from .api import make
from .drawing import draw_grid, load_render
from .errors import SpecError
from .schema import DrawSpec

Chooser = Callable[[object], int]


def render(env, state, seat: int | None = None, drawing: dict[str, DrawSpec] | None = None) -> str:
    """The state as text: every field, or with `seat` only what that player may see;
    `drawing`: the spec's `render:` section (fields drawn as grids of symbols)."""
    m = env.module
    drawing = drawing or {}
    lines = [f"{m.ID}: step {int(state.step_count)}, player {int(state.current_player)} to move"]
    for name in m.FIELDS:
        value = np.asarray(getattr(state, name))
        visible = m.VISIBILITY.get(name, "all") if seat is not None else "all"
        if visible == "none":
            lines.append(f"  {name}: (hidden)")
        elif visible == "owner" and name in drawing:
            grid = "\n".join("    " + line for line in draw_grid(value[seat], drawing[name]))
            lines.append(f"  {name} (yours; the others' hidden):\n{grid}")
        elif visible == "owner":
            own = value[seat]
            lines.append(f"  {name}: yours {own.tolist()}; the others' hidden")
        elif name in drawing:
            draw = drawing[name]
            if m.VISIBILITY.get(name) == "owner":  # revealed: every player's row
                rows = [(f" of player {p}", draw_grid(row, draw)) for p, row in enumerate(value)]
            else:
                rows = [("", draw_grid(value, draw))]
            for label, grid in rows:
                lines.append(f"  {name}{label}:\n" + "\n".join("    " + line for line in grid))
        elif value.ndim == 2:
            rows = "\n".join("    " + " ".join(f"{v:>3}" for v in row.tolist()) for row in value)
            lines.append(f"  {name}:\n{rows}")
        else:
            lines.append(f"  {name}: {value.tolist()}")
    rewards = np.asarray(state.rewards).tolist()
    lines.append(f"  rewards of the last step: {rewards}")
    return "\n".join(lines)


def legal_labels(env, state) -> list[tuple[int, str]]:
    labels = env.module.ACTION_LABELS
    return [(int(i), labels[i]) for i in np.flatnonzero(np.asarray(state.legal_action_mask))]


def parse_choice(text: str, legal: list[tuple[int, str]]) -> int | None:
    """An action from what a person typed: its index, its label, or its number in the list."""
    text = text.strip()
    by_label = {label: i for i, label in legal}
    if text in by_label:
        return by_label[text]
    if text.isdigit():
        value = int(text)
        if any(i == value for i, _ in legal):
            return value
    return None


def random_player(seed: int) -> Chooser:
    rng = np.random.default_rng(seed)
    return lambda state: int(rng.choice(np.flatnonzero(np.asarray(state.legal_action_mask))))


def policy_player(checkpoint: str, env=None) -> Chooser:
    from .policy import greedy_action, load_policy

    params = load_policy(checkpoint, env)
    return lambda state: int(greedy_action(params, state.observation, state.legal_action_mask))


def introduce(env, seat: int, opponent: str, seed: int) -> str:
    """Who the person is, who plays the other seats, and how to play this game again."""
    others = [p for p in range(env.num_players) if p != seat]
    who = "a uniform random player" if opponent == "random" else f"the policy {opponent}"
    if not others:
        seats = f"You play {env.id} alone (player 0)."
    else:
        names = ", ".join(f"player {p}" for p in others)
        seats = f"You are player {seat} of {env.num_players} in {env.id}; {names}: {who}."
    return f"{seats} Seed {seed} (play this game again with --seed {seed})."


def play(spec: str, seat: int = 0, opponent: str = "random", seed: int | None = None, backend: str = "python",
         read: Callable[[str], str] = input, out: TextIO | None = None, reveal: bool = False) -> int:  # fmt: skip
    """Play one game; the person takes `seat`; without `seed`, a fresh one is drawn.
    Returns the person's total reward."""
    import sys

    import jax

    out = out or sys.stdout
    env = make(spec, backend=backend)
    if not 0 <= seat < env.num_players:
        raise SpecError(f"--seat must be 0..{env.num_players - 1}")
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not 0 <= seed < 2**32:
        raise SpecError(f"--seed must be in 0..{2**32 - 1}, got {seed}")
    drawing = load_render(spec)
    print(introduce(env, seat, opponent, seed), file=out)
    other = random_player(seed) if opponent == "random" else policy_player(opponent, env)
    key = jax.random.PRNGKey(seed)
    state = env.init(key)
    total = 0.0
    t = 0
    while not (bool(state.terminated) or bool(state.truncated)):
        mover = int(state.current_player)
        if mover == seat:
            print(render(env, state, None if reveal else seat, drawing), file=out)
            legal = legal_labels(env, state)
            print("legal actions: " + ", ".join(f"{i}={label}" for i, label in legal), file=out)
            action = None
            while action is None:
                try:
                    text = read("your action (index or name, q to quit): ")
                except EOFError:
                    text = "q"
                if text.strip() in ("q", "quit"):
                    print("bye", file=out)
                    return int(total)
                action = parse_choice(text, legal)
                if action is None:
                    print(f"not a legal action: {text.strip()!r}", file=out)
        else:
            action = other(state)
            print(f"player {mover} plays {env.module.ACTION_LABELS[action]}", file=out)
        t += 1
        state = env.step(state, action, jax.random.fold_in(key, t))
        total += float(np.asarray(state.rewards)[seat])
    print(render(env, state, drawing=drawing), file=out)
    print(f"game over: your reward {total:+g}", file=out)
    return int(total)
