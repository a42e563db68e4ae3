"""Long literal data in generated code: tables one row per line, other arrays packed, values kept."""

from __future__ import annotations

import numpy as np

from specc import ir
from specc.backends.common import format_python
from specc.backends.literals import WIDTH, c_constants, packed, py_constants, py_list
from specc.source import Pos

POS = Pos("t.yaml", 1, 1)
NP = {"bool": "np.bool_", "int8": "np.int8", "int16": "np.int16", "int32": "np.int32", "float32": "np.float32"}
C = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float"}


def column(table: str, name: str, dtype: str, values: tuple) -> ir.Constant:
    return ir.Constant(f"{table}__{name}", ir.Type(dtype, (len(values),)), values, POS, table=table, column=name)


CONSTANTS = (
    column("CARDS", "hp", "int16", (60, 90, -1)),
    column("CARDS", "ex", "bool", (False, True, False)),
    column("CARDS", "rate", "float32", (0.5, 1.25, -2.0)),
    ir.Constant("GRID", ir.Type("int32", (40, 3)), tuple((i, -i, 2 * i) for i in range(40)), POS),
)


def test_a_table_is_one_row_per_line_and_its_columns_keep_values_and_dtypes() -> None:
    code = py_constants(CONSTANTS, "np.array", NP)
    lines = code.splitlines()
    assert "# table CARDS, one row per line; columns:" in lines
    assert "#   hp, ex, rate" in lines
    assert lines[lines.index("_TABLE_CARDS = np.array([") + 1 : lines.index("_TABLE_CARDS = np.array([") + 4] == [
        "    [60, 0, 0.5],",
        "    [90, 1, 1.25],",
        "    [-1, 0, -2.0],",
    ]
    assert format_python(code) == code + "\n"  # the formatter leaves the laid-out data as it is
    space: dict = {"np": np}
    exec(code, space)
    assert space["CARDS__hp"].dtype == np.int16 and space["CARDS__hp"].tolist() == [60, 90, -1]
    assert space["CARDS__ex"].dtype == np.bool_ and space["CARDS__ex"].tolist() == [False, True, False]
    assert space["CARDS__rate"].dtype == np.float32 and space["CARDS__rate"].tolist() == [0.5, 1.25, -2.0]
    assert space["GRID"].shape == (40, 3) and space["GRID"][39].tolist() == [39, -39, 78]
    assert all(len(line) <= WIDTH for line in lines)  # GRID's 40 rows packed, several per line
    assert len([line for line in lines if line.startswith("    [") and "GRID" not in line]) < 40


def test_long_arrays_are_packed_into_lines_and_short_ones_stay_on_one() -> None:
    items = [f'"a({i})"' for i in range(30)]
    text = py_list("LABELS", items)
    assert text.splitlines()[0] == "# fmt: off" and text.splitlines()[-1] == "# fmt: on"
    assert all(len(line) <= WIDTH for line in text.splitlines())
    space: dict = {}
    exec(text, space)
    assert space["LABELS"] == [f"a({i})" for i in range(30)]
    assert py_list("SHORT", ["1", "2"]) == "SHORT = [1, 2]"
    assert packed(["1,", "22,", "333,"], "  ", width=9) == ["  1, 22,", "  333,"]


def test_c_tables_are_arrays_of_row_structs() -> None:
    code = c_constants(CONSTANTS, C, lambda v, dtype: str(int(v)) if isinstance(v, bool) else repr(v))
    assert "} CARDS__rows[3] = {\n    {60, 0, 0.5},\n    {90, 1, 1.25},\n    {-1, 0, -2.0},\n};" in code
    assert "    int16_t hp;\n    bool ex;\n    float rate;\n" in code
    assert code.count("static const int32_t GRID[120] = {") == 1
    assert "    0, 0, 0, 1, -1, 2," in code  # whole matrix rows, never split across lines
