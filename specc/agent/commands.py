"""The agent's two commands as the CLI runs them: `specc draft` and `specc compile --fill-kernels`.

Without ANTHROPIC_API_KEY both say so in one line and exit 2 before anything else. A
failure of the API, a budget stop or a run out of rounds is one clear line (exit 1); a
fault in the user's own input stays a SpecError (`FILE:LINE:COL: message`, exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SpecError
from .client import Agent, AgentError, connect


def _log_path(spec: str | Path) -> Path:
    """specs/NAME.yaml -> specs/NAME.agent.jsonl: the run's provenance, next to the spec."""
    p = Path(spec)
    return p.with_name(p.name.removesuffix(p.suffix) + ".agent.jsonl")


def _agent(args: argparse.Namespace, spec: str | Path, command: str) -> Agent:
    if args.max_rounds < 1 or args.episodes < 1 or args.examples < 1:
        raise SpecError("--max-rounds, --episodes and --examples must be at least 1")
    return connect(args.model, _log_path(spec), args.max_cost, command, args.price, args.record)


def draft_command(args: argparse.Namespace) -> int:
    from .draft import draft

    try:
        agent = _agent(args, args.output, "draft")
        print(f"specc draft: {args.rules} -> {args.output} with {agent.model} (at most {args.max_rounds} rounds, "
              f"${args.max_cost:.2f})")  # fmt: skip
        result = draft(args.rules, args.output, agent, args.max_rounds, episodes=args.episodes, examples=args.examples)
    except AgentError as err:
        print(f"specc draft: {err}", file=sys.stderr)
        return err.code
    print(f"rounds: {result.rounds}; {result.ledger.summary()}")
    if result.verdict is not None:
        print(f"verify: {result.verdict.summary}")
    print(f"log: {agent.log_path}")
    if result.ok:
        print(f"specc draft: verified; wrote {result.written}")
        return 0
    print(f"specc draft: stopped without a verified spec: {result.stop_reason}", file=sys.stderr)
    if result.written is not None:
        print(f"the best candidate so far is in {result.written}, for a person to finish", file=sys.stderr)
    else:
        print("no candidate passed the checks; nothing was written", file=sys.stderr)
    for failure in result.failures[:20]:
        print(f"  - {failure}", file=sys.stderr)
    return 1


def fill_kernels_command(args: argparse.Namespace) -> int:
    """Fill the kernels of each spec of `specc compile --fill-kernels`; 0 when all are filled."""
    from .kernels import fill_kernels

    try:
        agent = _agent(args, args.spec[0], "compile --fill-kernels")
        for spec in args.spec:
            agent.log_path = _log_path(spec)
            filled = fill_kernels(spec, agent, args.max_rounds, episodes=args.episodes, examples=args.examples)
            if filled:
                print(f"{spec}: filled kernel(s) {', '.join(filled)}; cached in the kernels file next to it")
            else:
                print(f"{spec}: every kernel body is cached and fresh; the agent was not asked")
    except AgentError as err:
        print(f"specc compile: {err}", file=sys.stderr)
        return err.code
    if agent.ledger.calls:
        print(f"agent: {agent.ledger.summary()}; log: {agent.log_path}")
    return 0
