"""The tmuxorch TUI: the fleet live, keyboard first.

The app is the only part that talks to the Backend: its model of the fleet comes from a
`FleetFeed` (one listing once the event stream is on, then the events), and every action goes
through one helper (`_act`), which notifies errors and logs the result; what an action changes
in tmux comes back as events. tmux work runs in workers: the UI never waits on it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.css.query import NoMatches
from textual.reactive import var
from textual.screen import Screen

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.models import Pane, Receipt, Snapshot
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.core.targets import panes_of
from tmuxorch.tui.attach import attach
from tmuxorch.tui.cursor_pane import CursorPane
from tmuxorch.tui.duties import Duties
from tmuxorch.tui.feed import FleetFeed
from tmuxorch.tui.keymap import BINDINGS, key_rows, palette_commands
from tmuxorch.tui.link_status import LinkStatus
from tmuxorch.tui.messages import (
    AttachRequested,
    BroadcastRequested,
    FilterChanged,
    RowHighlighted,
    SendRequested,
)
from tmuxorch.tui.plans import Plans
from tmuxorch.tui.screens.broadcast import BroadcastScreen
from tmuxorch.tui.screens.help import HelpScreen
from tmuxorch.tui.screens.main import MainScreen
from tmuxorch.tui.screens.prompts import ConfirmScreen, RenameScreen, SpawnRequest, SpawnScreen
from tmuxorch.tui.screens.send import SendScreen
from tmuxorch.tui.targeting import (
    Row,
    first_pane,
    own_pane,
    renamable,
    row_of,
    session_of,
    shown_agents,
    targets,
    toggled,
)
from tmuxorch.tui.widgets.detail_strip import DetailStrip
from tmuxorch.tui.widgets.event_log import EventLog
from tmuxorch.tui.widgets.fleet_header import FleetHeader
from tmuxorch.tui.widgets.fleet_table import FleetTable
from tmuxorch.tui.widgets.pane_preview import PanePreview
from tmuxorch.usecases.demo import start_demo
from tmuxorch.usecases.events import event_text
from tmuxorch.usecases.labels import describe, pane_label
from tmuxorch.usecases.receipts import tally

PREVIEW_INTERVAL = 0.5
T = TypeVar("T")


class TmuxorchApp(App[None]):
    """Holds the Backend and the state; widgets get it set down, their messages come up."""

    CSS_PATH = "app.tcss"
    TITLE = "tmuxorch"
    BINDINGS = BINDINGS  # type: ignore[assignment]

    # State, not looks: `var`s, so a change repaints nothing by itself (a `reactive` would
    # repaint the whole screen for each model: a full-screen update per state event).
    fleet: var[Snapshot | None] = var(None, always_update=True)
    selected: var[frozenset[str]] = var(frozenset())
    _main: MainScreen

    def __init__(
        self,
        backend: Backend,
        *,
        keymap: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
        freeze_heap: bool = False,
        notify: NotifyConfig | None = None,
    ) -> None:
        super().__init__()
        self.backend, self.clock, self.live, self.freeze_heap = backend, clock, live, freeze_heap
        self._keymap = dict(keymap or {})
        self._duties = Duties(self, backend, notify)
        self._plans = Plans(backend, self.push_screen_wait, self._act, self._say)
        self.own: str | None = None
        """The pane this TUI runs in, if it is one of the fleet's: never a target."""

    # -- lifecycle -------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        await self._duties.close()
        await self.backend.close()

    def on_ready(self) -> None:
        """Once the first frame is out, the start's ~90,000 objects are frozen out of the
        garbage collector's sight (each full collection walked them, 60 ms at a time: a sixth
        of the TUI's time beside 50 working agents). Only for the real process (`freeze_heap`):
        a test process runs many apps, and frozen objects are never freed."""
        if self.freeze_heap:
            gc.freeze()

    async def on_mount(self) -> None:
        """Start following the fleet, show the main screen meanwhile, and wire it up."""
        self._main = MainScreen(clock=self.clock)
        link = LinkStatus(self.backend, self._main)
        notes = self._duties.notes
        self._feed = FleetFeed(
            self, self.backend, link, notes.fleet(self._show_fleet), notes.events(self._log_event)
        )
        if self.live:
            self._feed.follow()  # which lists the fleet once the stream is on
            self._duties.start()
        await self.push_screen(self._main)
        self._feed.screen_up()
        self._cursor_pane = CursorPane(
            self.backend, self._pane_under_cursor, lambda: self.own,
            self._main.query_one(PanePreview), self._main.query_one(DetailStrip), self._say,
            self._table.looked_at,
        )  # fmt: skip
        if self._keymap:
            self.set_keymap(self._keymap)
        self._header.label = self.backend.label
        if self.live:
            self.set_interval(PREVIEW_INTERVAL, self.refresh_preview)
            if self.backend.connection_state is not None:  # a link to a remote fleet
                self.set_interval(1.0, link.tick)
        else:
            self._feed.refresh()

    @property
    def _table(self) -> FleetTable:
        return self._main.query_one(FleetTable)

    @property
    def _header(self) -> FleetHeader:
        return self._main.query_one(FleetHeader)

    @property
    def _event_log(self) -> EventLog:
        return self._main.query_one(EventLog)

    # -- state down ----------------------------------------------------------------------

    def watch_fleet(self, fleet: Snapshot | None) -> None:
        if fleet is None:
            return
        self._main.fleet = fleet
        if isinstance(self.screen, BroadcastScreen):
            self.screen.fleet = fleet
        known = set(fleet.panes_by_id)
        if not self.selected <= known:
            self.selected = self.selected & known
        self.own = self._table.own = own_pane(fleet, os.environ)  # a `var`: unchanged, no redraw

    def watch_selected(self, selected: frozenset[str]) -> None:
        self._table.selected = selected
        self._header.selected = len(selected)

    def _show_fleet(self, fleet: Snapshot) -> None:
        self.fleet = fleet

    def _log_event(self, event: Event) -> None:
        state = event if isinstance(event, AgentStateChanged) else None
        if state is not None and state.previous == "busy":
            self._table.saw_work(state.pane_id)
        self._event_log.add(
            event_text(event), needs_you=state is not None and state.state == "waiting"
        )

    # -- the backend, in workers ---------------------------------------------------------

    async def refresh_preview(self) -> None:
        """Capture the pane under the cursor into the preview (tui/cursor_pane.py)."""
        with contextlib.suppress(NoMatches):  # the app is exiting: its timer outlives the widgets
            await self._cursor_pane.refresh()

    # -- messages up ---------------------------------------------------------------------

    def on_row_highlighted(self, message: RowHighlighted) -> None:
        with contextlib.suppress(NoMatches):  # a row moved as the app exits: nothing to show
            self._main.query_one(DetailStrip).row_id = message.row_id
        if self.live:
            self.preview_row()

    @work(group="preview", exclusive=True)
    async def preview_row(self) -> None:
        """Refresh the preview for the new row (a worker made per move: a coroutine made
        up front would never be awaited when the next move cancels it first)."""
        await self.refresh_preview()

    def on_filter_changed(self, message: FilterChanged) -> None:
        self._table.needle = message.text

    def on_attach_requested(self, message: AttachRequested) -> None:
        self.action_attach()

    @work(group="send")
    async def on_send_requested(self, message: SendRequested) -> None:
        await self._deliver(message.targets, message.text, "send")

    @work(group="send")
    async def on_broadcast_requested(self, message: BroadcastRequested) -> None:
        await self._deliver(message.targets, message.text, "broadcast")

    async def _deliver(self, targets: list[str], text: str, op: str) -> None:
        dialog = self.screen

        def failed(exc: TmuxorchError) -> list[Receipt]:
            return [Receipt(target=t, status="failed", detail=str(exc)) for t in targets]

        def done(receipts: list[Receipt]) -> str:
            self._table.looked_at(*targets)  # who is sent to has been seen
            if dialog is self.screen and isinstance(dialog, SendScreen | BroadcastScreen):
                dialog.receipts = receipts  # unless it was closed while the send ran
            return tally(op, receipts)

        await self._act(self.backend.send(targets, text), done, failed=failed)

    async def _act(
        self,
        call: Awaitable[T],
        done: Callable[[T], str] | None = None,
        *,
        failed: Callable[[TmuxorchError], T] | None = None,
    ) -> None:
        """Run one action on the backend, the one way every action does: an error is notified
        (and ends the action, unless `failed` makes a result of it), and `done` takes the
        result and gives the line for the event log. The view needs no refresh: what the action
        changed in tmux comes back as events."""
        try:
            result = await call
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            if failed is None:
                return
            result = failed(exc)
        if done is not None:
            self._event_log.add(done(result))

    # -- actions (all remappable, all in the command palette) ------------------------------

    def _row(self) -> Row | None:
        return row_of(self.fleet, self._table.current_id)

    def _pane_under_cursor(self) -> Pane | None:
        return first_pane(self._row())

    def action_toggle_select(self) -> None:
        chosen = toggled(self.selected, self._row(), self.own)
        if chosen is None:
            self.notify("No agent here to select", severity="warning")
        else:
            self.selected = chosen

    def action_select_all(self) -> None:
        self.selected = shown_agents(self.fleet, self._table.keys, self.own)

    def action_clear_selection(self) -> None:
        if self.selected:
            self.selected = frozenset()
        elif self._table.needle:
            self._main.close_filter(keep=False)

    def action_send(self) -> None:
        panes = targets(self.fleet, self.selected, self._row(), self.own)
        if not panes:
            self.notify("Nothing to send to: move to an agent or select some", severity="warning")
            return
        assert self.fleet is not None  # there are targets
        labels = {p.id: pane_label(self.fleet, p, agent=True) for p in panes}
        self.push_screen(SendScreen(labels))

    def action_broadcast(self) -> None:
        screen = BroadcastScreen()
        screen.fleet = self.fleet
        self.push_screen(screen)

    @work(group="act")
    async def action_interrupt(self) -> None:
        panes = targets(self.fleet, self.selected, self._row(), self.own)
        if not panes:
            return

        def done(receipts: list[Receipt]) -> str:
            return f"interrupt: {', '.join(f'{r.target} {r.status}' for r in receipts)}"

        await self._act(self.backend.interrupt([p.id for p in panes]), done)

    def action_attach(self) -> None:
        pane = self._pane_under_cursor()
        if pane is not None and self.fleet is not None:
            attach(self, self.backend, self.fleet, pane, self.own)

    @work(group="act")
    async def action_spawn(self) -> None:
        session = session_of(self.fleet, self._row()) or "agents"
        request: SpawnRequest | None = await self.push_screen_wait(SpawnScreen(session))
        if request is None:
            return
        spawning = self.backend.spawn(
            request.session, request.command, name=request.name, kind=request.kind
        )
        await self._act(spawning, lambda spawned: self._spawned(spawned.pane_id, request.session))

    def _spawned(self, pane_id: str, session: str) -> str:
        self._table.move_to_soon(pane_id)  # its row comes with the events
        return f"spawned {pane_id} in {session}"

    @work(group="act")
    async def action_rename(self) -> None:
        row = renamable(self.fleet, self._row())
        if row is None:
            return
        name = await self.push_screen_wait(RenameScreen(row))
        if not name or name == row.name:
            return
        await self._act(self.backend.rename(row.id, name))

    @work(group="act")
    async def action_kill(self) -> None:
        row = self._row()
        if row is None or self.fleet is None:
            return
        if self.own in {p.id for p in panes_of(row)}:
            self.notify("That would kill this TUI's own pane", severity="warning")
            return
        what = describe(self.fleet, row)  # as the CLI asks
        if not await self.push_screen_wait(ConfirmScreen(f"Kill {what}?")):
            return
        await self._act(self.backend.kill(row.id), lambda _: f"killed {what}")

    def action_filter(self) -> None:
        self._main.open_filter()

    def action_next_needing(self) -> None:
        if not self._table.jump_to_needing():
            self.notify("No agent needs you (none is waiting or in error)")

    @work(group="answer", exclusive=True)
    async def action_answer(self, number: int) -> None:
        with contextlib.suppress(NoMatches):  # as for the preview: the app may be exiting
            await self._cursor_pane.answer(number)

    def _say(self, line: str, done: bool) -> None:
        self.notify(line, severity="information" if done else "warning")

    @work(group="plans", exclusive=True)
    async def action_plans(self) -> None:  # the schedules and queue panel (tui/plans.py)
        panes = targets(self.fleet, self.selected, self._row(), self.own)
        await self._plans.open([p.id for p in panes])

    def action_zoom_preview(self) -> None:
        self._cursor_pane.zoomed = self._main.toggle_zoom()
        if self.live:
            self.preview_row()  # with the history that goes with the new size, now

    def action_toggle_order(self) -> None:
        self._main.toggle_order()

    @work(group="act", exclusive=True)
    async def action_demo(self) -> None:
        self.notify("Starting a demo fleet of simulated agents…")
        await self._act(
            start_demo(self.backend, 6, "tmuxorch-demo"),
            lambda session: f"demo fleet started in session {session}",
        )

    def action_cursor_down(self) -> None:
        self._table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self._table.action_cursor_up()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(list(self.key_descriptions())))

    def key_descriptions(self) -> Iterable[tuple[str, str, str]]:
        """(keys, id, description) of every binding, remaps applied."""
        return key_rows(self._keymap, self.get_key_display)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self.run_action)
