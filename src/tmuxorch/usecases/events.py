"""One event as a line of text, the same in the TUI's event log, `tmuxorch events` and the
monitor: an agent's state change reads as `%3 claude busy → idle`, anything else as its name
and its plain fields."""

from __future__ import annotations

from rich.text import Text

from tmuxorch.core.events import AgentStateChanged, Event


def event_text(event: Event) -> Text:
    """The event without its time (each face puts the time where it wants it)."""
    if isinstance(event, AgentStateChanged):
        return Text.assemble(
            (f"{event.pane_id} ", "bold"), f"{event.kind} ", (f"{event.previous} → ", "dim"),
            (event.state, "bold"),
        )  # fmt: skip
    details = " ".join(f"{k}={v}" for k, v in event.brief().items())
    return Text.assemble((event.event, "bold"), f" {details}")
