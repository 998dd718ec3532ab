"""The top line: whether we are connected, agents per state, and where the fleet is."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var

from tmuxorch.core.models import Snapshot
from tmuxorch.tui.widgets.line import Line
from tmuxorch.usecases.labels import STATE_BADGES, agents_by_state


class FleetHeader(Line):
    """Set `fleet`, `label` and `connection`."""

    # `var`s: the line repaints itself when its text changed, not on every model.
    fleet: var[Snapshot | None] = var(None, always_update=True)
    label: var[str] = var("")
    connection: var[str] = var("connecting…")

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
        line.append(
            f" {self.connection}  ", "green" if self.connection.startswith("live") else "yellow"
        )
        if self.fleet is not None and self.fleet.tmux.running:
            counts = agents_by_state(self.fleet)
            line.append(f"{sum(counts.values())} agents ")
            for state, count in counts.items():
                symbol, style = STATE_BADGES[state]
                line.append(f" {symbol} {count} {state}", style)
            line.append("  ")
        line.append(self.label, "dim")
        self.show(line)
