"""`specc verify`: four levels of evidence that a compiled environment does what its spec says.

1. properties (generated/NAME/test_NAME.py, pytest + hypothesis) on each backend
2. scenarios (the spec's rules written as tests) on each backend
3. lock-step rollouts of the backends, and against an outside implementation
4. policy transfer (train on JAX, evaluate on the JAX and Python backends)

The backends are "jax" (env.py), "python" (reference.py) and "c" (native.c); `backends`
picks some (by default all three, C left out with a warning where no C compiler is found).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from ..api import Env, _import, make
from ..backends import python_backend
from ..errors import SpecError
from ..loader import load
from ..progress import Task, status, task
from .report import LevelResult, Report
from .rollouts import lockstep
from .scenarios import run_scenarios
from .sides import make_side

LEVEL_NAMES = {1: "properties", 2: "scenarios", 3: "rollouts", 4: "policy transfer"}
BACKENDS = ("jax", "python", "c")


def parse_backends(text: str | None) -> list[str] | None:
    """ "c,jax" -> ["c", "jax"]; None -> None (every backend there is)."""
    if text is None:
        return None
    names = [b.strip() for b in text.split(",") if b.strip()]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown or not names or len(set(names)) != len(names):
        raise SpecError(f"--backends takes some of {', '.join(BACKENDS)}, each once (e.g. c,jax); got {text!r}")
    return names


def parse_levels(text: str) -> list[int]:
    """ "1-3" -> [1, 2, 3]; "2" -> [2]; "1,3" -> [1, 3]."""
    levels: set[int] = set()
    try:
        for part in text.split(","):
            lo, dash, hi = part.partition("-")
            levels.update(range(int(lo), int(hi if dash else lo) + 1))  # "1-" is no range: int("") fails
    except ValueError:
        raise SpecError(f"--level takes 1-4, a range like 1-3 or a list like 1,3; got {text!r}") from None
    if not levels or not levels <= set(LEVEL_NAMES):
        raise SpecError(f"--level takes levels 1 to 4, got {text!r}")
    return sorted(levels)


def replay_command(spec: str, seed: int, episode: int, actions: list[int], against: str | None = None,
                   generated: str | Path | None = None) -> str:  # fmt: skip
    acts = ",".join(map(str, actions)) or '""'
    peer = f" --against {against}" if against else ""
    where = f" --generated {generated}" if generated is not None else ""
    return f"specc replay {spec} --seed {seed} --episode {episode} --actions {acts}{peer}{where}"


def environments(spec_path: str, generated: str | Path | None = None) -> tuple[Env, Env]:
    """The JAX and Python environments of a spec: compiled into generated/NAME/ when stale,
    or, with `generated`, the files in that folder imported as they are (make() would
    rewrite a patched or hand-edited env.py, and then verify something else)."""
    if generated is None:
        return make(spec_path, backend="jax"), make(spec_path, backend="python")
    out = Path(generated)
    for name in ("env.py", "reference.py"):
        if not (out / name).is_file():
            raise SpecError(f"{out / name}: no such file (compile with `specc compile {spec_path} --out {out}`)")
    return Env(_import(out / "env.py", "env"), "jax"), Env(_import(out / "reference.py", "reference"), "python")


def native_module(out_dir: Path, reference: ModuleType) -> tuple[ModuleType | None, str]:
    """The C backend of the compiled files in out_dir, or None and why not (no native.c,
    or no C compiler: level 3 then compares JAX and Python only, and says so)."""
    from ..native import load

    path = out_dir / "native.c"
    if not path.is_file():
        return None, f"no C backend compared: {path} is missing"
    try:
        return load(path, reference), ""  # type: ignore[return-value]
    except SpecError as err:
        return None, f"no C backend compared: {err.message.splitlines()[0]}"


def variant_overrides(out_dir: Path) -> dict[str, str]:
    """The constants a folder was compiled with (`specc compile --set`), from its manifest."""
    manifest = out_dir / "manifest.json"
    if not manifest.is_file():
        return {}
    try:
        return dict(json.loads(manifest.read_text()).get("overrides") or {})
    except (ValueError, AttributeError):
        return {}


def edited_files(spec_path: str, out_dir: Path) -> list[str]:
    """env.py / reference.py / native.c in `out_dir` whose code differs from what the spec
    compiles to now (with the folder's own --set values; the header comment aside: it names
    the spec as seen from where it was compiled). A file that is not there is not edited."""
    from ..compiler import compile_spec

    files = compile_spec(spec_path, variant_overrides(out_dir)).files

    def code(name: str, text: str) -> str:
        return text.split("*/", 1)[-1] if name.endswith(".c") else text.split('"""', 2)[-1]

    names = [n for n in ("env.py", "reference.py", "native.c") if n in files and (out_dir / n).is_file()]
    return [n for n in names if code(n, (out_dir / n).read_text()) != code(n, files[n])]


def coverage_module(program, out_dir: Path) -> ModuleType:
    """The Python reference instrumented with rule-coverage counters (kept in memory)."""
    source = python_backend.generate(program, coverage=True)
    name = f"specc_coverage_{program.name}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the code runs
    exec(compile(source, f"<{program.name} reference with coverage>", "exec"), module.__dict__)
    return module


def level_properties(test_file: Path, examples: int | None, backend: str = "jax",
                     result: LevelResult | None = None, task: Task | None = None) -> LevelResult:  # fmt: skip
    """Run the property tests of `test_file` on `backend` (SPECC_BACKEND), adding one check
    per test to `result` (a new level-1 result if None); a test that does not apply to the
    backend (skipped) is no check. Failures other than JAX's name their backend. `task` (a
    progress Task) counts the tests as they finish."""
    import pytest

    prefix = "" if backend == "jax" else f"{backend}: "

    class Collector:
        def __init__(self) -> None:
            self.result = result if result is not None else LevelResult(1, "properties")

        def pytest_collection_finish(self, session) -> None:
            if task is not None:
                task.update(0, total=len(session.items), note="")

        def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
            if task is not None:
                task.advance(note=nodeid.split("::")[-1])

        def pytest_runtest_logreport(self, report) -> None:
            if report.skipped:
                return
            if report.when == "call" or (report.when == "setup" and report.failed):
                detail = f"{prefix}{report.nodeid.split('::')[-1]}: {_first_line(report.longreprtext)}"
                self.result.record(report.passed, detail)

        def pytest_collectreport(self, report) -> None:  # a test file that fails to import is a failure too
            if report.failed:
                where = report.nodeid or test_file
                self.result.record(False, f"{prefix}collecting {where}: {_first_line(report.longreprtext)}")

    collector = Collector()
    start = time.perf_counter()
    checks = collector.result.checks
    old = {name: os.environ.get(name) for name in ("SPECC_EXAMPLES", "SPECC_BACKEND")}
    if examples is not None:
        os.environ["SPECC_EXAMPLES"] = str(examples)
    os.environ["SPECC_BACKEND"] = backend
    try:
        args = [str(test_file), "-p", "no:cacheprovider", "-p", "no:terminal", "--import-mode=importlib",
                "--capture=sys"]  # fmt: skip  (sys, not fd: progress lines still reach the real stdout)
        pytest.main(args, plugins=[collector])
    finally:
        # pytest keeps the imported test module in sys.modules and would reuse it on a second
        # run in this process, stale if env.py changed (as `specc mutate` does): forget it
        here = Path(test_file).resolve().parent
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and Path(file).resolve().parent == here:
                del sys.modules[name]
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    collector.result.seconds += time.perf_counter() - start
    if collector.result.checks == checks:
        collector.result.record(False, f"{prefix}no property test ran from {test_file}")
    return collector.result


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
    return (lines[0][2:].strip() if lines else text.strip().splitlines()[-1] if text.strip() else "")[:300]


def backend_modules(wanted: list[str] | None, env: Env, ref: Env, out_dir: Path) -> tuple[dict[str, ModuleType], str]:
    """The modules of the backends to check, in order, and why C is left out ("" if not).
    `wanted` None: all three, C only where it builds; named, C must build."""
    names = list(wanted) if wanted is not None else list(BACKENDS)
    modules: dict[str, ModuleType] = {}
    why = ""
    for name in names:
        if name == "jax":
            modules[name] = env.module
        elif name == "python":
            modules[name] = ref.module
        else:
            native, why = native_module(out_dir, ref.module)
            if native is None and wanted is not None:
                raise SpecError(f"--backends c: {why.removeprefix('no C backend compared: ')}")
            if native is not None:
                modules[name] = native  # type: ignore[assignment]
    return modules, why


def verify(
    spec_path: str,
    levels: list[int],
    against: str | None = None,
    episodes: int = 1000,
    seed: int = 0,
    examples: int | None = None,
    save_regressions: bool = False,
    console=None,
    generated: str | Path | None = None,
    transfer: dict | None = None,
    backends: list[str] | None = None,
    battle: int | None = None,
    teams: str = "pool",
) -> Report:
    """Run `levels` on the spec's environment; `generated`: check the compiled files in that
    folder as they are instead of (re)compiling into generated/NAME/; `backends`: which of
    jax, python and c to check (default all; levels 1 and 2 run on each, level 3 lock-steps
    them, the Python reference, when among them, being the one the others are compared with).
    With `against` showdown:gen1, level 3 is the lock-step against Pokémon Showdown: `episodes`
    battles, or only battle `battle` (the replay of a divergence), on `teams` (pool: the random-battle
    sets; random: four covered moves drawn for each Pokémon)."""
    from rich.console import Console

    console = console or Console(width=100)
    spec, source, program = load(spec_path, variant_overrides(Path(generated)) if generated is not None else None)
    peer = None
    showdown = bool(against) and against.partition(":")[0] == "showdown"
    if showdown and against != "showdown:gen1":
        raise SpecError(f"--against showdown takes showdown:gen1 (Gen 1 singles), got {against!r}")
    if showdown and 3 in levels:
        from .showdown import require_showdown

        require_showdown()  # node and the package, before any work
        if backends is not None and "jax" in backends:
            raise SpecError("--against showdown:gen1 lock-steps the python and c backends, not jax")
    if against and 3 in levels and not showdown:  # a bad --against or chance declaration stops before any work
        from .peers import chance_cells, make_peer

        peer = make_peer(against, chance_cells(spec, source, program, against))
    if against and 4 in levels and against.partition(":")[0] not in ("pgx", "gymnax"):
        raise SpecError(f"level 4 compares against pgx:ID or gymnax:ID, not {against!r}")
    if 3 in levels and backends is not None and len(backends) < 2 and not showdown:
        raise SpecError(f"level 3 lock-steps two backends or more; --backends names {','.join(backends)}")
    env, ref = environments(spec_path, generated)
    out_dir = Path(env.module.__file__).parent
    edited = edited_files(spec_path, out_dir) if generated is not None else []
    if edited:
        console.print(f"[yellow]warning[/yellow]: checking {out_dir} as it is; it differs from what the spec "
                      f"compiles to now: {', '.join(edited)}", soft_wrap=True)  # fmt: skip  (a path stays whole)
    modules, why = backend_modules(backends, env, ref, out_dir) if levels != [4] else ({}, "")
    report = Report(spec_path)
    if 1 in levels:
        result = LevelResult(1, "properties")
        for name in modules:
            with task(f"level 1: property tests on {name}", unit="tests") as t:
                t.update(note="collecting")
                level_properties(out_dir / f"test_{program.name}.py", examples, name, result, t)
            result.details.setdefault("backends", []).append(name)
        if why:
            result.warnings.append(why)
        report.levels.append(result)
    if 2 in levels:
        with status("level 2: scenarios"):
            from ..schema import ScenarioSpec
            from .regressions import load_regressions

            scenarios = list(spec.scenarios) + [ScenarioSpec(**r) for r in load_regressions(spec_path)]
            report.levels.append(run_scenarios(program, source, scenarios, modules))
            if why:
                report.levels[-1].warnings.append(why)
    if 3 in levels and showdown:
        from .gen1_showdown import lockstep_showdown

        count = 1 if battle is not None else episodes
        # each chosen backend against Showdown (default the Python reference); JAX's state is immutable
        for name in [n for n in (backends or ["python"]) if n in modules]:
            with status(f"level 3: lock-step of {name} against {against}, {count} battle(s)"):
                report.levels.append(lockstep_showdown(modules[name], episodes, seed, only=battle, backend=name,
                                                       teams=teams))  # fmt: skip
    elif 3 in levels:
        # with --generated, an edited reference.py is what is checked (rule coverage then needs the compiled one)
        own_ref = "reference.py" in edited
        covered = coverage_module(program, out_dir) if "python" in modules and not own_ref else None
        sides = [make_side(name, covered if name == "python" and covered else m) for name, m in modules.items()]
        sides.sort(key=lambda side: side.name != "specc-python")  # the reference first: the others are compared with it
        if len(sides) < 2:
            raise SpecError(f"level 3 lock-steps two backends or more; only {sides[0].name} is there ({why})")
        names = ", ".join(side.name for side in sides)
        with task(f"level 3: lock-step rollouts ({names}), {episodes} episodes", unit="steps") as t:
            t.update(note="compiling, then a pilot run (JAX, else C) for the ETA")
            result = lockstep(
                sides, ref.module, episodes, seed,
                replay=lambda s, e, a: replay_command(spec_path, s, e, a, generated=generated),
                progress=lambda live: t.update(note=f"{episodes - live}/{episodes} episodes done"),
                work=lambda steps, total: t.update(steps, total=total),
            )  # fmt: skip
            done = result.details["steps"]
            t.update(done, total=done, note=f"{episodes} episodes, {done:,} steps")
        if why:
            result.warnings.append(why)
        if covered is None:
            reason = "is not as compiled" if own_ref else "is not among the backends"
            result.warnings.append(f"no rule coverage: the Python reference {reason}")
        else:
            coverage = {point: int(n) for point, n in zip(covered.COVERAGE_POINTS, covered._COVER, strict=True)}
            result.details["coverage"] = coverage
            never = [p for p, c in coverage.items() if c == 0]
            result.warnings += [f"rule never reached in {episodes} episodes: {p}" for p in never]
        report.levels.append(result)
        if against:
            from .peers import lockstep_peer

            with status(f"level 3: lock-step against {against}"):
                peer_result = lockstep_peer(
                    env.module, against, episodes, seed,
                    replay=lambda s, e, a: replay_command(spec_path, s, e, a, against, generated),
                    peer=peer,
                )  # fmt: skip
            report.levels.append(peer_result)
        if save_regressions:
            from .regressions import save_regression

            for lv in report.levels:
                if lv.level == 3 and lv.divergence is not None:
                    path = save_regression(spec_path, program, ref.module, lv.divergence)
                    console.print(f"saved the first divergence as a regression scenario in {path}")
                    break
    if 4 in levels:
        from .transfer import level_transfer

        with status("level 4: policy transfer (training if there is no checkpoint)"):
            report.levels.append(level_transfer(spec_path, env, ref, seed=seed, against=against, **(transfer or {})))
    return report
