"""A spec's `render:` section: how `specc play` draws state fields as text.

    render:
      board: {grid: [3, 3], symbols: {0: "{i}", 1: X, 2: O}}   # int8[9] as 3 rows of 3
      # connect_four: {board: {symbols: {0: ".", 1: X, 2: O}, axes: true}}

A field listed here is drawn as a grid of symbols: `grid` [rows, columns] reshapes what is
drawn (a 2-D field is a grid already), `symbols` maps a value to its text, and "{i}" inside
a symbol becomes the cell's flat index (so empty cells can show the number an action takes);
`axes` numbers the columns above and the rows on the left. A field `visible: owner` draws
the seat's own row. Fields not listed are drawn as numbers, as before.
"""

from __future__ import annotations

import difflib
import math

import numpy as np

from .errors import SpecError
from .ir import Program
from .schema import DrawSpec, Spec
from .source import Source


def check_render(spec: Spec, source: Source, program: Program) -> None:
    """Every `render:` entry names a state field, and its grid fits what is drawn."""
    fields = {f.name: f for f in program.fields}
    for name, draw in spec.render.items():
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"render: {name!r} is not a state field{hint}", source.key_pos(("render", name)))
        field = fields[name]
        shape = field.type.shape[1:] if field.visible == "owner" else field.type.shape
        size = math.prod(shape)
        if draw.grid is not None:
            rows, cols = draw.grid
            if rows < 1 or cols < 1 or rows * cols != size:
                what = "each player's row of " if field.visible == "owner" else ""
                raise SpecError(
                    f"render: grid {rows}x{cols} has {rows * cols} cells but {what}{name} has {size}",
                    source.pos(("render", name, "grid")),
                )
        elif len(shape) != 2:
            raise SpecError(
                f"render: {name} has shape {list(shape)}: give a grid [rows, columns] to draw it",
                source.key_pos(("render", name)),
            )


def draw_grid(value: np.ndarray, draw: DrawSpec) -> list[str]:
    """The lines of `value` (reshaped to `draw.grid`) as a grid of symbols, right-aligned."""
    grid = np.asarray(value).reshape(draw.grid) if draw.grid else np.asarray(value)
    cells = [
        [draw.symbols.get(int(v), str(int(v))).replace("{i}", str(r * grid.shape[1] + c)) for c, v in enumerate(row)]
        for r, row in enumerate(grid.tolist())
    ]
    width = max(len(text) for row in cells for text in row)
    if draw.axes:
        width = max(width, len(str(grid.shape[1] - 1)))
    lines = [" ".join(text.rjust(width) for text in row) for row in cells]
    if draw.axes:
        margin = len(str(grid.shape[0] - 1))
        header = " " * (margin + 1) + " ".join(str(c).rjust(width) for c in range(grid.shape[1]))
        lines = [header] + [f"{r:>{margin}} {line}" for r, line in enumerate(lines)]
    return lines


def load_render(path: str) -> dict[str, DrawSpec]:
    """The `render:` section of the spec at `path` (structure only: compiling checked the rest)."""
    from .schema import validate
    from .source import load_yaml

    data, source = load_yaml(path)
    return dict(validate(data, source).render)
