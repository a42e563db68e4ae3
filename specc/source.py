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
        """A function mapping (line, col) inside the string at `path` to a file Pos."""
        node = self.nodes.get(tuple(path))
        if not isinstance(node, yaml.ScalarNode):
            base = self.pos(path)
            return lambda line, col: base
        start = node.start_mark
        style = node.style
        if style in ("|", ">"):
            lines = self.text.splitlines()
            indent = 0
            for raw in lines[start.line + 1 :]:
                if raw.strip():
                    indent = len(raw) - len(raw.lstrip(" "))
                    break

            def locate_block(line: int, col: int) -> Pos:
                return Pos(self.file, start.line + 1 + line, indent + col)

            return locate_block
        quote = 1 if style in ("'", '"') else 0

        def locate_flow(line: int, col: int) -> Pos:
            if line == 1:
                return Pos(self.file, start.line + 1, start.column + quote + col)
            return Pos(self.file, start.line + line, col)

        return locate_flow


def read_text(path: str | Path) -> str:
    """Read a spec file as UTF-8 text, with a clear error for missing, binary or empty files."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise SpecError("no such file", file=name)
    if p.is_dir():
        raise SpecError("is a directory, not a spec file", file=name)
    data = p.read_bytes()
    if b"\x00" in data:
        raise SpecError("not a text file (binary data)", Pos(name, 1, 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data[: err.start].rfind(b"\n") + 1) + 1
        raise SpecError("not a UTF-8 text file", Pos(name, line, col)) from None
    if not text.strip():
        raise SpecError("the spec is empty", Pos(name, 1, 1))
    return text


def load_yaml(path: str | Path) -> tuple[Any, Source]:
    name = str(path)
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = err.problem or err.context or "malformed YAML"
        raise SpecError(f"malformed YAML: {problem}", Pos(name, line, col)) from None
    except yaml.YAMLError as err:
        raise SpecError(f"malformed YAML: {err}", Pos(name, 1, 1)) from None
    if root is None:
        raise SpecError("the spec is empty", Pos(name, 1, 1))
    source = Source(name, text)
    constructor = yaml.SafeLoader("")  # reuses PyYAML's scalar rules (ints, floats, bools)

    def build(node: yaml.Node, path: DataPath) -> Any:
        source.nodes[path] = node
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int)):
                    raise SpecError("mapping keys must be names", _mark_pos(name, key_node))
                if key in out:
                    raise SpecError(f"duplicate key {key!r}", _mark_pos(name, key_node))
                source.nodes[path + (key, "<key>")] = key_node
                out[key] = build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(child, path + (i,)) for i, child in enumerate(node.value)]
        try:
            return constructor.construct_object(node, deep=True)
        except yaml.YAMLError as err:
            raise SpecError(f"malformed YAML value: {err}", _mark_pos(name, node)) from None

    data = build(root, ())
    if not isinstance(data, dict):
        raise SpecError("a spec must be a YAML mapping (name: ..., state: ..., actions: ...)", Pos(name, 1, 1))
    return data, source


def _mark_pos(file: str, node: yaml.Node) -> Pos:
    return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)
