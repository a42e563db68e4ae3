"""Turning the agent's answers into spec data, and spec data into spec text.

An answer is only ever data: a YAML block read with yaml.safe_load (no tags, nothing
run), or one expression for a kernel body. Anything else is a `Malformed` answer, fed
back to the agent as an error; the spec it would have changed is left as it was.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from ..schema import Spec

SECTIONS = tuple(Spec.model_fields)  # top-level keys, in the order a spec is written
ENTRY_SECTIONS = ("constants", "enums", "tables", "state", "procedures", "kernels", "actions")
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


class Malformed(Exception):
    """An answer that is not what was asked for; the message is fed back to the agent."""


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, content) of each ``` block, the last one possibly cut off."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_sections(text: str) -> dict[str, Any]:
    """The spec sections of an answer: its first ```yaml block, as a mapping of known keys."""
    blocks = [b for lang, b in fenced_blocks(text) if lang in ("yaml", "yml", "")]
    if not blocks:
        raise Malformed("your answer has no ```yaml block: answer with exactly one ```yaml block of spec sections")
    try:
        value = yaml.safe_load(blocks[0])
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1} of the block" if mark else ""
        problem = " ".join(str(err.problem or err.context or "malformed YAML").split())
        raise Malformed(f"your ```yaml block does not parse{where}: {problem}") from None
    except yaml.YAMLError as err:
        raise Malformed(f"your ```yaml block does not parse: {' '.join(str(err).split())}") from None
    if not isinstance(value, dict) or not value:
        kind = "empty" if not value else type(value).__name__
        raise Malformed(f"your ```yaml block must be a mapping of spec sections (state:, actions:, ...), not {kind}")
    unknown = [str(k) for k in value if k not in SECTIONS]
    if unknown:
        raise Malformed(f"unknown top-level section(s) {', '.join(unknown)}: a spec has only {', '.join(SECTIONS)}")
    return value


def extract_expression(text: str) -> str:
    """A kernel body: the first fenced block (or a one-line answer), which must be one line."""
    blocks = [b for _, b in fenced_blocks(text)]
    body = blocks[0] if blocks else text
    lines = [ln for ln in body.strip().splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        raise Malformed("your answer holds no expression: answer with the body in one ```specc block")
    if len(lines) > 1:
        raise Malformed("a kernel body is ONE expression on one line (use `a if c else b`, where(), min/max)")
    return lines[0].strip()


def merge(data: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`data` with the answer's sections applied: entry sections merge entry by entry (an
    action's keys merge too, so an answer may give only its effect); `null` removes."""
    out = copy.deepcopy(data)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif key in ENTRY_SECTIONS and isinstance(value, dict) and isinstance(out.get(key), dict):
            section = out[key]
            for name, entry in value.items():
                old = section.get(name)
                if entry is None:
                    section.pop(name, None)
                elif key == "actions" and isinstance(entry, dict) and isinstance(old, dict):
                    section[name] = {**old, **entry}
                else:
                    section[name] = entry
        else:
            out[key] = copy.deepcopy(value)
    return out


def render_spec(data: dict[str, Any], header: str = "") -> str:
    """Spec data as YAML text: sections in the usual order, a blank line between them,
    multi-line code as literal blocks, short leaf lists and mappings on one line."""
    parts = [header] if header else []
    for key in sorted(data, key=lambda k: SECTIONS.index(k) if k in SECTIONS else len(SECTIONS)):
        text = yaml.dump(_Top({key: data[key]}), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        parts.append(text if not isinstance(data[key], (dict, list)) else "\n" + text)
    return "".join(parts).lstrip("\n")


class _Dumper(yaml.SafeDumper):
    pass


class _Top(dict):
    """The top level: always block style."""


def _leaf(value: Any) -> bool:
    if isinstance(value, str):
        return "\n" not in value
    if isinstance(value, list):
        return all(_leaf(v) and not isinstance(v, dict) for v in value)
    return not isinstance(value, dict)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None  # code keeps its lines
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _dict(dumper: yaml.SafeDumper, value: dict) -> yaml.Node:
    flow = all(_leaf(v) for v in value.values()) and len(str(value)) <= 90
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=flow)


def _list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_leaf(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(dict, _dict)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(_Top, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=False))
