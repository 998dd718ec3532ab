"""Pane text made safe to print: no escape sequence from a pane reaches the user's terminal
(DESIGN.md safety rule 5). A pane can print anything, including sequences that retitle, move the
cursor, or (in some terminals) write files or answer back."""

from __future__ import annotations

import re

# A pattern, compiled (and cached by re) on its first use: a command that prints no pane text
# pays nothing for it (a status bar, issue 17).
_SEQUENCES = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # other escapes
    r"|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]"  # C0 (but tab, newline) and C1 controls
)


def sanitize(text: str) -> str:
    """Remove escape sequences and control characters; keep tabs and newlines."""
    return re.sub(_SEQUENCES, "", text)
