"""What the simulated agent draws: the screen strings tmuxorch's detection patterns rely on, and
the writer that prints conversation lines and redraws the live area under them.

Its own module because the strings are the contract with the `sim` agent profile and with tests
(they import them rather than spell them again), and the drawing is the fiddly part (wide
characters, wrapping, a terminal that got narrower) that the agent's state machine should not see.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass

HINT_LINE = "  ? for shortcuts"
PROMPT_PREFIX = "│ > "
CONTINUATION_PREFIX = "│   "
BUSY_FORMAT = "{glyph} Working… ({seconds}s · esc to interrupt)"
SPINNER_GLYPHS = "·✢✳✶✻✽"
APPROVAL_QUESTION = "Do you want to proceed with this action?"
APPROVAL_CHOICES = ("1. Yes", "2. No, and tell the agent what to do differently")
REPLY_PREFIX = "● Received:"
DECLINED_LINE = "● Declined."
INTERRUPTED_LINE = "⎿ Interrupted by user"
QUEUED_LINE = "  (queued)"
EXIT_HINT_LINE = "(press Ctrl-C again to exit)"
CRASH_LINE = "Error: simulated crash"

MIN_WIDTH = 12


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def printable(text: str) -> str:
    """Text safe to write to the terminal: control characters (but tab) become U+FFFD."""
    return "".join(
        "\ufffd" if unicodedata.category(ch) == "Cc" and ch != "\t" else ch for ch in text
    )


def wrap(text: str, width: int) -> list[str]:
    """Split one line into chunks of at most `width` columns (an empty line is one empty chunk)."""
    chunks, current, used = [], "", 0
    for ch in text:
        w = char_width(ch)
        if used + w > width and current:
            chunks.append(current)
            current, used = "", 0
        current += ch
        used += w
    chunks.append(current)
    return chunks


@dataclass(frozen=True)
class Bottom:
    """The live area under the conversation: lines, and where the cursor goes (row, column)."""

    lines: tuple[str, ...]
    cursor_row: int
    cursor_col: int


def box_area(text: str, cols: int) -> Bottom:
    """The prompt box with `text` in it, the hint under it, and the cursor after the text."""
    inner = cols - 6  # "│ > " before, " │" after
    rows: list[str] = []
    last = 0
    for n, line in enumerate(text.split("\n")):
        for k, chunk in enumerate(wrap(printable(line).replace("\t", " "), inner)):
            prefix = PROMPT_PREFIX if n == 0 and k == 0 else CONTINUATION_PREFIX
            last = text_width(chunk)
            rows.append(prefix + chunk + " " * (inner - last) + " │")
    top = "╭" + "─" * (cols - 2) + "╮"
    bottom = "╰" + "─" * (cols - 2) + "╯"
    return Bottom((top, *rows, bottom, HINT_LINE), len(rows), len(PROMPT_PREFIX) + last)


class Screen:
    """Prints conversation lines and redraws the live bottom area below them.

    Writes bytes straight to the file descriptor (raw mode: lines end with CR LF). Remembers the
    widths of the bottom area it drew so it can move back up and erase it, even after the terminal
    got narrower and rewrapped those lines.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.cols = terminal_width(fd)
        self._widths: list[int] = []
        self._cursor: tuple[int, int] = (0, 0)

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def draw(self, lines: list[str], bottom: Bottom | None) -> None:
        out = [self._erase()]
        out.extend(printable(line) + "\r\n" for line in lines)
        if bottom is not None:
            out.append(self._place(bottom))
        self.write("".join(out))

    def _rows(self, width: int) -> int:
        return max(1, -(-width // self.cols))

    def _erase(self) -> str:
        row, col = self._cursor
        up = sum(self._rows(w) for w in self._widths[:row]) + col // self.cols
        self._widths, self._cursor = [], (0, 0)
        # Clear the top row, then from its 2nd column down: tmux scrolls the whole screen into
        # history on an erase-below from the top-left corner (option scroll-on-clear).
        return "\r" + (f"\x1b[{up}A" if up else "") + "\x1b[K\x1b[C\x1b[J\r"

    def _place(self, bottom: Bottom) -> str:
        self._widths = [text_width(line) for line in bottom.lines]
        self._cursor = (bottom.cursor_row, bottom.cursor_col)
        up = len(bottom.lines) - 1 - bottom.cursor_row
        move = (f"\x1b[{up}A" if up else "") + "\r"
        move += f"\x1b[{bottom.cursor_col}C" if bottom.cursor_col else ""
        return "\r\n".join(bottom.lines) + move


def terminal_width(fd: int) -> int:
    try:
        cols = os.get_terminal_size(fd).columns
    except OSError:
        cols = 80
    return max(MIN_WIDTH, cols or 80)
