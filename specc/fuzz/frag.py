"""Code fragments with guards: how one drawn spec renders with or without each edge.

Generated code is a tree of text pieces. A `Guard` marks an operand that may reach an
edge of the semantics (a zero divisor, an index out of range, a NaN in a min ...).
Rendering with that edge kind avoided wraps the operand so it cannot reach the edge
(`clip(i, 0, 3)` for an index); rendering without leaves it bare. So one drawn spec
gives its variants with and without every edge, which is how a divergence is
classified (the kinds whose guarding makes it disappear) and how `--allow KIND`
keeps known divergences out of a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# Every edge kind the generator can reach, with what guarding it does.
EDGE_KINDS = {
    "zero-divisor": "a // b, a % b, a / b with b == 0 (guard: b replaced by 1 where it is 0)",
    "division-overflow": "the smallest integer // -1 or % -1 (guard: a divisor -1 replaced by 1)",
    "negative-exponent": "an integer to a negative power (guard: the exponent clipped to 0..7)",
    "index-read": "reading an array at an index out of range (guard: the index clipped)",
    "index-write": "writing an array at an index out of range (guard: the index clipped)",
    "player": "win/lose/reward of a player id outside 0..players-1 (guard: clipped)",
    "current-player": "current_player outside 0..players-1, assigned or in a state (guard: clipped)",
    "observer": "observe(state, p) with p outside 0..players-1 (guard: only valid players)",
    "action": "an action outside 0..num_actions-1, or of another integer or float type",
    "float-to-int": "a NaN, infinite or out-of-range float cast to an integer (guard: clipped, NaN -> 0)",
    "nan-minmax": "min, max, clip, argmax, argmin of a NaN (guard: NaN -> 0)",
    "roll-range": "roll(n) with n < 1 (guard: max(n, 1))",
    "subnormal": "a subnormal float (below 1.2e-38) in a state or a literal (guard: none generated)",
}


@dataclass(frozen=True)
class Guard:
    """`inner`, wrapped by `wrap` (its `{x}` marks the operand) when `kind` is avoided.
    `op` names the operator or function the operand belongs to, e.g. "//"."""

    kind: str
    op: str
    inner: Frag
    wrap: str

    def label(self) -> str:
        return f"{self.kind}:{self.op}"


Frag = Union[str, tuple, Guard]  # noqa: UP007 (a recursive alias)


def avoided(label: str, avoid: frozenset[str]) -> bool:
    """Whether an edge `kind:op` is avoided by `avoid` (which holds kinds or kind:op labels)."""
    return label in avoid or label.split(":")[0] in avoid


def render(f: Frag, avoid: frozenset[str] = frozenset()) -> str:
    """The text of a fragment, with the guards of the avoided edge kinds applied."""
    if isinstance(f, str):
        return f
    if isinstance(f, Guard):
        inner = render(f.inner, avoid)
        return f.wrap.replace("{x}", inner) if avoided(f.label(), avoid) else inner
    return "".join(render(x, avoid) for x in f)


def labels(f: Frag) -> set[str]:
    """Every `kind:op` guard label in a fragment."""
    if isinstance(f, str):
        return set()
    if isinstance(f, Guard):
        return {f.label()} | labels(f.inner)
    out: set[str] = set()
    for x in f:
        out |= labels(x)
    return out


def cat(*parts: Frag) -> Frag:
    return tuple(parts)
