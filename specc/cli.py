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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(EXIT_USAGE, f"specc: error: {message}\n(see `{self.prog} --help`)\n")



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

    if args.out and len(args.spec) > 1:
        raise SpecError("--out takes one spec at a time")
    compiled = [(spec, compile_spec(spec)) for spec in args.spec]  # check all before writing any
    status = 0
    for spec, c in compiled:
        out = Path(args.out) if args.out else default_out_dir(c.program)
        if args.check:
            stale = stale_files(c, out)
            if stale:
                print(f"{spec}: generated code is stale: {', '.join(stale)} (run `specc compile {spec}`)", file=sys.stderr)
                status = 1
            else:
                print(f"{spec}: {out} is up to date")
        else:
            write(c, out)
            print(f"{spec}: wrote {out}/env.py, {out}/reference.py, {out}/manifest.json")
    return status


def _batches(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"batch sizes must be positive, got {text!r}")
    return values


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_bench

    run_bench(
        args.spec,
        batches=args.batch,
        vs=args.vs,
        steps=args.steps,
        repeats=args.repeats,
        python_seconds=args.python_seconds,
        markdown=args.markdown,
    )
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
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("bench", help="random-action steps/s of both backends and a peer")
    p.add_argument("spec", help="spec file")
    p.add_argument("--batch", type=_batches, default=[1, 64, 1024], help="batch sizes, e.g. 1,64,1024")
    p.add_argument("--vs", help="a peer to time in the same process: pgx:ID or gymnax:ID")
    p.add_argument("--steps", type=int, default=1000, help="steps per timed scan (default 1000)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per configuration (median reported)")
    p.add_argument("--python-seconds", type=float, default=3.0, help="how long to time the Python backend")
    p.add_argument("--markdown", help="also write the table as Markdown to this file")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("specc: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug in specc, not the user's fault: still one clear line
        if os.environ.get("SPECC_DEBUG"):
            raise
        print(f"specc: internal error: {type(err).__name__}: {err} (set SPECC_DEBUG=1 for a traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
