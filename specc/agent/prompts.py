"""Prompt templates (specc/templates/prompts/*.j2, Jinja) and their versions.

Each template starts with `{# version: N ... #}`; the version is logged with every call,
so a log line says exactly which wording produced an answer. A prompt has a system part
(stable for a whole run: role, rules, language reference, example; cached by the API)
and a user part (this step's task and the failures so far).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "templates" / "prompts"  # package data
_VERSION = re.compile(r"\{#\s*version:\s*([\w.-]+)")


@dataclass(frozen=True)
class Prompt:
    template: str  # the user template's name, e.g. "draft"
    version: str  # "draft 1 / system 1"-style: both parts' versions
    system: str
    user: str


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["numbered"] = numbered
    env.filters["data"] = as_data
    return env


def version(name: str) -> str:
    """The version a template declares in its first line."""
    text = (PROMPTS_DIR / f"{name}.md.j2").read_text()
    m = _VERSION.search(text.split("\n", 1)[0])
    if not m:
        raise ValueError(f"specc/templates/prompts/{name}.md.j2 must start with {{# version: N #}}")
    return m.group(1)


def render(template: str, system: str, **context: object) -> Prompt:
    """Render the user template `template` and the system template `system` with `context`."""
    env = _env()
    sys_text = env.get_template(f"{system}.md.j2").render(**context).strip() + "\n"
    user_text = env.get_template(f"{template}.md.j2").render(**context).strip() + "\n"
    return Prompt(template, f"{template} {version(template)} / {system} {version(system)}", sys_text, user_text)


def numbered(text: str) -> str:
    """Text with line numbers, so `FILE:LINE:COL` in a failure points somewhere visible."""
    lines = text.rstrip("\n").split("\n")
    width = len(str(len(lines)))
    return "\n".join(f"{i + 1:>{width}} | {line}" for i, line in enumerate(lines))


def as_data(text: str, tag: str) -> str:
    """Outside text (scraped rules, a spec) as inert data between <tag> markers: any marker
    inside is defused, so the text cannot close its block and pose as instructions."""
    defused = re.sub(rf"<(/?)\s*{tag}\b", rf"<\1{tag}-text", str(text), flags=re.I)
    return f"<{tag}>\n{defused.rstrip()}\n</{tag}>"
