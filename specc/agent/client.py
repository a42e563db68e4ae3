"""The Anthropic Messages API behind specc's agent: one call at a time, priced, capped, logged.

Every call goes through `Agent.ask`: it refuses a call whose worst case (the prompt's
estimated tokens plus `max_tokens` of output) would pass the budget, sends the stable
system prompt with `cache_control` so later calls read it from the cache, and writes one
JSON line per call (template and version, model, tokens, cost, outcome) to the log.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx2  # the HTTP library under the anthropic 2.x client (a fork of httpx)

from .prompts import Prompt

DEFAULT_MODEL = "claude-sonnet-5-5"


class Price(NamedTuple):
    """Dollars per million tokens."""

    input: float
    output: float
    cache_write: float  # 5-minute cache writes (what cache_control "ephemeral" buys)
    cache_read: float

    @classmethod
    def standard(cls, inp: float, out: float) -> Price:
        """The usual multipliers: a cache write costs 1.25x the input price, a read 0.1x."""
        return cls(inp, out, inp * 1.25, inp * 0.1)


# From Anthropic's pricing pages (platform.claude.com, "Model pricing"), checked Nov 2026.
# Dated model ids (claude-haiku-4-5-20251001) take the price of their longest listed prefix.
# Haiku 5.5 is priced by prompt length; these are its rates up to 100k tokens (ours are far below).
PRICES: dict[str, Price] = {
    "claude-fable-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-mythos-5-1": Price(10.0, 50.0, 12.5, 0.25),
    "claude-fable-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-mythos-5": Price(10.0, 50.0, 12.5, 1.0),
    "claude-opus-5-5": Price(4.0, 20.0, 5.0, 0.2),
    "claude-opus-5": Price.standard(5.0, 25.0),
    "claude-opus-4-8": Price.standard(5.0, 25.0),
    "claude-opus-4-7": Price.standard(5.0, 25.0),
    "claude-opus-4-6": Price.standard(5.0, 25.0),
    "claude-opus-4-5": Price.standard(5.0, 25.0),
    "claude-opus-4-1": Price.standard(15.0, 75.0),
    "claude-opus-4": Price.standard(15.0, 75.0),
    "claude-sonnet-5-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-5": Price(2.0, 10.0, 2.5, 0.2),
    "claude-sonnet-4-6": Price.standard(3.0, 15.0),
    "claude-sonnet-4-5": Price.standard(3.0, 15.0),
    "claude-sonnet-4": Price.standard(3.0, 15.0),
    "claude-haiku-5-5": Price(0.1, 0.5, 0.125, 0.01),
    "claude-haiku-4-5": Price.standard(1.0, 5.0),
    "claude-3-5-haiku": Price.standard(0.8, 4.0),
}
CHARS_PER_TOKEN = 3.0  # a cautious estimate (English runs near 4, YAML and code lower): over, not under


class AgentError(Exception):
    """The agent cannot go on: a one-line reason for a person, and the exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class BudgetExceeded(AgentError):
    """The next call could pass --max-cost, so it was not sent."""


def price_of(model: str, override: Price | None = None) -> Price:
    """The model's prices; an unknown model needs `override` (--price)."""
    if override is not None:
        return override
    matches = [m for m in PRICES if model == m or model.startswith(m + "-")]
    if not matches:
        raise AgentError(
            f"no price known for model {model!r}: give one with --price IN,OUT (dollars per million tokens); "
            f"known: {', '.join(PRICES)}",
            code=2,
        )
    return PRICES[max(matches, key=len)]


def parse_price(text: str) -> Price:
    """--price "3,15" (cache at the usual 1.25x / 0.1x) or "3,15,3.75,0.3"."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 4) or any(v < 0 for v in values):
        raise ValueError(f"expected IN,OUT or IN,OUT,CACHE_WRITE,CACHE_READ ($ per million tokens), got {text!r}")
    return Price(*values) if len(values) == 4 else Price.standard(*values)


def api_key() -> str:
    """ANTHROPIC_API_KEY, or a clear refusal (exit 2): everything else in specc works without it."""
    key = os.environ.get("ANTHROPIC_API_KEY", "").strip()
    if not key:
        raise AgentError(
            "ANTHROPIC_API_KEY is not set: this command asks Claude (Anthropic's API) and needs a key; "
            "every other specc command works offline",
            code=2,
        )
    return key


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class Ledger:
    """What a run has spent so far."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_hits: int = 0  # calls that read the system prompt from the cache
    cost: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.calls} call{'' if self.calls == 1 else 's'}, tokens in {self.input_tokens:,} "
            f"(+{self.cache_read_tokens:,} read from cache, {self.cache_write_tokens:,} written to it), "
            f"out {self.output_tokens:,}, cache hits {self.cache_hits}/{self.calls}, cost ${self.cost:.4f}"
        )


@dataclass
class Answer:
    """One reply; set `outcome` to what became of it (it is logged when the call's block ends)."""

    text: str
    model: str
    stop_reason: str
    usage: dict[str, int]
    cost: float
    prompt: Prompt
    outcome: str = "unjudged"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.stop_reason == "max_tokens"


class Agent:
    """Claude through the real `anthropic` client; `http_client` lets tests (and --record)
    put a transport under it. One Agent per run: it holds the budget and the ledger."""

    def __init__(
        self,
        model: str,
        log_path: str | Path,
        max_cost: float,
        command: str,
        price: Price | None = None,
        http_client: httpx2.Client | None = None,
        max_retries: int = 2,
        key: str | None = None,
    ):
        import anthropic

        self.model = model
        self.price = price_of(model, price)
        self.max_cost = max_cost
        self.command = command
        self.log_path = Path(log_path)
        self.ledger = Ledger()
        self._client = anthropic.Anthropic(
            api_key=key or api_key(), http_client=http_client, max_retries=max_retries, timeout=600.0
        )

    def worst_case(self, prompt: Prompt, max_tokens: int) -> float:
        """The most the call could cost: the system prompt written to the cache, the rest
        at the input price, and every allowed output token."""
        p = self.price
        system, user = estimate_tokens(prompt.system), estimate_tokens(prompt.user)
        return (system * max(p.cache_write, p.input) + user * p.input + max_tokens * p.output) / 1e6

    def cost_of(self, usage: dict[str, int]) -> float:
        p = self.price
        return (
            usage["input_tokens"] * p.input
            + usage["cache_creation_input_tokens"] * p.cache_write
            + usage["cache_read_input_tokens"] * p.cache_read
            + usage["output_tokens"] * p.output
        ) / 1e6

    @contextmanager
    def ask(self, prompt: Prompt, max_tokens: int) -> Iterator[Answer]:
        """Send one prompt; yield the answer; log the call (with the answer's outcome) after.

        Raises BudgetExceeded before a call that could pass the budget, and AgentError
        when the API fails (after the client's own retries)."""
        import anthropic

        worst = self.worst_case(prompt, max_tokens)
        if self.ledger.cost + worst > self.max_cost:
            self._log(prompt, None, 0.0, "not sent: over budget", worst)
            raise BudgetExceeded(
                f"stopped before call {self.ledger.calls + 1}: it could cost up to ${worst:.4f}, and with "
                f"${self.ledger.cost:.4f} spent that would pass --max-cost ${self.max_cost:.2f}"
            )
        start = time.perf_counter()
        try:
            response = self._client.messages.create(
                model=self.model,
                max_tokens=max_tokens,
                system=[{"type": "text", "text": prompt.system, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": prompt.user}],
            )
        except anthropic.APIStatusError as err:
            message = _api_message(err)
            self._log(prompt, None, 0.0, f"api error: {message}", worst)
            raise AgentError(f"the Anthropic API failed: {message}") from None
        except anthropic.APIError as err:  # connection errors and timeouts
            self._log(prompt, None, 0.0, f"api error: {type(err).__name__}: {err}", worst)
            raise AgentError(f"could not reach the Anthropic API: {type(err).__name__}: {err}") from None
        usage = _usage(response.usage)
        cost = self.cost_of(usage)
        self.ledger.calls += 1
        self.ledger.input_tokens += usage["input_tokens"]
        self.ledger.output_tokens += usage["output_tokens"]
        self.ledger.cache_read_tokens += usage["cache_read_input_tokens"]
        self.ledger.cache_write_tokens += usage["cache_creation_input_tokens"]
        self.ledger.cache_hits += usage["cache_read_input_tokens"] > 0
        self.ledger.cost += cost
        text = "".join(block.text for block in response.content if getattr(block, "type", "") == "text")
        answer = Answer(text, response.model, response.stop_reason or "", usage, cost, prompt)
        answer.extra = {"id": response.id, "seconds": round(time.perf_counter() - start, 2)}
        try:
            yield answer
        except BaseException as err:
            if answer.outcome == "unjudged":
                answer.outcome = f"interrupted: {type(err).__name__}"
            raise
        finally:
            self._log(prompt, answer, cost, answer.outcome, worst)

    def _log(self, prompt: Prompt, answer: Answer | None, cost: float, outcome: str, worst: float) -> None:
        usage = answer.usage if answer else dict.fromkeys(_USAGE_KEYS, 0)
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": self.command,
            "template": prompt.template,
            "template_version": prompt.version,
            "model": self.model,
            "response_model": answer.model if answer else None,
            "request_id": answer.extra.get("id") if answer else None,
            **usage,
            "cost_usd": round(cost, 6),
            "worst_case_usd": round(worst, 6),
            "spent_usd": round(self.ledger.cost, 6),
            "stop_reason": answer.stop_reason if answer else None,
            "outcome": outcome,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a") as f:
            f.write(json.dumps(line, sort_keys=False) + "\n")


_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _usage(usage: Any) -> dict[str, int]:
    return {k: int(getattr(usage, k, 0) or 0) for k in _USAGE_KEYS}


def _api_message(err: Any) -> str:
    """`529 overloaded_error: Overloaded` from the API's error body."""
    body = err.body if isinstance(getattr(err, "body", None), dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    kind, message = detail.get("type", ""), detail.get("message", "") or str(err)
    return f"{err.status_code} {kind}: {message}".replace(" :", ":").strip()


# ------------------------------------------------------------------ recording


class RecordingTransport(httpx2.BaseTransport):
    """Passes requests to the real transport and saves each response body as DIR/NNN.json
    (NNN.statusCODE.json when not 200): the fixtures the tests replay."""

    def __init__(self, directory: str | Path, inner: httpx2.BaseTransport | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.inner = inner or httpx2.HTTPTransport()
        self.count = len(list(self.directory.glob("[0-9][0-9][0-9]*.json")))

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        body = response.read()
        self.count += 1
        status = "" if response.status_code == 200 else f".status{response.status_code}"
        try:
            saved = json.dumps(json.loads(body), indent=2) + "\n"
        except ValueError:
            saved = json.dumps({"raw": body.decode("utf-8", "replace")}) + "\n"
        (self.directory / f"{self.count:03d}{status}.json").write_text(saved)
        headers = [
            (k, v) for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx2.Response(response.status_code, headers=headers, content=body, request=request)

    def close(self) -> None:
        self.inner.close()


def make_http_client(record: str | Path | None) -> httpx2.Client | None:
    """The HTTP client under the Anthropic client: the default one, or one that records.
    (Tests replace this function to replay recorded responses.)"""
    if record is None:
        return None
    return httpx2.Client(transport=RecordingTransport(record), timeout=600.0)


def connect(
    model: str | None,
    log_path: str | Path,
    max_cost: float,
    command: str,
    price: Price | None = None,
    record: str | Path | None = None,
) -> Agent:
    """The Agent of one CLI run: model from --model, else $SPECC_MODEL, else DEFAULT_MODEL."""
    key = api_key()
    model = model or os.environ.get("SPECC_MODEL") or DEFAULT_MODEL
    if max_cost <= 0:
        raise AgentError("--max-cost must be positive", code=2)
    return Agent(model, log_path, max_cost, command, price, make_http_client(record), MAX_RETRIES, key)


MAX_RETRIES = 2  # the anthropic client's own retries of 429, 5xx and 529 (with backoff)
