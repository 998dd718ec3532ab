"""A table written to a pipe without Rich (cli/plain_table.py, issue 17) is byte for byte what
Rich prints there through our console, and it leaves to Rich what it cannot be sure of."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence

import pytest
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tmuxorch.cli.plain_table import plain_table
from tmuxorch.usecases.receipts import RECEIPT_COLUMNS

ROWS: list[list[tuple[str, ...]]] = [
    [],
    [("%1", "main:python.0", "delivered", "typed, not submitted (no Enter)")],
    [("%1", "", "failed", ""), ("%22", "a long session name:w.3", "skipped_waiting", "x")],
    [("%3", "s:[bold]x[/].0", "queued", "it was busy [rule] \\ ok")],  # markup is text here
]


def rich_output(rows: Sequence[tuple[str, ...]]) -> str:
    """What `render.make_console()` prints for the table when stdout is not a terminal."""
    out = io.StringIO()
    console = Console(file=out, highlight=False, soft_wrap=True, width=100_000, _environ={})
    table = Table(title="Receipts", title_justify="left")
    for column in RECEIPT_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
    return out.getvalue()


@pytest.fixture
def piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.usefixtures("piped")
def test_it_writes_what_rich_prints_to_a_pipe(rows: list[tuple[str, ...]]) -> None:
    assert plain_table("Receipts", RECEIPT_COLUMNS, rows) == rich_output(rows)


@pytest.mark.parametrize(
    "cell", ["wide 漢字", "emoji :smile: code", "tab\there", "two\nlines", "é"]
)
@pytest.mark.usefixtures("piped")
def test_a_cell_it_cannot_be_sure_of_goes_to_rich(cell: str) -> None:
    assert plain_table("Receipts", RECEIPT_COLUMNS, [("%1", cell, "failed", "")]) is None


@pytest.mark.parametrize("variable", ["FORCE_COLOR", "TTY_COMPATIBLE"])
@pytest.mark.usefixtures("piped")
def test_rich_made_to_colour_a_pipe_prints_it_itself(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "1")
    assert plain_table("Receipts", RECEIPT_COLUMNS, []) is None


def test_not_on_a_terminal_nor_without_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    assert plain_table("Receipts", RECEIPT_COLUMNS, []) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    assert plain_table("Receipts", RECEIPT_COLUMNS, []) is None
