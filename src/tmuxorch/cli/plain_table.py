"""A table printed to a pipe as Rich prints it there, without importing Rich.

`send` ends with its receipts as a table, and scripts run it again and again with stdout piped:
importing Rich to lay out a few rows cost each run ~20 ms, a fifth of it (issue 17). Piped, our
console (`render.make_console`) has no colour and no width limit, so Rich's table is plain box
drawing, which this writes the same byte for byte (tests/unit/test_plain_table.py holds the two
together). It takes only what it can be sure of, and says None for the rest (a terminal, Rich
made to colour a pipe, an encoding without box characters, a cell that is not plain ASCII or
could hold an `:emoji:` code): the caller then prints with Rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def plain_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
    """The table (title on its own line, left) as Rich would print it to stdout now, or None
    when only Rich can say."""
    if (
        sys.stdout.isatty()
        or os.environ.get("TTY_COMPATIBLE") == "1"
        or os.environ.get("FORCE_COLOR")
    ):
        return None
    if not (sys.stdout.encoding or "").lower().replace("-", "").startswith("utf"):
        return None
    if not all(_plain(cell) for cell in (title, *columns, *(c for row in rows for c in row))):
        return None
    widths = [max(len(cell) for cell in column) for column in zip(columns, *rows, strict=True)]

    def rule(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * (width + 2) for width in widths) + right + "\n"

    def row(edge: str, values: Sequence[str]) -> str:
        padded = (f" {value:<{width}} " for value, width in zip(values, widths, strict=True))
        return edge + edge.join(padded) + edge + "\n"

    return (
        f"{title}\n"
        + rule("┏", "━", "┳", "┓")
        + row("┃", columns)
        + rule("┡", "━", "╇", "┩")
        + "".join(row("│", values) for values in rows)
        + rule("└", "─", "┴", "┘")
    )


def _plain(cell: str) -> bool:
    """Printable ASCII, one column a character, that Rich prints as it is (two colons could
    make an emoji code)."""
    return cell.isascii() and cell.isprintable() and cell.count(":") < 2
