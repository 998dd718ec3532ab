"""Turning an argv into what tmux parses back into exactly that argv.

Two encodings, both verified on tmux 3.3a (shared/notes/tmux-facts.md):
- control mode reads command *lines*: every argument is double-quoted, with `\\`, `"` and `$`
  backslash-escaped and control bytes written as `\\ooo`, so nothing in it is syntax (`;`, `#`,
  `{`, a newline that would end the line or, empty, detach the client). A leading `~` is
  expanded to $HOME even inside double quotes, so it goes in single quotes, glued to the rest
  (`'~'"rest"` is one token);
- a plain `tmux` argv (the fallback path) has one trap: an argument ending in `;` is read as a
  command separator, so a trailing `;` is escaped as `\\;`.
"""

from __future__ import annotations

from collections.abc import Sequence

_ESCAPED = {ord("\\"), ord('"'), ord("$")}


def quote_control_argument(argument: str) -> bytes:
    """One argument as a control-mode token that tmux reads back unchanged."""
    prefix = b""
    if argument.startswith("~"):
        prefix, argument = b"'~'", argument[1:]
    out = bytearray(prefix + b'"')
    for byte in argument.encode("utf-8", "surrogateescape"):
        if byte < 0x20 or byte == 0x7F:
            out += b"\\%03o" % byte
        elif byte in _ESCAPED:
            out += b"\\" + bytes((byte,))
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


def control_line(argv: Sequence[str]) -> bytes:
    """A whole command as one control-mode line (without the newline). The command name itself is
    ours, never user input, but it is quoted like the rest for uniformity."""
    if not argv:
        raise ValueError("empty tmux command")
    return b" ".join(quote_control_argument(arg) for arg in argv)


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
