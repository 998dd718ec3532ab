"""The main screen: header, fleet table, preview, detail strip, event log, footer."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import PurePosixPath

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from tmuxorch.core.models import Snapshot
from tmuxorch.tui.banded_compositor import BandedCompositor
from tmuxorch.tui.messages import FilterChanged
from tmuxorch.tui.widgets.detail_strip import DetailStrip
from tmuxorch.tui.widgets.event_log import EventLog
from tmuxorch.tui.widgets.fleet_header import FleetHeader
from tmuxorch.tui.widgets.fleet_table import FleetTable
from tmuxorch.tui.widgets.pane_preview import PanePreview

EMPTY_NO_TMUX = (
    "No tmux server is running here.\n\n"
    "Start one (`{start}`), or press [b]d[/] to start a demo fleet of simulated agents."
)


def start_command(socket: str) -> str:
    """The command that starts the server on `socket` (the one shown), not the default one: a
    socket in tmux's own directory by its name (`-L`), any other by its path (`-S`)."""
    path = PurePosixPath(socket)
    if path.parent.name.startswith("tmux-"):
        return (
            "tmux new -d" if path.name == "default" else f"tmux -L {shlex.quote(path.name)} new -d"
        )
    return f"tmux -S {shlex.quote(socket)} new -d"


TICK_S = 1.0
EARLY_TICK_S = 0.5
"""A model shown this long after the last tick takes the tick with it: the durations move on in
the frame the change paints anyway, not in one of their own (beside 50 working agents a frame a
second for the durations alone was a sixth of the TUI's time)."""

EMPTY_NO_AGENTS = (
    "No agents yet.\n\n"
    "Agents are panes running claude, codex, aider, gemini… or spawned with [b]n[/].\n"
    "Press [b]d[/] to start a demo fleet of simulated agents to try things on."
)


class MainScreen(Screen[None]):
    """Everything at a glance. The app sets `fleet` (and the widgets' other attributes); they
    post messages up."""

    fleet: var[Snapshot | None] = var(None, always_update=True)
    """State, not looks (a `reactive` would repaint the whole screen per change)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._compositor = BandedCompositor()  # paints a frame's changed lines only
        self.clock = clock
        self._empty_message: str | None = None
        self._ticker: Timer | None = None
        self._ticked = time.monotonic()

    def compose(self) -> ComposeResult:
        yield FleetHeader(clock=self.clock, id="header")
        yield Static(id="banner")
        yield Input(
            placeholder="filter by name, kind or state (Enter or Esc to close)", id="filter"
        )
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield FleetTable(clock=self.clock, id="fleet")
                yield Static(id="empty")
            with Vertical(id="right"):
                yield PanePreview(id="preview")
                yield DetailStrip(clock=self.clock, id="detail")
        yield EventLog(clock=self.clock, id="events")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one("#filter").display = False
        self.query_one("#empty").display = False
        self.query_one(FleetTable).focus()
        self._ticker = self.set_interval(TICK_S, self._tick)

    def _tick(self) -> None:
        """Durations move on, in the table and the detail strip at once: one repaint a second
        for both, not one each."""
        self._ticked = time.monotonic()
        self.query_one(FleetTable).tick()
        self.query_one(DetailStrip).tick()
        self.query_one(FleetHeader).tick()

    def watch_fleet(self, fleet: Snapshot | None) -> None:
        """Every widget that shows the fleet gets it; the cursor starts on the first agent."""
        if fleet is None:
            return
        table = self.query_one(FleetTable)
        first_load = table.fleet is None
        table.fleet = fleet
        if first_load:
            table.move_to_first_agent()
        self.query_one(DetailStrip).fleet = fleet
        self.query_one(FleetHeader).fleet = fleet
        if self._ticker is not None and time.monotonic() - self._ticked >= EARLY_TICK_S:
            self._ticker.reset()
            self._tick()
        if not fleet.tmux.running:
            self.show_empty(EMPTY_NO_TMUX.format(start=escape(start_command(fleet.tmux.socket))))
        elif not any(p.agent is not None for p in fleet.panes()):
            self.show_empty(EMPTY_NO_AGENTS)
        else:
            self.show_empty(None)

    def toggle_order(self) -> bool:
        """Needs-you order or the tree, in the table and the header; True for needs-you."""
        table = self.query_one(FleetTable)
        table.needs_you = not table.needs_you
        self.query_one(FleetHeader).needs_you = table.needs_you
        return table.needs_you

    def toggle_zoom(self) -> bool:
        """The preview across the whole width (the table hidden, the preview focused for its
        scroll keys) or back; True when zoomed."""
        body = self.query_one("#body")
        body.toggle_class("-zoomed")
        zoomed = body.has_class("-zoomed")
        (self.query_one(PanePreview) if zoomed else self.query_one(FleetTable)).focus()
        return zoomed

    def show_banner(self, message: str | None) -> None:
        """A warning across the top (tmux down, reconnecting); None hides it."""
        banner = self.query_one("#banner", Static)
        banner.display = message is not None
        banner.update(message or "")

    def show_empty(self, message: str | None) -> None:
        """A friendly message instead of an empty table; None shows the table."""
        if message == self._empty_message:
            return  # asked on every model: the same message again costs no layout
        self._empty_message = message
        empty = self.query_one("#empty", Static)
        empty.display = message is not None
        self.query_one("#left").set_class(message is not None, "-empty")
        empty.update(message or "")

    def open_filter(self) -> None:
        """Show the filter input and focus it."""
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.post_message(FilterChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.close_filter(keep=True)

    def close_filter(self, *, keep: bool) -> None:
        """Hide the filter input (clearing it unless `keep`) and give the table the focus."""
        field = self.query_one("#filter", Input)
        if not keep:
            field.value = ""
        field.display = bool(field.value)
        self.query_one(FleetTable).focus()

    def key_escape(self) -> None:
        if self.query_one("#filter", Input).has_focus:
            self.close_filter(keep=False)
