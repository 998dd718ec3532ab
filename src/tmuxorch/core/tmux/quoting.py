"""Turning an argv into what tmux parses back into exactly that argv.

Two encodings, both verified on tmux 3.3a (shared/notes/tmux-facts.md):
- control mode reads command *lines*: an argument made only of letters, digits and `_@.,/:+-`,
  or a pane id (`%3`), is written bare; any other is double-quoted, with `\\`, `"` and `$`
  backslash-escaped and control bytes written as `\\ooo`, so nothing in it is syntax (`;`, `#`,
  `{`, a newline that would end the line or, empty, detach the client). A leading `~` is expanded
  to $HOME even inside double quotes, so it goes in single quotes, glued to the rest (`'~'"rest"`
  is one token);
- a plain `tmux` argv (the fallback path) has one trap: an argument ending in `;` is read as a
  command separator, so a trailing `;` is escaped as `\\;`.
"""

from __future__ import annotations

from collections.abc import Sequence

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    import re

_BARE = r"[A-Za-z0-9_@.,/:+-]+|%[0-9]+"
"""Arguments that are no tmux syntax anywhere in a line, written as they are: plain words, and
pane ids (a word of `%` and digits is a word; any other word starting with `%` is a directive,
`%if`, `%hidden`). Never bare: `=` (assignments), `~`, `$`, `#`, `;`, quotes, braces, `\\`,
spaces. Every byte counts: tmux 3.3a reads a control client's input 4 KiB per pass of its event
loop, so a batch of a hundred commands that fits in one read is answered in one pass."""
_ESCAPE = r'[\x00-\x1f\x7f\\"$]'
"""What a double-quoted token escapes. Both patterns are compiled (and `re` imported) on the first
control-mode line, by the engine: a one-shot command's plain `tmux` argv needs neither, and
`re` with its enums would be a third of what a status-bar read of a watcher's segment imports."""


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\{ord(char):03o}" if char < " " or char == "\x7f" else "\\" + char


def quote_control_argument(argument: str) -> bytes:
    """One argument as a control-mode token that tmux reads back unchanged."""
    import re

    if re.fullmatch(_BARE, argument):
        return argument.encode()
    prefix = b""
    if argument.startswith("~"):
        prefix, argument = b"'~'", argument[1:]
    body = re.sub(_ESCAPE, _escape, argument).encode("utf-8", "surrogateescape")
    return prefix + b'"' + body + b'"'


def control_lines(commands: Sequence[Sequence[str]]) -> bytes:
    """A batch of commands as control-mode lines (the command name is ours, never user input,
    but is encoded like the rest). Each distinct argument is encoded once per batch: a broadcast
    repeats the same text and flags for every pane."""
    encoded: dict[str, bytes] = {}
    lines = []
    for argv in commands:
        if not argv:
            raise ValueError("empty tmux command")
        words = []
        for arg in argv:
            word = encoded.get(arg)
            if word is None:
                word = encoded[arg] = quote_control_argument(arg)
            words.append(word)
        lines.append(b" ".join(words) + b"\n")
    return b"".join(lines)


def argv_argument(argument: str) -> str:
    """One argument for a `tmux` command line: escape a trailing `;` so it stays text."""
    if argument.endswith(";"):
        return argument[:-1] + "\\;"
    return argument


def chained_argv(commands: Sequence[Sequence[str]]) -> list[str]:
    """Several commands as one `tmux` argv, separated by lone `;` arguments."""
    argv: list[str] = []
    for index, command in enumerate(commands):
        if index:
            argv.append(";")
        argv.extend(argv_argument(arg) for arg in command)
    return argv
