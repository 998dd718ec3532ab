"""What happened, newest last: agents changing state, windows coming and going, receipts."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.widgets import RichLog


class EventLog(RichLog):
    """Append lines with `add`; keeps the last few hundred."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(max_lines=500, wrap=False, markup=False, **kwargs)  # type: ignore[arg-type]
        self.clock = clock

    def add(self, message: Text | str) -> None:
        """Log one line with the time."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.clock()))
        line = Text(f"{stamp} ", "dim")
        line.append(message if isinstance(message, Text) else Text(message))
        self.write(line)
