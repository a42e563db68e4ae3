"""`specc diff OLD.yaml NEW.yaml` (or `specc diff SPEC [--since REV]`, against git): which
rules, tables (down to their rows) and kernels an edit changed.

Rules are compared by meaning where they are code: guards, effects, formulas and
observations are parsed, and two texts that parse to the same tree (a comment or the
spacing changed) are the same rule. Tables are compared by their data files' contents;
kernels by the hash their cached body is keyed by, so a changed kernel is exactly one
that `specc compile --fill-kernels` will ask the agent to fill again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SpecError
from .kernels import kernel_key
from .schema import Spec, validate
from .source import load_yaml
from .syntax import parse_block, parse_expr

# Per section: the keys of an entry that hold code ("block" statements or an "expr").
_CODE = {
    "actions": {"legal": "expr", "effect": "block"},
    "procedures": {"body": "block"},
    "observe": {"value": "expr"},
}
_ENTRY_SECTIONS = ("constants", "enums", "tables", "state", "procedures", "kernels", "actions")
_WHOLE = ("players", "init", "observe", "rewards", "max_steps", "invariants")


@dataclass(frozen=True)
class Change:
    kind: str  # added, removed, changed
    section: str  # actions, state, kernels, tables, ... or a top-level key
    name: str = ""  # the entry's name, if the section has entries
    detail: str = ""  # what changed inside it

    def __str__(self) -> str:
        where = f"{self.section}.{self.name}" if self.name else self.section
        return f"{self.kind:<8} {where}" + (f": {self.detail}" if self.detail else "")


def diff_specs(old_path: str | Path, new_path: str | Path) -> list[Change]:
    """The changes from OLD to NEW, section by section in spec order."""
    old, new = _load(old_path), _load(new_path)
    changes: list[Change] = []
    for section in _ENTRY_SECTIONS:
        a, b = getattr(old[0], section), getattr(new[0], section)
        for name in b:
            if name not in a:
                changes.append(Change("added", section, name))
        for name in a:
            if name not in b:
                changes.append(Change("removed", section, name))
            else:
                detail = _entry_change(section, name, a[name], b[name], old, new)
                if detail is not None:
                    changes.append(Change("changed", section, name, detail))
    for key in _WHOLE:
        a, b = getattr(old[0], key), getattr(new[0], key)
        if not _same(key, a, b):
            changes.append(Change("changed", key, detail=_scalar_detail(a, b)))
    changes += _scenarios(old[0], new[0])
    return changes


def diff_since(spec_path: str | Path, rev: str = "HEAD") -> list[Change]:
    """The changes to a spec and its table files since git revision `rev` (the spec as it
    was committed there, against the working tree): what an edit to the spec or its data
    changed before it is committed. Raises SpecError outside a git repository or if the
    spec is not in `rev`."""
    import subprocess
    import tempfile

    spec = Path(spec_path).resolve()
    if not spec.is_file():
        raise SpecError(f"{spec_path}: no such spec file")

    def git(*args: str) -> bytes:
        try:
            done = subprocess.run(["git", *args], cwd=spec.parent, capture_output=True, check=False)
        except OSError as err:
            raise SpecError(f"specc diff --since needs git ({err})") from None
        if done.returncode != 0:
            raise SpecError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    root = Path(git("rev-parse", "--show-toplevel").decode().strip()).resolve()
    with tempfile.TemporaryDirectory(prefix="specc-diff-") as tmp:

        def checkout(path: Path) -> Path:
            rel = path.relative_to(root).as_posix()
            out = Path(tmp) / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(git("show", f"{rev}:{rel}"))
            return out

        old = checkout(spec)
        for table in _load(old)[0].tables.values():
            try:
                checkout((spec.parent / table.file).resolve())
            except (SpecError, ValueError):
                pass  # a table file new since `rev` (or outside the repository): reported as changed data
        return diff_specs(old, spec)


def _load(path: str | Path) -> tuple[Spec, Path]:
    data, source = load_yaml(path)
    return validate(data, source), Path(path)


def _entry_change(section: str, name: str, a: Any, b: Any, old, new) -> str | None:
    if section == "kernels":
        if kernel_key(a) == kernel_key(b):
            return None
        keys = [k for k in ("doc", "args", "returns") if getattr(a, k) != getattr(b, k)]
        return f"{', '.join(keys)} (its body will be filled again by `specc compile --fill-kernels`)"
    if section == "tables":
        keys = [k for k in ("file", "columns") if getattr(a, k) != getattr(b, k)]
        if _file_hash(old[1], a.file) != _file_hash(new[1], b.file):
            rows = _row_changes(old[1].resolve().parent / a.file, new[1].resolve().parent / b.file, b.columns)
            keys.append(f"the data in {b.file}{rows}")
        return ", ".join(keys) or None
    if hasattr(a, "model_dump"):
        da, db = a.model_dump(), b.model_dump()
        code = _CODE.get(section, {})
        keys = [k for k in db if not _same(code.get(k, k), da.get(k), db.get(k))]
        return ", ".join(k for k in keys if k not in ("doc", "rule")) or (f"{', '.join(keys)} only" if keys else None)
    return None if a == b else _scalar_detail(a, b)


def _same(kind: str, a: Any, b: Any) -> bool:
    """Equal values; code compared by its parse tree (positions, comments and spacing aside)."""
    if a == b:
        return True
    if kind == "init" and isinstance(a, str) and isinstance(b, str):
        kind = "block"
    if kind == "observe" and hasattr(a, "model_dump"):
        da, db = a.model_dump(), b.model_dump()
        return da.keys() == db.keys() and all(_same(_CODE["observe"].get(k, k), da[k], db[k]) for k in da)
    if kind == "invariants" and isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same("expr", x, y) for x, y in zip(a, b))
    if kind in ("expr", "block") and isinstance(a, str) and isinstance(b, str):
        return _tree(kind, a) == _tree(kind, b) is not None
    return False


def _tree(kind: str, text: str) -> Any:
    locate = lambda line, col: None  # positions are not compared (Pos has compare=False)
    try:
        return parse_expr(text, locate) if kind == "expr" else parse_block(text, locate)
    except SpecError:
        return None  # unparsable: fall back to the text comparison above


def _scalar_detail(a: Any, b: Any) -> str:
    one_line = "\n" not in f"{a}{b}" and len(f"{a}{b}") < 60
    if isinstance(a, (int, float, str)) and isinstance(b, (int, float, str)) and one_line:
        return f"{a!r} -> {b!r}"
    return ""


def _row_key(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    """The columns that name a row: `name` if it is unique on both sides, else the fewest
    leading columns that are (a card's id and attack number), else none (rows by position)."""
    columns = list(before[0]) if before else list(after[0]) if after else []

    def unique(key: list[str]) -> bool:
        return all(len({tuple(r.get(c) for c in key) for r in rows}) == len(rows) for rows in (before, after))

    if "name" in columns and unique(["name"]):
        return ["name"]
    for n in range(1, min(len(columns), 4) + 1):
        if unique(columns[:n]):
            return columns[:n]
    return []


def _row_changes(old_file: Path, new_file: Path, columns: dict[str, str], shown: int = 8) -> str:
    """': row NAME: column a -> b; ...' for the rows of a table whose used columns changed.

    Rows are matched by their key (`_row_key`: the `name` cell where names are unique, else
    the leading columns that are, else position) and named by the key and, beside it, their
    `name`; only the columns the spec declares are compared, since the others cannot change
    the environment."""
    from .ir import Pos
    from .tables import read_rows

    try:
        before = read_rows(old_file, Pos(str(old_file), 1, 1))
        after = read_rows(new_file, Pos(str(new_file), 1, 1))
    except SpecError:
        return ""
    key = _row_key(before, after)

    def label(i: int, r: dict[str, Any]) -> str:
        text = " ".join(str(r.get(c)) for c in key) if key else str(i)
        return f"{text} ({r['name']})" if "name" not in key and r.get("name") else text

    def keyed(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {label(i, r): r for i, r in enumerate(rows)}

    a, b = keyed(before), keyed(after)
    parts = [f"row {k} added" for k in b if k not in a] + [f"row {k} removed" for k in a if k not in b]
    for k in b:
        if k in a:
            cells = [f"{c} {a[k].get(c)!s} -> {b[k].get(c)!s}" for c in columns if str(a[k].get(c)) != str(b[k].get(c))]
            if cells:
                parts.append(f"row {k}: {', '.join(cells)}")
    if not parts:
        return " (no column the spec uses)"
    more = f"; and {len(parts) - shown} more row(s)" if len(parts) > shown else ""
    return ": " + "; ".join(parts[:shown]) + more


def _file_hash(spec_path: Path, file: str) -> str:
    path = spec_path.resolve().parent / file
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _scenarios(old: Spec, new: Spec) -> list[Change]:
    a = {s.name: s for s in old.scenarios}
    b = {s.name: s for s in new.scenarios}
    out = [Change("added", "scenarios", n) for n in b if n not in a]
    out += [Change("removed", "scenarios", n) for n in a if n not in b]
    out += [Change("changed", "scenarios", n) for n in a if n in b and a[n] != b[n]]
    return out


def format_changes(changes: list[Change]) -> str:
    if not changes:
        return "no rule, table or kernel changed"
    return "\n".join(str(c) for c in changes)
