"""Read a spec file: YAML with every value's position kept.

`load_yaml` returns plain Python data plus a `Source` that maps a path inside the
data (such as ("actions", "place", "effect")) to its line and column, and maps a
line and column inside an expression string back to the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .ir import Pos

DataPath = tuple[Any, ...]


@dataclass
class Source:
    file: str
    text: str
    nodes: dict[DataPath, yaml.Node] = field(default_factory=dict)

    def pos(self, path: DataPath) -> Pos:
        """The position of the value at `path` (or of its nearest located parent)."""
        path = tuple(path)
        while path and path not in self.nodes:
            path = path[:-1]
        node = self.nodes.get(path)
        if node is None:
            return Pos(self.file, 1, 1)
        return Pos(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def key_pos(self, path: DataPath) -> Pos:
        """The position of the mapping key that introduces `path`."""
        node = self.nodes.get(tuple(path) + ("<key>",))
        return self.pos(path) if node is None else Pos(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def locator(self, path: DataPath):
        """A function mapping (line, col) inside the string at `path` to a file Pos.

        Works for every scalar style: each character of the string's value is matched,
        in order, to its character in the file, so folded lines, quotes, escapes and
        the indentation of block scalars (`|`, `>`) are all accounted for.
        """
        node = self.nodes.get(tuple(path))
        if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
            base = self.pos(path)
            return lambda line, col: base
        value = node.value
        begin, end = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):  # the text starts on the line after the header
            newline = self.text.find("\n", begin)
            begin = end if newline < 0 else newline + 1
        elif node.style in ("'", '"'):
            begin, end = begin + 1, max(begin + 1, end - 1)
        offsets = _align(value, self.text[begin:end])
        starts = [0]
        for line_text in value.split("\n"):
            starts.append(starts[-1] + len(line_text) + 1)

        def locate(line: int, col: int) -> Pos:
            line = min(max(line, 1), len(starts) - 1)
            offset = min(max(starts[line - 1] + col - 1, 0), len(value))
            index = begin + offsets[offset]
            row_start = self.text.rfind("\n", 0, index) + 1
            return Pos(self.file, self.text.count("\n", 0, index) + 1, index - row_start + 1)

        return locate


def _align(value: str, raw: str) -> list[int]:
    """For each character of a scalar's value (and its end), its index in the raw text.

    The raw text holds the value's characters in order, plus what YAML removes:
    indentation, folded line breaks, quotes doubled or escaped. Non-blank characters
    are matched exactly; blanks map to where the scan stands.
    """
    out: list[int] = []
    j = 0
    for ch in value:
        if ch.isspace():
            out.append(min(j, len(raw)))
            if j < len(raw) and raw[j] == ch:
                j += 1
            continue
        k = raw.find(ch, j)
        if k < 0:
            k = min(j, len(raw))
        out.append(k)
        j = k + 1
    out.append(min(j, len(raw)))
    return out


def read_text(path: str | Path) -> str:
    """Read a spec file as UTF-8 text, with a clear error for missing, binary or empty files."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise SpecError("no such file", Pos(name, 1, 1))
    if p.is_dir():
        raise SpecError("is a directory, not a spec file", Pos(name, 1, 1))
    try:
        data = p.read_bytes()
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror or err}", Pos(name, 1, 1)) from None
    if b"\x00" in data:
        where = _char_pos(name, data[: data.index(b"\x00")])
        raise SpecError("not a text file (it holds binary data: a NUL byte)", where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError("not a UTF-8 text file", _char_pos(name, data[: err.start])) from None
    if not text.strip():
        raise SpecError("the spec is empty", Pos(name, 1, 1))
    return text


def _char_pos(file: str, before: bytes) -> Pos:
    """The position just after `before` (the bytes ahead of a fault), counted in characters."""
    text = before.decode("utf-8", errors="replace")
    return Pos(file, text.count("\n") + 1, len(text) - (text.rfind("\n") + 1) + 1)


def load_yaml(path: str | Path) -> tuple[Any, Source]:
    name = str(path)
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = err.problem or err.context or "malformed YAML"
        context = err.context_mark
        if err.problem and err.context and context is not None and context.line + 1 != line:
            problem += f" ({err.context} at line {context.line + 1}, column {context.column + 1})"
        raise SpecError(f"malformed YAML: {_one_line(problem)}", Pos(name, line, col)) from None
    except yaml.YAMLError as err:
        raise SpecError(f"malformed YAML: {_one_line(str(err))}", Pos(name, 1, 1)) from None
    if root is None:
        raise SpecError("the spec is empty", Pos(name, 1, 1))
    source = Source(name, text)
    constructor = yaml.SafeLoader("")  # reuses PyYAML's scalar rules (ints, floats, bools)

    def build(node: yaml.Node, path: DataPath) -> Any:
        source.nodes[path] = node
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = construct(key_node)
                if isinstance(key, bool):  # YAML 1.1 reads yes/no/on/off as bools
                    message = f"YAML reads the key {key_node.value!r} as {str(key).lower()}: quote it"
                    raise SpecError(message, _mark_pos(name, key_node))
                if not isinstance(key, (str, int)):
                    raise SpecError("mapping keys must be names", _mark_pos(name, key_node))
                if key in out:
                    raise SpecError(f"duplicate key {key!r}", _mark_pos(name, key_node))
                source.nodes[path + (key, "<key>")] = key_node
                out[key] = build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(child, path + (i,)) for i, child in enumerate(node.value)]
        return construct(node)

    def construct(node: yaml.Node) -> Any:
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            problem = getattr(err, "problem", None) or str(err)
            raise SpecError(f"malformed YAML value: {_one_line(problem)}", _mark_pos(name, node)) from None

    data = build(root, ())
    if not isinstance(data, dict):
        raise SpecError("a spec must be a YAML mapping (name: ..., state: ..., actions: ...)", Pos(name, 1, 1))
    return data, source


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _mark_pos(file: str, node: yaml.Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)
