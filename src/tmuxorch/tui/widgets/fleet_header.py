"""The top line: whether we are connected, agents per state, how long the oldest waiting agent
has waited, the table's order, and where the fleet is."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import var

from tmuxorch.core.models import Snapshot
from tmuxorch.tui.fleet_order import oldest_wait
from tmuxorch.tui.widgets.line import Line
from tmuxorch.usecases.labels import STATE_BADGES, agents_by_state, counted, duration


class FleetHeader(Line):
    """Set `fleet`, `label`, `connection`, `needs_you` (the table's order) and `selected` (how
    many agents are)."""

    # `var`s: the line repaints itself when its text changed, not on every model.
    fleet: var[Snapshot | None] = var(None, always_update=True)
    label: var[str] = var("")
    connection: var[str] = var("connecting…")
    needs_you: var[bool] = var(True)
    selected: var[int] = var(0)
    """How many agents are selected."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def tick(self) -> None:
        """A second went by: the oldest wait keeps counting (a repaint only if its text moved)."""
        self._render_line()

    def watch_needs_you(self) -> None:
        self._render_line()

    def watch_selected(self) -> None:
        self._render_line()

    def watch_fleet(self) -> None:
        self._render_line()

    def watch_label(self) -> None:
        self._render_line()

    def watch_connection(self) -> None:
        self._render_line()

    def _render_line(self) -> None:
        # Where the fleet is comes last: it is the long part, and a narrow terminal cuts the
        # line at its end.
        line = Text("tmuxorch ", "bold")
        connection, live = self.connection, self.connection.startswith("live")
        if live and self.fleet is not None and not self.fleet.tmux.running:
            connection, live = "no tmux server", False  # the stream is, but there is no tmux
        line.append(f" {connection}  ", "green" if live else "yellow")
        line.append("needs you first  " if self.needs_you else "tree  ", "cyan")
        if self.selected:
            line.append(f"✓ {self.selected} selected  ", "bold cyan")
        if self.fleet is not None and self.fleet.tmux.running:
            counts = agents_by_state(self.fleet)
            line.append(f"{counted(sum(counts.values()), 'agent')} ")
            for state, count in counts.items():
                symbol, style = STATE_BADGES[state]
                line.append(f" {symbol} {count} {state}", style)
                waited = oldest_wait(self.fleet, self.clock()) if state == "waiting" else None
                if waited is not None:
                    line.append(f" (oldest {duration(waited)})", style)
            line.append("  ")
        line.append(self.label, "dim")
        self.show(line)
