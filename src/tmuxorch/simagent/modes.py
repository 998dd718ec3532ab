"""Quirks of agent CLIs that the simulated agent shows on request, so the hard cases of delivery
are tested end to end rather than assumed.

- An Enter that arrives in the same read as the text is lost (seen in several agent CLIs, see
  the tmux notes); tmuxorch sends Enter separately, so also: the first N Enters are lost whenever
  they come, which only pressing Enter again gets past.
- Every submit visible: an agent CLI ignores an Enter on an empty prompt, which hides an Enter
  pressed once too often; shown and logged, a test can prove it was pressed exactly once.
- A slow reader: input is read some time after it arrived, all in one read, as a busy event loop
  does; what the screen shows then lags behind what was sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tmuxorch.simagent.keys import Event


@dataclass(frozen=True)
class Quirks:
    """Which quirks are on (all off: an agent that behaves)."""

    drop_enter_with_text: bool = False
    """Lose an Enter that arrives in the same read as text."""
    drop_first_enters: int = 0
    """Lose the first this many Enter keys, whenever they come."""
    show_submits: bool = False
    """Every Enter at the prompt is a submit, of an empty prompt too: logged and shown."""
    read_delay: float = 0.0
    """Seconds between input arriving and the agent reading it (all of it, in one read)."""


class EnterLoss:
    """Decides which Enter keys are lost; counts them across reads."""

    def __init__(self, quirks: Quirks) -> None:
        self.quirks = quirks
        self.lost = 0

    def kept(self, events: Iterable[Event]) -> list[Event]:
        """The events of one read that reach the agent."""
        kept: list[Event] = []
        typed = False
        for event in events:
            if event.kind == "enter" and self._loses(typed):
                continue
            typed = typed or (event.kind in ("text", "paste") and bool(event.text))
            kept.append(event)
        return kept

    def _loses(self, typed: bool) -> bool:
        if self.lost < self.quirks.drop_first_enters:
            self.lost += 1
            return True
        return typed and self.quirks.drop_enter_with_text
