"""What happened, newest last: agents changing state, windows coming and going, receipts."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text

from tmuxorch.tui.widgets.line_view import LineView

MAX_LINES = 500


class EventLog(LineView):
    """Append lines with `add`; keeps the last few hundred (`lines`)."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(max_lines=MAX_LINES, **kwargs)
        self.clock = clock

    def add(self, message: Text | str, *, needs_you: bool = False) -> None:
        """Log one line after the time (dimmed: the message is what to read); a line that
        needs an answer (an agent started waiting) is marked where the eye starts."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.clock()))
        mark = ("? needs you ", "bold magenta") if needs_you else ""
        self.append([Text.assemble((f"{stamp} ", "dim"), mark, message)])
