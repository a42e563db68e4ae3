"""Results for people: tables (the terminal, 100 columns; Markdown) and plots (PNG).

A table is a list of `Column`s over rows of results (dicts). In a terminal only the
narrow columns are shown, so that it fits 100 columns; `wide=True` (the commands'
`--wide`) shows every column. Markdown always has every column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WIDTH = 100  # terminal columns a narrow table fits
WIDE_WIDTH = 200


@dataclass(frozen=True)
class Column:
    """One column: its header, how a row (a dict of results) shows in it, and whether it
    is shown only with --wide."""

    header: str
    cell: Callable[[dict], str]
    wide_only: bool = False


def shown(columns: Sequence[Column], wide: bool, rows: Sequence[dict] = ()) -> list[Column]:
    """The columns a terminal table shows: all with `wide`; else the narrow ones that have
    a value in some row (a bench without a peer has no peer columns)."""
    if wide:
        return list(columns)
    return [c for c in columns if not c.wide_only and (not rows or any(c.cell(r) != "-" for r in rows))]


def rich_table(title: str | None, columns: Sequence[Column], rows: Sequence[dict], wide: bool = False) -> Any:
    """A rich Table of the shown columns, numbers right-aligned."""
    from rich.table import Table

    table = Table(title=title)
    cols = shown(columns, wide, rows)
    for c in cols:
        table.add_column(c.header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(c.cell(row) for c in cols))
    return table


def print_table(title: str, columns: Sequence[Column], rows: Sequence[dict], *, wide: bool = False,
                markdown: str | Path | None = None, console: Any = None) -> None:  # fmt: skip
    """Print the table (100 columns unless `wide`); also write all columns as Markdown."""
    from rich.console import Console

    console = console or Console(width=WIDE_WIDTH if wide else WIDTH)
    console.print(title, highlight=False)  # above the table, not its title: a title wraps at the table's width
    console.print(rich_table(None, columns, rows, wide))
    if markdown:
        Path(markdown).write_text(markdown_table(columns, rows))


def markdown_table(columns: Sequence[Column], rows: Sequence[dict]) -> str:
    """Every column, as a Markdown table."""
    lines = ["| " + " | ".join(c.header for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(c.cell(r) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def rate(value: float | None) -> str:
    """Steps/s for people: 26.90M, 591.99K, 812 or -."""
    if value is None:
        return "-"
    for unit, scale in (("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.2f}{unit}"
    return f"{value:.0f}"


def number(value: float | None, fmt: str = ".2f", suffix: str = "") -> str:
    """A number with a format, or - where there is none."""
    return "-" if value is None else f"{value:{fmt}}{suffix}"


def png_bytes(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (closed afterwards)."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def throughput_plot(rows: Sequence[dict], series: dict[str, str], title: str, path: str | Path,
                    flat: Sequence[str] = ()) -> Path:  # fmt: skip
    """Steps/s against batch size, log-log, one line per backend: `series` maps a label to
    the rows' key of its steps/s (rows without a value are skipped); labels in `flat` are
    drawn dashed (one game at a time, whatever the batch). Written as a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    from .errors import SpecError

    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = 0
    for label, key in series.items():
        points = sorted((r["batch"], r[key]) for r in rows if r.get(key))
        if not points:
            continue
        xs, ys = zip(*points, strict=True)
        style = "--" if label in flat else "-"
        ax.plot(xs, ys, style, marker="o", label=label)
        drawn += 1
    if not drawn:
        plt.close(fig)
        raise SpecError(f"{path}: nothing to plot (no steps/s measured)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    batches = sorted({r["batch"] for r in rows})
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set(xlabel="batch size (environments stepped together)", ylabel="environment steps per second", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png_bytes(fig))
    return out
