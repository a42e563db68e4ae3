"""Kernel bodies: the cache file next to a spec, and the key that says whether an entry is fresh.

A spec's `kernels:` entry gives a rule in words with a signature; its body, one
expression in specc's language, lives in NAME.kernels.yaml beside the spec (committed),
keyed by the sha256 of the kernel's doc and signature. The compiler reads bodies from
here and never calls the agent; `specc compile --fill-kernels` (specc.agent.kernels)
writes them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import ir
from .check import _check_new_name, _parse_type
from .check_expr import Binding, Context, ExprChecker, Scope, _substitute, check_range
from .errors import SpecError
from .ir import Pos, Type
from .schema import KernelSpec, Spec
from .source import Source, load_yaml
from .syntax import Locate, parse_expr
from .types import assignable

HEADER = (
    "# Kernel bodies for {spec}, filled by `specc compile --fill-kernels`: one expression each,\n"
    "# in specc's language. Each entry is keyed by the sha256 of the kernel's doc and signature;\n"
    "# the compiler only reads this file. Commit it with the spec.\n"
)


@dataclass(frozen=True)
class KernelBody:
    """The text of a kernel's body and how to map a place in it back to a file."""

    name: str
    text: str
    locate: Locate
    key: str = ""
    model: str = ""
    template: str = ""


class UnfilledKernel(SpecError):
    """A kernel with no body (or a stale one): `specc compile --fill-kernels` fills it."""

    def __init__(self, message: str, pos: Pos, kernel: str):
        super().__init__(message, pos)
        self.kernel = kernel


def cache_path(spec_path: str | Path) -> Path:
    """specs/NAME.yaml -> specs/NAME.kernels.yaml."""
    p = Path(spec_path)
    return p.with_name(p.name.removesuffix(p.suffix) + ".kernels.yaml")


def kernel_key(kernel: KernelSpec) -> str:
    """The sha256 of what the body must fulfil: the doc text and the signature. The name is
    not part of it (entries are looked up by name), so the key says only whether the
    words or the types a body was written for have changed."""
    canonical = {"doc": kernel.doc.strip(), "args": list(kernel.args.items()), "returns": kernel.returns.strip()}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def read_cache(spec_path: str | Path) -> tuple[dict[str, dict[str, Any]], Source | None]:
    """The cache's entries (name -> {sha256, body, ...}) and its source (for positions)."""
    path = cache_path(spec_path)
    if not path.exists():
        return {}, None
    data, source = load_yaml(path)
    for name, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("body"), str) or "sha256" not in entry:
            raise SpecError(f"kernel cache entry {name!r} needs 'sha256' and a 'body' string", source.pos((name,)))
    return data, source


def cached_bodies(spec: Spec, spec_path: str | Path) -> tuple[dict[str, KernelBody], set[str]]:
    """The fresh cached body of each kernel of the spec, and the names whose entry is stale."""
    if not spec.kernels:
        return {}, set()
    entries, source = read_cache(spec_path)
    bodies, stale = {}, set()
    for name, kernel in spec.kernels.items():
        entry = entries.get(name)
        if entry is None or source is None:
            continue
        if entry["sha256"] != kernel_key(kernel):
            stale.add(name)
            continue
        bodies[name] = KernelBody(name, entry["body"].strip(), source.locator((name, "body")), entry["sha256"],
                                  str(entry.get("model", "")), str(entry.get("template", "")))  # fmt: skip
    return bodies, stale


def missing_message(names: list[str], stale: set[str], spec_path: str | Path) -> str:
    """One line naming every kernel without a usable body (`names`), and what to run."""
    parts = []
    unfilled, changed = [n for n in names if n not in stale], [n for n in names if n in stale]
    if unfilled:
        listed = ", ".join(map(repr, unfilled))
        parts.append(f"kernel {listed} has no body yet" if len(unfilled) == 1 else f"kernels {listed} have no body yet")
    if changed:
        listed, where = ", ".join(map(repr, changed)), cache_path(spec_path).as_posix()
        one = len(changed) == 1
        parts.append(
            f"kernel{'' if one else 's'} {listed} changed since {'its body was' if one else 'their bodies were'} "
            f"filled ({'its entry' if one else 'their entries'} in {where} {'is' if one else 'are'} stale)"
        )
    return "; ".join(parts) + f": run `specc compile --fill-kernels {Path(spec_path).as_posix()}`"


def needing_fill(spec: Spec, spec_path: str | Path) -> list[str]:
    """The kernels whose cached body is missing or stale, in spec order."""
    entries, _ = read_cache(spec_path)
    return [n for n, k in spec.kernels.items() if n not in entries or entries[n]["sha256"] != kernel_key(k)]


def write_cache(names: Iterable[str], spec_path: str | Path, bodies: Mapping[str, KernelBody]) -> Path:
    """Write the cache atomically: one entry per kernel `names` lists (the spec's, in its
    order); entries of kernels no longer in the spec are dropped. Each entry's text depends
    on that entry alone, so untouched entries keep their bytes."""
    path = cache_path(spec_path)
    parts = [HEADER.format(spec=Path(spec_path).name)]
    for name in names:
        body = bodies.get(name)
        if body is not None:
            parts.append(render_entry(body))
    atomic_write(path, "".join(parts))
    return path


def atomic_write(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets; this is a spec
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def render_entry(body: KernelBody) -> str:
    """One entry as YAML text; deterministic, the body as a literal block."""
    entry: dict[str, Any] = {"sha256": body.key, "body": body.text.strip()}
    if body.model:
        entry["model"] = body.model
    if body.template:
        entry["template"] = body.template
    return yaml.dump({body.name: entry}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value or ":" in value or "#" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


# ------------------------------------------------------------------ checking


@dataclass(frozen=True)
class Kernel:
    """A checked kernel: its signature and its body (reduction variables renamed apart)."""

    args: tuple[tuple[str, Type], ...]
    returns: Type
    body: ir.Expr


def check_kernels(ctx: Context, scope: Scope, spec: Spec, bodies: Mapping[str, KernelBody] | None) -> None:
    """Check each kernel's signature and body, in spec order, and record it in `ctx`.

    `bodies`: the bodies to use (the agent's candidates); by default the spec's cache, where
    a missing or stale body is an error at the kernel's place in the spec. A body is checked
    once here against its declared types, on a copy of the context so that its chance calls
    take no site numbers (each call site takes its own when it is inlined)."""
    source = ctx.source
    if bodies is None:
        bodies, stale = cached_bodies(spec, source.file)
    else:
        stale = set()
    for name, k in spec.kernels.items():
        path = ("kernels", name)
        _check_new_name(name, scope, source.key_pos(path))
        args = []
        arg_scope = Scope([dict(ctx.const_bindings)])
        for arg, text in k.args.items():
            _check_new_name(arg, arg_scope, source.key_pos(path + ("args", arg)))
            t = _parse_type(text, source, path + ("args", arg))
            arg_scope.define(arg, Binding("local", t))
            args.append((arg, t))
        returns = _parse_type(k.returns, source, path + ("returns",))
        body = bodies.get(name)
        if body is None:
            missing = [n for n in spec.kernels if n not in bodies]
            raise UnfilledKernel(missing_message(missing, stale, source.file), source.key_pos(path), name)
        expr = _rename_reductions(parse_expr(body.text, body.locate), name)
        probe = dataclasses.replace(ctx, chance_sites=list(ctx.chance_sites), kernels={})  # no kernel in a kernel
        value = ExprChecker(probe, arg_scope, f"kernel {name}", True).check(expr)
        if value.type.shape != returns.shape or not assignable(value.type, returns):
            raise SpecError(f"kernel {name} must return {returns}, its body gives {value.type}", value.pos)
        ctx.kernels[name] = Kernel(tuple(args), returns, expr)
        scope.define(name, Binding("kernel", returns))


def inline_call(checker: ExprChecker, e: ir.Call) -> ir.Expr:
    """A kernel call, inlined: each argument cast to its declared type, the body checked in
    the spec's constant scope (a kernel sees only its arguments and the constants), the
    result cast to the declared type, so the body computes exactly as it was checked."""
    k: Kernel = checker.ctx.kernels[e.func]
    if len(e.args) != len(k.args):
        names = ", ".join(n for n, _ in k.args)
        raise SpecError(f"{e.func}() takes {len(k.args)} argument(s) ({names}), got {len(e.args)}", e.pos)
    bound = {}
    for (name, t), a in zip(k.args, e.args):
        typed = checker.check(a)
        if typed.type.shape != t.shape or not assignable(typed.type, t):
            raise SpecError(f"argument {name!r} of {e.func}() is {t}, not {typed.type}", a.pos)
        bound[name] = _cast(typed, t, name)
    scope = Scope([dict(checker.ctx.const_bindings)])
    inner = ExprChecker(checker.ctx, scope, checker.section, checker.allow_chance, checker.loop_vars)
    return _cast(inner.check(_substitute(k.body, bound)), k.returns, e.func)


def _cast(e: ir.Expr, t: Type, name: str) -> ir.Expr:
    """`e` as exactly type `t` (a kernel's argument or result)."""
    if isinstance(e, ir.Literal) and not t.is_bool:
        check_range(e.value, t, None, e.pos, name)
        return ir.Literal(e.pos, value=float(e.value) if t.is_float else e.value, type=t)
    if e.type.dtype == t.dtype:
        return e
    func = "float" if t.is_float else t.dtype
    return ir.Call(e.pos, func=func, args=(e,), type=Type(t.dtype, e.type.shape))


def _rename_reductions(node: Any, kernel: str, renames: dict[str, str] | None = None) -> Any:
    """Give a kernel body's reduction variables names of their own, so that an argument
    spliced in at a call site (which may use the caller's `i`) is never captured."""
    renames = renames or {}
    if isinstance(node, ir.Name) and node.name in renames:
        return dataclasses.replace(node, name=renames[node.name])
    if isinstance(node, ir.Reduce):
        new = f"{node.var}__{kernel}"
        return dataclasses.replace(
            node,
            var=new,
            lo=_rename_reductions(node.lo, kernel, renames),
            hi=_rename_reductions(node.hi, kernel, renames),
            body=_rename_reductions(node.body, kernel, {**renames, node.var: new}),
        )
    if isinstance(node, ir.Expr):
        changes = {}
        for f in dataclasses.fields(node):
            v = getattr(node, f.name)
            if isinstance(v, tuple) and v and isinstance(v[0], ir.Expr):
                changes[f.name] = tuple(_rename_reductions(x, kernel, renames) for x in v)
            elif isinstance(v, ir.Expr):
                changes[f.name] = _rename_reductions(v, kernel, renames)
        return dataclasses.replace(node, **changes) if changes else node
    return node
