"""Progress for long work, one module for every command (verify, train, mutate, fuzz, bench).

In a terminal a task is a rich bar (or a spinner when its size is unknown) with an ETA;
when output goes to a file or a pipe it is plain lines instead: one when the task starts,
then one every `every` seconds (default 10, or $SPECC_PROGRESS_EVERY) while it runs, even
between updates (a background ticker), and one when it ends. A log is never silent for
minutes.

ETAs: the first unit of work is often much slower than the rest (JIT compilation, imports,
caches), and a rate taken from the start would make the ETA hours long for a job of
minutes. `Eta` measures the rate from the end of the first unit on, and says nothing
until it has seen some work after that.

    with task("level 3: lock-step rollouts", total=1000, unit="episodes") as t:
        for i in ...:
            t.update(i + 1)                  # or t.advance(); t.update(total=...) re-estimates
            t.print("a line above the bar")  # a plain line when not a terminal
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

DEFAULT_EVERY = 10.0  # seconds between plain lines


def every_seconds() -> float:
    """Seconds between plain progress lines: $SPECC_PROGRESS_EVERY or 10."""
    try:
        value = float(os.environ.get("SPECC_PROGRESS_EVERY", DEFAULT_EVERY))
    except ValueError:
        return DEFAULT_EVERY
    return value if value > 0 else DEFAULT_EVERY


def clock_text(seconds: float) -> str:
    """0:07, 3:05, 1:02:03."""
    s = max(int(round(seconds)), 0)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Eta:
    """Time left from the rate after the first unit of work (which JIT compilation skews),
    counting down between updates."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, min_seconds: float = 1.0) -> None:
        self.clock = clock
        self.min_seconds = min_seconds  # of work after the first unit before any estimate
        self.base: tuple[float, float] | None = None  # (time, completed) at the end of the first unit
        self.last: tuple[float, float] | None = None

    def observe(self, completed: float) -> None:
        """Record that `completed` units are done now."""
        now = self.clock()
        if self.base is None:
            if completed > 0:
                self.base = (now, completed)
            return
        self.last = (now, completed)

    def seconds_left(self, total: float | None) -> float | None:
        """Seconds to reach `total`, or None while there is too little to go on."""
        if total is None or self.base is None or self.last is None:
            return None
        (t0, c0), (t1, c1) = self.base, self.last
        if c1 >= total:
            return 0.0
        if c1 <= c0 or t1 - t0 < self.min_seconds:
            return None
        rate = (c1 - c0) / (t1 - t0)
        return max((total - c1) / rate - (self.clock() - t1), 0.0)  # counting down between updates


def is_terminal(stream: IO[str] | None = None) -> bool:
    """Whether progress goes to a terminal (rich bars) or not (plain lines)."""
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Task:
    """One piece of long work; see the module docstring. Use as a context manager."""

    def __init__(self, description: str, total: float | None = None, unit: str = "", *, every: float | None = None,
                 stream: IO[str] | None = None, terminal: bool | None = None, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic, clocked: bool = False,
                 limit_s: float | None = None) -> None:  # fmt: skip
        self.description = description
        self.total = total
        self.unit = unit
        self.completed = 0.0
        self.note = ""
        self.every = every if every is not None else every_seconds()
        self.stream = stream
        self.out = stream or sys.stdout  # bound now: work inside may redirect sys.stdout (pytest does)
        self.terminal = is_terminal(stream) if terminal is None else terminal
        self.enabled = enabled
        self.clock = clock
        self.clocked = clocked  # a time budget: `total` seconds, done as they pass
        self.limit_s = limit_s  # the work stops after this many seconds whatever is left (a time budget)
        self.eta = Eta(clock)
        self.start = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._rich: Any = None
        self._rich_task: Any = None

    # --- the interface ---------------------------------------------------------------

    def __enter__(self) -> Task:
        self.start = self.clock()
        if not self.enabled:
            return self
        if self.terminal:
            self._start_rich()
        else:
            unit = self.unit[:-1] if self.total == 1 and self.unit.endswith("s") else self.unit
            size = f" ({_number(self.total)}{' ' + unit if unit else ''})" if self.total else ""
            self._line(f"started{size}")
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, kind: type | None, *_: object) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._rich is not None:
            self._refresh_rich()
            self._rich.stop()
        elif kind is None:
            self._line(f"done in {clock_text(self.clock() - self.start)}", final=True)
        elif kind is not KeyboardInterrupt:
            self._line(f"stopped after {clock_text(self.clock() - self.start)}", final=True)

    def update(self, completed: float | None = None, *, total: float | None = None, note: str | None = None,
               description: str | None = None) -> None:  # fmt: skip
        """Set how much is done (and, where it was an estimate, the new total), a short note
        ("score 0.61") or a new description."""
        with self._lock:
            if total is not None:
                self.total = total
            if completed is not None:
                self.completed = completed
                self.eta.observe(completed)
            if note is not None:
                self.note = note
            if description is not None:
                self.description = description
        if self._rich is not None:
            self._refresh_rich()

    def advance(self, amount: float = 1.0, note: str | None = None) -> None:
        """One more unit done (or `amount`)."""
        self.update(self.completed + amount, note=note)

    def print(self, text: str) -> None:
        """A line of output: above the bar in a terminal, a plain line otherwise."""
        if self._rich is not None:
            self._rich.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.out, flush=True)

    # --- what is shown -----------------------------------------------------------------

    def _follow_clock(self) -> None:
        if self.clocked and self.total:
            self.completed = min(self.clock() - self.start, self.total)
            self.eta.observe(self.completed)

    def status_text(self) -> str:
        """`312/1000 episodes (31%), 0:45 elapsed, ETA 1:40, note` (what a plain line says)."""
        with self._lock:
            self._follow_clock()
            parts = []
            if self.total:
                done = _number(self.completed)
                pct = 100.0 * self.completed / self.total
                parts.append(f"{done}/{_number(self.total)}{' ' + self.unit if self.unit else ''} ({pct:.0f}%)")
            elif self.completed:
                parts.append(f"{_number(self.completed)}{' ' + self.unit if self.unit else ''}")
            parts.append(f"{clock_text(self.clock() - self.start)} elapsed")
            if self.total:
                parts.append(f"ETA {self.eta_text()}")
            if self.note:
                parts.append(self.note)
            return ", ".join(parts)

    def eta_text(self) -> str:
        if self.clocked and self.total:
            return clock_text(max(self.total - self.completed, 0.0))
        left = self.eta.seconds_left(self.total)
        if self.limit_s is not None:
            budget = max(self.limit_s - (self.clock() - self.start), 0.0)
            left = budget if left is None else min(left, budget)
        return "?" if left is None else clock_text(left)

    def _line(self, text: str, final: bool = False) -> None:
        if final and self.note:
            text += f" ({self.note})"
        print(f"  .. {self.description}: {text}", file=self.out, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self._line(self.status_text())

    def _start_rich(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.out)
        columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
        if self.total is not None or self.unit:  # a size, maybe known only later (a pulsing bar until then)
            columns += [BarColumn(bar_width=30), TextColumn("{task.fields[count]}")]
        columns += [TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), TextColumn("{task.fields[note]}")]
        self._rich = Progress(*columns, console=console)
        self._rich.start()
        self._rich_task = self._rich.add_task(self.description, total=self.total, count="", eta="", note="")

    def _refresh_rich(self) -> None:
        with self._lock:
            self._follow_clock()
            count = f"{_number(self.completed)}/{_number(self.total)} {self.unit}" if self.total else ""
            eta = f"ETA {self.eta_text()}" if self.total else ""
            self._rich.update(self._rich_task, completed=self.completed, total=self.total,
                              description=self.description, count=count.strip(), eta=eta, note=self.note)  # fmt: skip


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() or x >= 100 else f"{x:.1f}"


def task(description: str, total: float | None = None, unit: str = "", **options: Any) -> Task:
    """A progress Task (see the module docstring)."""
    return Task(description, total, unit, **options)


def status(description: str, **options: Any) -> Task:
    """Work of unknown size: a spinner in a terminal, a line every few seconds otherwise."""
    return Task(description, None, **options)
