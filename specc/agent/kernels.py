"""`specc compile --fill-kernels`: the agent writes kernel bodies; specc checks, verifies, caches.

Only kernels whose cache entry is missing or stale (their doc or signature changed) are
asked for, one at a time, in spec order. A body must parse and type-check against its
signature (errors go back to the agent, with the place in the body); once every kernel
has a body, the whole spec is compiled and verified in hidden files, and only then is
the cache written, atomically, in one go. Nothing the agent writes is ever executed as
Python: it is one expression of specc's language, compiled like any other.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..check import build_program
from ..docs import language_reference
from ..errors import SpecError
from ..ir import Pos
from ..kernels import KernelBody, UnfilledKernel, cached_bodies, kernel_key, needing_fill, write_cache
from ..schema import Spec, validate
from ..source import Source, load_yaml
from .answers import Malformed, extract_expression
from .client import Agent, AgentError
from .judge import candidate_file, compile_and_verify
from .prompts import Prompt, render

KERNEL_MAX_TOKENS = 4000  # thinking included


class FillFailed(AgentError):
    """The kernels could not be filled within the rounds or the budget; nothing was written."""


def fill_kernels(
    spec_path: str | Path,
    agent: Agent,
    max_rounds: int,
    levels: tuple[int, ...] = (1, 2, 3),
    episodes: int = 20,
    examples: int = 10,
    say=print,
) -> list[str]:
    """Fill every missing or stale kernel of the spec; return their names (empty: nothing to do)."""
    path = Path(spec_path)
    data, source = load_yaml(path)
    spec = validate(data, source)
    todo = needing_fill(spec, path)
    if not todo:
        return []
    bodies, _ = cached_bodies(spec, path)
    feedback: dict[str, list[str]] = {n: [] for n in todo}
    previous: dict[str, str] = {}
    rounds = 0
    while True:
        for name in todo:
            while name not in bodies:
                if rounds >= max_rounds:
                    raise FillFailed(_gave_up(path, name, f"{max_rounds} rounds", feedback[name]))
                rounds += 1
                prompt = kernel_prompt(spec, source, name, previous.get(name), feedback[name])
                with agent.ask(prompt, KERNEL_MAX_TOKENS) as answer:
                    try:
                        text = extract_expression(answer.text)
                        if answer.truncated:
                            raise Malformed("your answer was cut off (max_tokens): give the body alone")
                        body = _body(name, text, kernel_key(spec.kernels[name]), answer.model, prompt)
                        _check(spec, source, {**bodies, name: body}, name)
                    except (Malformed, SpecError) as err:
                        answer.outcome = f"rejected: {err}"
                        feedback[name] = [str(err)]
                        previous[name] = answer.text.strip()[:2000]
                        say(f"{path}: kernel {name}: round {rounds}: rejected: {err}")
                        continue
                    answer.outcome = "checked"
                    bodies[name] = body
                    say(f"{path}: kernel {name}: round {rounds}: {text}")
        if not levels:  # the caller verifies (specc draft does, with the whole spec)
            break
        with candidate_file(path, source.text, bodies) as candidate:
            verdict = compile_and_verify(candidate, path.as_posix(), list(levels), episodes, examples)
        say(f"{path}: verify with the new bodies: {verdict.summary}")
        if verdict.verified:
            break
        if rounds >= max_rounds:
            raise FillFailed(_gave_up(path, ", ".join(todo), f"{max_rounds} rounds", verdict.failures))
        for name in todo:  # ask again for every body filled in this run, with what failed
            previous[name] = bodies.pop(name).text
            feedback[name] = ["the spec compiled with your body but verification failed:", *verdict.failures]
    write_cache(spec.kernels, path, bodies)
    return todo


def _body(name: str, text: str, key: str, model: str, prompt: Prompt) -> KernelBody:
    label = f"<body of {name}>"
    return KernelBody(name, text, lambda line, col: Pos(label, line, col), key, model, prompt.version)


def _check(spec: Spec, source: Source, bodies: dict[str, KernelBody], name: str) -> None:
    """Type-check `name`'s candidate body with the rest of the spec. A later kernel still
    unfilled is fine here (kernels are checked in spec order, so `name`'s body passed);
    an error outside any body is the spec's own fault, not the agent's: stop on it."""
    try:
        build_program(spec, source, bodies)
    except UnfilledKernel as err:
        if err.kernel == name:
            raise
    except SpecError as err:
        if err.pos is None or not err.pos.file.startswith("<body of "):
            raise AgentError(f"{err} (fix the spec before filling kernels)", code=2) from None
        raise


def kernel_prompt(spec: Spec, source: Source, name: str, previous: str | None, failures: list[str]) -> Prompt:
    k = spec.kernels[name]
    scope = [f"{c} (constant)" for c in spec.constants] + [f"PLAYERS = {spec.players}"]
    scope += [f"enum {e}: {', '.join(f'{e}.{m}' for m in ms)}" for e, ms in spec.enums.items()]
    scope += [f"table {t}: {', '.join(f'{t}.{c}' for c in tb.columns)}, {t}.rows" for t, tb in spec.tables.items()]
    calls = [ln.strip() for ln in source.text.splitlines() if re.search(rf"\b{re.escape(name)}\(", ln)][:5]
    return render(
        "kernel",
        system="kernel_system",
        language=language_reference(),
        spec_name=Path(source.file).name,
        spec_text=source.text,
        kernel=name,
        doc=" ".join(k.doc.split()),
        args=list(k.args.items()),
        returns=k.returns,
        scope="; ".join(scope) or "none",
        calls=calls,
        previous=previous,
        failures=failures,
    )


def _gave_up(path: Path, what: str, limit: str, failures: list[str]) -> str:
    listed = "; ".join(failures[:6]) or "no answer was accepted"
    return f"{path}: kernel {what} not filled after {limit}; nothing was written. Last failures: {listed}"
