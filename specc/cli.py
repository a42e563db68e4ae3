"""The `specc` command line.

Every fault a person can cause (a bad spec, argument or file) ends as one line
`FILE:LINE:COL: message` on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import SpecError

EXIT_USAGE = 2


class _Formatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already names it:
    `(default: 1000)`, `(default: off)` for a flag, `(default: none)` where it is unset."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or "default" in text or action.default is argparse.SUPPRESS:
            return text
        if isinstance(action, argparse._StoreTrueAction):
            shown = "off"
        elif action.default is None or action.default == []:
            shown = "none"
        elif isinstance(action.default, list):
            shown = ",".join(map(str, action.default))
        else:
            shown = str(action.default)
        return f"{text} (default: {shown.replace('%', '%%')})".strip()


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def cmd_check(args: argparse.Namespace) -> int:
    from .loader import load_program

    for spec in args.spec:
        program = load_program(spec)
        print(
            f"{spec}: ok: {program.name}, {program.players} player(s), {program.num_actions} actions "
            f"({', '.join(a.name for a in program.actions)}), {len(program.fields)} state fields"
        )
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    from .compiler import compile_spec, default_out_dir, stale_files, write
    from .loader import parse_overrides

    if args.out and len(args.spec) > 1:
        raise SpecError("--out takes one spec at a time")
    overrides = parse_overrides(args.set)
    if overrides and (len(args.spec) > 1 or not args.out):
        raise SpecError(
            "--set compiles a variant of one spec: give it --out DIR (generated/NAME/ stays the spec's own)"
        )
    if args.fill_kernels:  # the only compile that may call the agent
        from .agent.commands import fill_kernels_command

        if args.check:
            raise SpecError("--fill-kernels writes the kernel cache: it cannot go with --check")
        status = fill_kernels_command(args)
        if status:
            return status
    specs = list({Path(spec).resolve(): spec for spec in reversed(args.spec)}.values())[::-1]  # each file once
    compiled = [(spec, compile_spec(spec, overrides)) for spec in specs]  # check all before writing any
    _same_names(compiled)
    status = 0
    for spec, c in compiled:
        out = Path(args.out) if args.out else default_out_dir(c.program)
        if args.check:
            stale = stale_files(c, out)
            if stale:
                print(
                    f"{spec}: generated code is stale: {', '.join(stale)} (run `specc compile {spec}`)", file=sys.stderr
                )
                status = 1
            else:
                print(f"{spec}: {out} is up to date")
        else:
            changed = stale_files(c, out)
            if not changed:
                print(f"{spec}: {out} unchanged")
                continue
            write(c, out)
            print(f"{spec}: wrote {', '.join(changed)}")
    return status


def _same_names(compiled: list) -> None:
    """Two specs that would write the same generated/NAME/ are refused, both named
    (the second would silently overwrite the first)."""
    from .loader import load

    seen: dict[str, str] = {}
    for spec, c in compiled:
        first = seen.setdefault(c.program.name, spec)
        if first != spec:
            pos = load(spec)[1].pos(("name",))
            raise SpecError(f"name {c.program.name!r} is also the name of {first}: both would compile into "
                            f"generated/{c.program.name}/ (rename one, or compile each with --out)", pos)  # fmt: skip


def _batches(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"batch sizes must be positive, got {text!r}")
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _natural(text: str) -> int:
    """A whole number >= 0 (seeds, episode numbers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench, use_host_devices

    use_host_devices(args.devices)
    if args.plot and not args.plot.lower().endswith(".png"):
        raise SpecError(f"--plot writes a PNG: give a file name ending in .png, got {args.plot!r}")
    batches = [2**k for k in range(5, 14)] if args.sweep else args.batch
    if args.backend:
        from .bench_native import run

        run(args.spec, batches, args.backend.split(","), args.steps, args.repeats, args.markdown, args.devices,
            args.threads, wide=args.wide, plot=args.plot, report=args.report)  # fmt: skip
        return 0
    run_bench(
        args.spec,
        batches=batches,
        vs=args.vs,
        steps=args.steps,
        repeats=args.repeats,
        python_seconds=args.python_seconds,
        markdown=args.markdown,
        devices=args.devices,
        wide=args.wide,
        plot=args.plot,
        report=args.report,
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import parse_backends, parse_levels, verify

    if args.episodes < 1:
        raise SpecError("--episodes must be at least 1")
    report = verify(
        args.spec,
        parse_levels(args.level),
        against=args.against,
        episodes=args.episodes,
        seed=args.seed,
        examples=args.examples,
        save_regressions=args.save_regressions,
        generated=args.generated,
        backends=parse_backends(args.backends),
        battle=args.battle,
        teams=args.teams,
        transfer={
            "checkpoint": args.checkpoint,
            "budget_s": args.train_budget,
            "train_seeds": args.train_seeds,
            "margin": args.margin,
        },
    )
    report.print()
    out = Path(args.report) if args.report else Path("reports") / f"verify_{Path(args.spec).stem}.json"
    report.write(out)
    print(f"report written to {out}")
    return 0 if report.ok else 1


def cmd_draft(args: argparse.Namespace) -> int:
    from .agent.commands import draft_command

    return draft_command(args)


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff_specs, format_changes

    if args.new is None:  # one spec: against what git has at --since (HEAD by default)
        from .diff import diff_since

        changes = diff_since(args.old, args.since)
    else:
        changes = diff_specs(args.old, args.new)
    print(format_changes(changes))
    return 1 if changes else 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .docs import DOCS_PATH, language_reference, write_reference

    out = Path(args.out) if args.out else DOCS_PATH
    if args.check:
        if not out.exists() or out.read_text() != language_reference():
            print(f"{out} is stale: run `specc docs`", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    print(f"wrote {write_reference(out)}")
    return 0


def _agent_options(p: argparse.ArgumentParser, rounds: int) -> None:
    from .agent.client import Price, parse_price

    def price(text: str) -> Price:
        try:
            return parse_price(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    p.add_argument("--model", help="the Claude model (default $SPECC_MODEL, else claude-sonnet-5-5)")
    p.add_argument("--max-cost", type=float, default=10.0, help="dollars this run may spend at most (default 10)")
    p.add_argument("--max-rounds", type=int, default=rounds, help=f"agent calls at most (default {rounds})")
    p.add_argument("--price", type=price, help="IN,OUT[,CACHE_WRITE,CACHE_READ] $/million tokens, for a new model")
    p.add_argument("--record", metavar="DIR", help="also save every API response in DIR (test fixtures)")
    p.add_argument("--episodes", type=int, default=50, help="level-3 episodes when verifying (default 50)")
    p.add_argument("--examples", type=int, default=10, help="hypothesis examples per property (default 10)")


def cmd_replay(args: argparse.Namespace) -> int:
    from .verify import parse_backends
    from .verify.replay import replay

    backends = parse_backends(args.backends)
    return replay(args.spec, args.seed, args.episode, args.actions, args.against, args.generated, backends)


def cmd_mutate(args: argparse.Namespace) -> int:
    from .verify import parse_levels
    from .verify.mutation import mutation_score

    if args.episodes < 1 or args.max_mutants < 1:
        raise SpecError("--episodes and --max-mutants must be at least 1")
    report = mutation_score(
        args.spec,
        max_mutants=args.max_mutants,
        levels=parse_levels(args.levels),
        episodes=args.episodes,
        against=args.against,
        seed=args.seed,
        families=tuple(f.strip() for f in args.family.split(",")),
        examples=args.examples,
        all_levels=args.all_levels,
    )
    report.print()
    out = Path(args.report) if args.report else Path("reports") / f"mutate_{Path(args.spec).stem}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.to_json() + "\n")
    print(f"report written to {out}")
    return 0


def cmd_fuzz(args: argparse.Namespace) -> int:
    try:
        from .fuzz.driver import DEFAULT_BACKENDS, fuzz
    except ImportError as err:  # hypothesis is a test dependency
        raise SpecError(f"specc fuzz needs hypothesis: pip install hypothesis ({err})") from None
    from .fuzz.backends import BACKENDS

    backends = dict(DEFAULT_BACKENDS)
    if args.backends:
        backends = {}
        for item in args.backends.split(","):
            name, _, every = item.strip().partition(":")
            if name not in BACKENDS or name == "python":
                raise SpecError(f"--backends: unknown backend {name!r} (known: {', '.join(sorted(BACKENDS))})")
            backends[name] = _positive(every) if every else 1
    from .progress import task

    bar = task("fuzz", total=args.time, unit="s", clocked=True)

    def progress(line: str) -> None:
        if line.startswith("found"):
            bar.print(line)
        else:
            bar.update(note=line)
            if args.verbose:
                bar.print(line)

    with bar:
        report = fuzz(
            seconds=args.time,
            seed=args.seed,
            programs=args.programs,
            out_dir=args.out,
            allow=tuple(args.allow),
            backends=backends,
            max_actions=args.max_actions,
            inputs=args.inputs,
            shrink_s=args.shrink_time,
            progress=progress,
            max_memory_gb=args.max_memory,
        )
    print(report.text())
    return 1 if report.findings else 0


def cmd_scrape(args: argparse.Namespace) -> int:
    if args.source.startswith("showdown:"):
        from scrapers.showdown import scrape_showdown

        tables, written = scrape_showdown(args.source, args.output, teams=args.teams)
        for path, rows in zip(written, tables.values()):
            print(f"{args.source}: wrote {path} ({len(rows)} rows)")
        return 0
    from scrapers import scrape

    formats = ["csv", "yaml"] if args.format == "both" else [args.format]
    result = scrape(
        args.source,
        args.output,
        tables_dir=args.tables,
        formats=formats,
        cache_dir=args.cache_dir,
        refresh=args.refresh,
        use_cache=not args.no_cache,
    )
    doc = result.document
    tables = f"{len(doc.tables)} table{'' if len(doc.tables) == 1 else 's'}"
    print(f"{args.source}: wrote {args.output} ({len(doc.sections)} sections, {tables})")
    for path in result.written[1:]:
        print(f"{args.source}: wrote {path}")
    return 0


def cmd_cards(args: argparse.Namespace) -> int:
    from scrapers.ptcgp.build import build, stale, summary, write

    built = build(Path(args.source), args.cards)
    for line in summary(built):
        print(line)
    out = Path(args.output)
    if args.check:
        old = stale(built, out)
        for name in old:
            print(f"{out / name}: stale; re-run `specc cards {args.source} -o {out}`", file=sys.stderr)
        return 1 if old else 0
    for path in write(built, out):
        print(f"wrote {path}")
    return 0


def _actions(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated action indices, got {text!r}") from None


def cmd_play(args: argparse.Namespace) -> int:
    from .play import play

    play(args.spec, seat=args.seat, opponent=args.opponent, seed=args.seed, backend=args.backend, reveal=args.reveal)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .train import main as train_main

    argv = [args.spec, "--seed", str(args.seed), "--time-budget", str(args.time_budget)]
    if args.total_steps:
        argv += ["--total-steps", str(args.total_steps)]
    if args.out:
        argv += ["--out", args.out]
    if args.plot:
        argv += ["--plot", args.plot]
    argv += ["--devices", str(args.devices), "--backend", args.backend, "--threads", str(args.threads)]
    train_main(argv)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="specc", description="Compile game rules into verified, fast JAX environments.")
    parser.add_argument("--version", action="version", version=f"specc {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("check", help="load and check a spec, generate nothing")
    p.add_argument("spec", nargs="+", help="spec file(s), e.g. specs/tic_tac_toe.yaml")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("compile", help="generate env.py (JAX), reference.py (Python) and a manifest")
    p.add_argument("spec", nargs="+", help="spec file(s)")
    p.add_argument("--out", help="output directory (default generated/NAME/)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if generated code is stale")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="give a constant another value (a variant: needs --out; `specc verify --generated` "
                        "of that folder uses the same values); repeatable")  # fmt: skip
    p.add_argument("--fill-kernels", action="store_true", help="ask the agent for missing or stale kernel bodies")
    _agent_options(p, rounds=10)
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("draft", help="the agent drafts a spec from rules; specc checks, verifies and has it repaired")
    p.add_argument("rules", help="the rules, e.g. rules/NAME.md from `specc scrape`")
    p.add_argument("-o", "--output", required=True, help="the spec to write once verified, e.g. specs/NAME.yaml")
    _agent_options(p, rounds=50)
    p.set_defaults(func=cmd_draft)

    p = sub.add_parser(
        "diff",
        help="name the rules, tables (down to rows) and kernels that differ between two specs, or since a commit",
    )
    p.add_argument("old", help="the spec before the edit (or, alone, the spec whose edits since --since to show)")
    p.add_argument("new", nargs="?", help="the spec after the edit (omitted: compare OLD with git's --since)")
    p.add_argument("--since", default="HEAD", metavar="REV", help="with one spec: the git revision to compare with")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("docs", help="write docs/language.md from the grammar and the standard library")
    p.add_argument("--out", help="where to write it (default docs/language.md)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is stale")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("bench", help="random-action steps/s of both backends and a peer")
    p.add_argument("spec", help="spec file")
    p.add_argument("--batch", type=_batches, default=[1, 64, 1024], help="batch sizes, e.g. 1,64,1024")
    p.add_argument("--sweep", action="store_true", help="batch sizes 32, 64, ..., 8192 (overrides --batch)")
    p.add_argument("--vs", help="a peer to time in the same process: pgx:ID or gymnax:ID")
    p.add_argument("--steps", type=int, default=1000, help="steps per timed scan (default 1000)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per configuration (median reported)")
    p.add_argument("--devices", type=_positive, default=1,
                   help="split each batch over this many devices (on CPU: cores; JAX's own sharding)")  # fmt: skip
    p.add_argument("--python-seconds", type=_seconds, default=3.0,
                   help="seconds timing the Python backend per batch size")  # fmt: skip
    p.add_argument("--markdown", help="also write the table as Markdown to this file")
    p.add_argument("--backend", help="c or c,jax: time the C backend (1 core and --threads cores) against JAX")
    p.add_argument("--threads", type=_positive, help="cores for the C backend's batched run (default: all)")
    p.add_argument("--wide", action="store_true", help="show every column (the table is wider than 100 columns)")
    p.add_argument("--plot", metavar="FILE.png", help="also plot steps/s against batch size (log-log) to this PNG")
    p.add_argument("--report", metavar="FILE.json", help="also write the measured rows as JSON to this file")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("verify", help="check a compiled environment at four levels; exit 1 on any failure")
    p.add_argument("spec", help="spec file")
    p.add_argument(
        "--level", default="1-3", help="levels to run: 1-4, a range like 1-3 or a list like 1,3 (default 1-3)"
    )
    p.add_argument(
        "--against", help="an outside implementation for level 3: pgx:ID, gymnax:ID, openspiel:ID or showdown:gen1"
    )
    p.add_argument(
        "--episodes", "--battles", type=int, default=1000,
        help="random-policy episodes (battles against showdown:gen1) at level 3 (default 1000)",
    )  # fmt: skip
    p.add_argument("--battle", type=_natural, help="against showdown:gen1: play only this battle (a replay)")
    p.add_argument("--teams", choices=["pool", "random"], default="pool",
                   help="against showdown:gen1: the random-battle sets (pool, default) or four covered moves "
                        "drawn for each Pokémon (random)")  # fmt: skip
    p.add_argument("--backends", help="backends to check: some of jax,python,c (default all three; C where it builds)")
    p.add_argument("--seed", type=_natural, default=0, help="seed of the level-3 episodes (default 0)")
    p.add_argument("--examples", type=_positive, help="hypothesis examples per level-1 property")
    p.add_argument("--report", help="where to write the JSON report (default reports/verify_NAME.json)")
    p.add_argument("--checkpoint", help="level 4: the policy to evaluate (default runs/NAME/, else train one)")
    p.add_argument("--train-budget", type=_seconds, default=120.0, help="level 4: seconds of training (default 120)")
    p.add_argument("--train-seeds", type=_positive, default=10,
                   help="level 4: training seeds of the TOST test (default 10)")  # fmt: skip
    p.add_argument("--margin", type=_seconds, help="level 4: TOST equivalence margin on the mean return")
    p.add_argument("--save-regressions", action="store_true", help="turn the first level-3 divergence into a scenario")
    p.add_argument("--generated", help="check the compiled files in this folder as they are (default: compile)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("mutate", help="seed bugs into the compiled environment; report the share verify catches")
    p.add_argument("spec", help="spec file")
    p.add_argument("--max-mutants", type=int, default=60, help="mutants per family (default 60)")
    p.add_argument("--levels", default="1-3", help="verify levels to run on each mutant: 1-3, 2, 1,3 ... (default 1-3)")
    p.add_argument("--episodes", type=int, default=200, help="level-3 episodes per mutant (default 200)")
    p.add_argument("--against", help="an outside implementation for level 3: pgx:ID, gymnax:ID or openspiel:ID")
    p.add_argument("--seed", type=_natural, default=0,
                   help="seed of the sample of mutants and of the episodes (default 0)")  # fmt: skip
    p.add_argument("--family", default="code,spec", help="code (env.py edits), spec (rule edits) or both (default)")
    p.add_argument("--examples", type=_positive, default=10,
                   help="hypothesis examples per level-1 property (default 10)")  # fmt: skip
    p.add_argument("--all-levels", action="store_true", help="run every level on each mutant, not only up to a catch")
    p.add_argument("--report", help="where to write the JSON report (default reports/mutate_NAME.json)")
    p.set_defaults(func=cmd_mutate)

    p = sub.add_parser("replay", help="replay one case on two backends (and a peer), printing where they differ")
    p.add_argument("spec", help="spec file")
    p.add_argument("--seed", type=_natural, default=0, help="the level-3 seed")
    p.add_argument("--episode", type=_natural, default=0, help="the level-3 episode")
    p.add_argument("--actions", type=_actions, default=[], help="comma-separated action indices")
    p.add_argument("--against", help="also replay on pgx:ID, gymnax:ID or openspiel:ID")
    p.add_argument("--generated", help="replay the compiled files in this folder as they are (default: compile)")
    p.add_argument("--backends", help="the two backends to compare, of jax,python,c (default jax,python)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("play", help="play a compiled game in the terminal against a random or trained policy")
    p.add_argument("spec", help="spec file")
    p.add_argument("--seat", type=int, default=0, help="which player you are (default 0)")
    p.add_argument("--opponent", default="random", help="'random' or a policy checkpoint from `specc train`")
    p.add_argument("--seed", type=_natural, default=None, help="the game's key (default: fresh each game, printed)")
    p.add_argument("--backend", choices=["python", "jax"], default="python", help="which backend to play on")
    p.add_argument("--reveal", action="store_true", help="show hidden fields too (the opponent's hand, decks)")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("train", help="train PPO on the JAX backend; save a checkpoint and a learning curve")
    p.add_argument("spec", help="spec file")
    p.add_argument("--seed", type=_natural, default=0, help="seed of the network, the games and the evaluation")
    p.add_argument("--time-budget", type=_seconds, default=600.0, help="seconds of training (default 600)")
    p.add_argument("--total-steps", type=_positive,
                   help="stop after this many env steps (default: the spec's, e.g. 8,000,000 for tcg)")  # fmt: skip
    p.add_argument("--out", help="output directory (default runs/NAME)")
    p.add_argument("--plot", metavar="FILE.png", help="where to write the learning curve (default OUT/curve.png)")
    p.add_argument("--devices", type=_positive, default=1,
                   help="data-parallel PPO over this many JAX devices (default 1)")  # fmt: skip
    p.add_argument("--backend", choices=["jax", "c"], default="jax",
                   help="where the environments step: jax, or c for native C rollouts (default jax)")  # fmt: skip
    p.add_argument("--threads", type=_positive, default=1, help="--backend c: cores per batched C step (default 1)")
    p.set_defaults(func=cmd_train)

    from .fuzz.frag import EDGE_KINDS

    p = sub.add_parser(
        "fuzz",
        help="differential fuzzing: random specs on every backend, divergences shrunk and saved",
        description="Generate random well-typed specs (every construct, edge-biased states and actions), run "
        "them on the Python reference and on the JAX backend (jit(vmap) on every spec, jit on every 2nd, eager "
        "on every 4th), compare every field after every step, and shrink, classify and save each divergence. "
        "A program is one generated action (parameters, guard, effect) run from one random input (start "
        "state and actions); each action runs from --inputs inputs per seed, all of a spec's inputs at one "
        "compile per backend. Exit 1 if anything diverged. "
        f"Edge kinds for --allow: {', '.join(EDGE_KINDS)}.",
    )
    p.add_argument("--time", type=float, default=60.0, help="seconds to fuzz (default 60)")
    p.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    p.add_argument("--programs", type=int, help="stop after this many programs")
    p.add_argument("--out", help="save each divergence as a regression in this folder (e.g. tests/fuzz_regressions)")
    p.add_argument("--allow", action="append", default=[], metavar="KIND",
                   help="a known divergence: never generate this edge kind (or kind:op); repeatable")  # fmt: skip
    p.add_argument("--backends", help="backends and how often, e.g. jax-vmap,jax-jit:2,jax-eager:4 (the default)")
    p.add_argument("--max-actions", type=int, default=12, help="actions per spec at most (default 12)")
    p.add_argument("--inputs", type=_positive, default=16,
                   help="random inputs per seed of each action (1-2 seeds each): one program is one input (default 16)")
    p.add_argument("--shrink-time", type=float, default=60.0, help="seconds to shrink a divergence (default 60)")
    p.add_argument("--max-memory", type=float, default=8.0, metavar="GB",
                   help="stop (exit 3) past this much memory, saving the spec in memory_blowup.yaml (default 8)")
    p.add_argument("-v", "--verbose", action="store_true", help="also print a line after each chunk of programs")
    p.set_defaults(func=cmd_fuzz)

    p = sub.add_parser("scrape", help="a rules page (URL, .html, .md, .txt) or JSON card database to Markdown "
                       "with section ids and tables, or showdown:gen1 (Showdown's Gen 1 data, via node) to tables")
    p.add_argument("source", help="an http(s) URL, a local .html, .md, .txt or .json file, or showdown:gen1")
    p.add_argument("-o", "--output", required=True,
                   help="the Markdown file to write, e.g. rules/NAME.md (showdown:gen1: the folder, e.g. data/gen1)")
    p.add_argument("--teams", type=int, default=200,
                   help="showdown:gen1: random-battle teams to generate, from seeds 1..N (default 200)")
    p.add_argument("--tables", metavar="DIR", help="also export each table to this folder")
    p.add_argument("--format", choices=["csv", "yaml", "both"], default="both", help="table file format (default both)")
    p.add_argument("--cache-dir", metavar="DIR", help="where fetched pages are cached (default ~/.cache/specc/scrape)")
    p.add_argument("--refresh", action="store_true", help="fetch the URL again even if it is cached")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.set_defaults(func=cmd_scrape)

    p = sub.add_parser("cards", help="the Pocket card data step: cards.json + corrections + decks to our tables")
    p.add_argument("source", help="folder with cards.json, corrections.csv and decks.csv (e.g. ../shared/data/ptcgp)")
    p.add_argument("-o", "--output", default="data/ptcgp", help="folder for the tables (default data/ptcgp)")
    p.add_argument("--cards", metavar="FILE_OR_URL", help="read cards.json from here instead (a path or URL)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if the tables are not fresh")
    p.set_defaults(func=cmd_cards)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as err:
        print(" ".join(str(err).split("\n")), file=sys.stderr)  # always one line
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`specc diff A B | head`): stop quietly
        sys.stderr.close()
        return 0
    except OSError as err:  # a path the user gave cannot be read or written
        where = err.filename or "specc"
        print(f"{where}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("specc: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug in specc, not the user's fault: still one clear line
        if os.environ.get("SPECC_DEBUG"):
            raise
        print(
            f"specc: internal error: {type(err).__name__}: {err} (set SPECC_DEBUG=1 for a traceback)", file=sys.stderr
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
