"""The tmuxorch TUI: the fleet live, keyboard first.

The app is the only part that talks to the Backend. Events from the backend's stream mark the
view stale; one refresh at a time takes a snapshot and sets it down on the widgets, so a burst
of events costs one snapshot, and a change shows as soon as that snapshot is back. tmux work runs
in workers: the UI never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.models import AgentInfo, Pane, Receipt, Session, Snapshot, Window
from tmuxorch.core.targets import input_panes, resolve_target
from tmuxorch.tui.keymap import BINDINGS, DESCRIPTIONS
from tmuxorch.tui.messages import (
    AttachRequested,
    BroadcastRequested,
    FilterChanged,
    RowHighlighted,
    SendRequested,
)
from tmuxorch.tui.screens.broadcast import BroadcastScreen
from tmuxorch.tui.screens.help import HelpScreen
from tmuxorch.tui.screens.main import EMPTY_NO_AGENTS, EMPTY_NO_TMUX, MainScreen
from tmuxorch.tui.screens.prompts import ConfirmScreen, RenameScreen, SpawnRequest, SpawnScreen
from tmuxorch.tui.screens.send import SendScreen
from tmuxorch.tui.widgets.detail_strip import DetailStrip
from tmuxorch.tui.widgets.event_log import EventLog
from tmuxorch.tui.widgets.fleet_header import FleetHeader
from tmuxorch.tui.widgets.fleet_table import FleetTable
from tmuxorch.tui.widgets.pane_preview import PanePreview

PREVIEW_LINES = 200
TMUX_DOWN_BANNER = "tmux server is not running — waiting for it to come back"
PREVIEW_INTERVAL = 0.5


class TmuxorchApp(App[None]):
    """Holds the Backend and the state; widgets get it set down, their messages come up."""

    CSS_PATH = "app.tcss"
    TITLE = "tmuxorch"
    BINDINGS = BINDINGS  # type: ignore[assignment]

    fleet: reactive[Snapshot | None] = reactive(None, always_update=True)
    selected: reactive[frozenset[str]] = reactive(frozenset())

    def __init__(
        self,
        backend: Backend,
        *,
        keymap: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.clock = clock
        self.live = live
        self._keymap = dict(keymap or {})
        self._stale = False
        self._refreshing = False
        self._tmux_down = False
        self._dialog: SendScreen | BroadcastScreen | None = None
        self._connection_banner = False
        self._stream_lost = False

    # -- lifecycle -------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        await self.backend.close()

    async def on_mount(self) -> None:
        """Show the main screen, wire it up, and start following the fleet."""
        self._main_screen = MainScreen(clock=self.clock)
        await self.push_screen(self._main_screen)
        if self._keymap:
            self.set_keymap(self._keymap)
        self._header.label = self.backend.label
        self.request_refresh()
        if self.live:
            self.follow_events()
            self.set_interval(PREVIEW_INTERVAL, self.refresh_preview)
            if self.backend.connection_state is not None:  # a link to a remote fleet
                self.set_interval(1.0, self.show_connection)

    @property
    def _main(self) -> MainScreen:
        return self._main_screen

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
        first_load = self._table.fleet is None
        self._table.fleet = fleet
        if first_load:
            self._table.move_to_first_agent()
        self._main.query_one(DetailStrip).fleet = fleet
        self._header.fleet = fleet
        if isinstance(self.screen, BroadcastScreen):
            self.screen.fleet = fleet
        if not fleet.tmux.running:
            self._main.show_empty(EMPTY_NO_TMUX)
        elif not any(p.agent is not None for p in fleet.panes()):
            self._main.show_empty(EMPTY_NO_AGENTS)
        else:
            self._main.show_empty(None)
        known = set(fleet.panes_by_id)
        if not self.selected <= known:
            self.selected = self.selected & known

    def watch_selected(self, selected: frozenset[str]) -> None:
        self._table.selected = selected

    # -- the backend, in workers ---------------------------------------------------------

    def request_refresh(self) -> None:
        """Mark the view stale; a refresh runs now, or right after the one in flight."""
        self._stale = True
        if not self._refreshing:
            self._refreshing = True
            self.refresh_fleet()

    @work(group="refresh")
    async def refresh_fleet(self) -> None:
        try:
            while self._stale:
                self._stale = False
                try:
                    self.fleet = await self.backend.snapshot()
                except TmuxorchError as exc:
                    self._header.connection = f"error: {exc}"
                    return
                if self._header.connection.startswith("error"):
                    self._header.connection = "live"  # a remote backend's timer adds the ms
        finally:
            self._refreshing = False

    @work(group="events", exclusive=True)
    async def follow_events(self) -> None:
        while True:
            try:
                subscription = await self.backend.subscribe()
                self._header.connection = "live"
                if self._stream_lost:  # back after a loss: drop its banner, catch up
                    self._stream_lost = False
                    self._restore_banner()
                    self.request_refresh()
                async for event in subscription:
                    self.on_backend_event(event)
            except TmuxorchError as exc:
                if self.backend.connection_state == "refused":
                    self._header.connection = "refused"
                    self._main.show_banner(str(exc))  # final (a bad token): no retrying
                    return
                self._header.connection = "reconnecting"
                self._stream_lost = True
                self._main.show_banner(f"lost the event stream: {exc} — retrying")
                await asyncio.sleep(1.0)

    def show_connection(self) -> None:
        """A remote backend's connection in the header (`live 3 ms`), and a banner while it
        is reconnecting."""
        state = self.backend.connection_state
        if state not in ("live", "reconnecting"):
            return  # connecting, refused, closed: follow_events and refresh_fleet say so
        with contextlib.suppress(NoMatches):  # the app is exiting: the timer outlives widgets
            self._show_connection(state)

    def _show_connection(self, state: str) -> None:
        if state == "live":
            latency = self.backend.latency
            ms = "" if latency is None else f" {latency * 1000:.0f} ms"
            self._header.connection = f"live{ms}"
            if self._connection_banner:
                self._connection_banner = False
                self._restore_banner()
        else:
            self._header.connection = "reconnecting…"
            self._connection_banner = True
            self._main.show_banner(f"lost the connection to {self.backend.label} — reconnecting…")

    def _restore_banner(self) -> None:
        """The banner that the state of tmux calls for, now that no connection trouble does."""
        self._main.show_banner(TMUX_DOWN_BANNER if self._tmux_down else None)

    def on_backend_event(self, event: Event) -> None:
        """Log the event, show/hide the tmux-down banner, and refresh the view."""
        if event.event in ("tmux_down", "tmux_up"):
            self._tmux_down = event.event == "tmux_down"
            self._restore_banner()
        self._event_log.add(_event_text(event))
        if isinstance(event, AgentStateChanged) and self.fleet is not None:
            pane = self.fleet.panes_by_id.get(event.pane_id)
            if pane is not None and pane.agent is not None:  # patch in place: no round trip
                agent = AgentInfo(kind=event.kind, state=event.state, since=event.since)
                self.fleet = self.fleet.with_pane(pane.model_copy(update={"agent": agent}))
                return
        self.request_refresh()

    async def refresh_preview(self) -> None:
        """Capture the pane under the cursor (with colours) into the preview."""
        try:
            pane = self._pane_under_cursor()
            preview = self._main.query_one(PanePreview)
        except NoMatches:  # the app is exiting: its timer outlives the widgets
            return
        if pane is None:
            preview.content, preview.title = "", ""
            return
        try:
            text = await self.backend.capture(pane.id, PREVIEW_LINES, colours=True)
        except TmuxorchError:
            return
        if self._pane_under_cursor() != pane:
            return  # the cursor moved on while this capture ran: a newer one shows that pane
        preview.title = f"{pane.id} {pane.command}"
        preview.content = text

    # -- messages up ---------------------------------------------------------------------

    def on_row_highlighted(self, message: RowHighlighted) -> None:
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
        try:
            receipts = await self.backend.send(targets, text)
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            receipts = [Receipt(target=t, status="failed", detail=str(exc)) for t in targets]
        if dialog is self.screen and isinstance(dialog, SendScreen | BroadcastScreen):
            dialog.receipts = receipts  # unless it was closed while the send ran
        delivered = sum(r.status in ("delivered", "queued") for r in receipts)
        self._event_log.add(f"{op}: {delivered}/{len(receipts)} delivered")

    # -- actions (all remappable, all in the command palette) ------------------------------

    def _row(self) -> Session | Window | Pane | None:
        row_id = self._table.current_id
        if self.fleet is None or row_id is None:
            return None
        try:
            return resolve_target(self.fleet, row_id)
        except TmuxorchError:
            return None

    def _pane_under_cursor(self) -> Pane | None:
        row = self._row()
        if row is None:
            return None
        panes = input_panes(row)
        return panes[0] if panes else None

    def _targets(self) -> list[Pane]:
        """The selection, or the agent(s) under the cursor when nothing is selected."""
        if self.fleet is None:
            return []
        if self.selected:  # in fleet order: a set's order changes from run to run
            return [p for p in self.fleet.panes() if p.id in self.selected]
        row = self._row()
        return input_panes(row) if row is not None else []

    def _label(self, pane: Pane) -> str:
        assert self.fleet is not None
        session = self.fleet.sessions_by_id[pane.session_id]
        window = self.fleet.windows_by_id[pane.window_id]
        agent = f"  {pane.agent.kind} {pane.agent.state}" if pane.agent else ""
        return f"{session.name}:{window.name}.{pane.index}{agent}"

    def action_toggle_select(self) -> None:
        row = self._row()
        if not isinstance(row, Pane) or row.agent is None:
            self.notify("Only agent panes can be selected", severity="warning")
            return
        self.selected = self.selected ^ {row.id}

    def action_select_all(self) -> None:
        if self.fleet is None:
            return
        shown = set(self._table._keys)
        self.selected = frozenset(
            p.id for p in self.fleet.panes() if p.agent is not None and p.id in shown
        )

    def action_clear_selection(self) -> None:
        if self.selected:
            self.selected = frozenset()
        elif self._table.needle:
            self._main.close_filter(keep=False)

    def action_send(self) -> None:
        targets = self._targets()
        if not targets:
            self.notify("Nothing to send to: move to an agent or select some", severity="warning")
            return
        self.push_screen(SendScreen({p.id: self._label(p) for p in targets}))

    def action_broadcast(self) -> None:
        screen = BroadcastScreen()
        screen.fleet = self.fleet
        self.push_screen(screen)

    @work(group="act")
    async def action_interrupt(self) -> None:
        targets = self._targets()
        if not targets:
            return
        try:
            receipts = await self.backend.interrupt([p.id for p in targets])
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            return
        self._event_log.add(f"interrupt: {', '.join(f'{r.target} {r.status}' for r in receipts)}")

    def action_attach(self) -> None:
        pane = self._pane_under_cursor()
        if pane is None:
            return
        switch = bool(os.environ.get("TMUX"))  # inside tmux: switch this client over
        argv = self.backend.attach_argv(pane.id, switch=switch)
        if argv is None:
            self.notify("Attaching works on the tmux host itself (run tmuxorch there)")
            return
        if switch:
            subprocess.run(argv, check=False)
            return
        with self.suspend():
            subprocess.run(argv, check=False)
        self.request_refresh()

    @work(group="act")
    async def action_spawn(self) -> None:
        row = self._row()
        session = ""
        if self.fleet is not None and row is not None:
            sid = row.id if isinstance(row, Session) else row.session_id
            session = self.fleet.sessions_by_id[sid].name
        request: SpawnRequest | None = await self.push_screen_wait(SpawnScreen(session or "agents"))
        if request is None:
            return
        try:
            spawned = await self.backend.spawn(
                request.session, request.command, name=request.name, kind=request.kind
            )
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            return
        self._event_log.add(f"spawned {spawned.pane_id} in {request.session}")
        self.request_refresh()

    @work(group="act")
    async def action_rename(self) -> None:
        row = self._row()
        if isinstance(row, Pane) and self.fleet is not None:
            row = self.fleet.windows_by_id.get(row.window_id)
        if row is None or isinstance(row, Pane):
            return
        what = f"{'session' if isinstance(row, Session) else 'window'} {row.name}"
        name = await self.push_screen_wait(RenameScreen(what, row.name))
        if not name or name == row.name:
            return
        try:
            await self.backend.rename(row.id, name)
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            return
        self.request_refresh()

    @work(group="act")
    async def action_kill(self) -> None:
        row = self._row()
        if row is None:
            return
        kind = type(row).__name__.lower()
        name = row.name if isinstance(row, Session | Window) else row.command
        if not await self.push_screen_wait(ConfirmScreen(f"Kill {kind} {row.id} ({name})?")):
            return
        try:
            await self.backend.kill(row.id)
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            return
        self._event_log.add(f"killed {kind} {row.id}")
        self.request_refresh()

    def action_filter(self) -> None:
        self._main.open_filter()

    @work(group="act", exclusive=True)
    async def action_demo(self) -> None:
        from tmuxorch.cli.demo import start_demo

        self.notify("Starting a demo fleet of simulated agents…")
        try:
            session = await start_demo(self.backend, 6, "tmuxorch-demo")
        except TmuxorchError as exc:
            self.notify(str(exc), severity="error")
            return
        self._event_log.add(f"demo fleet started in session {session}")
        self.request_refresh()

    def action_cursor_down(self) -> None:
        self._table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self._table.action_cursor_up()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(list(self.key_descriptions())))

    def key_descriptions(self) -> Iterable[tuple[str, str, str]]:
        """(keys, id, description) of every binding, remaps applied ([keymap] takes the id)."""
        for binding in BINDINGS:
            assert binding.id is not None
            keys = self.get_key_display(binding.with_key(self._keymap.get(binding.id, binding.key)))
            yield keys, binding.id, DESCRIPTIONS[binding.id]

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in BINDINGS:
            assert binding.id is not None
            action = binding.action
            yield SystemCommand(
                binding.description or binding.id,
                DESCRIPTIONS[binding.id],
                lambda action=action: self.run_action(action),
            )


def _event_text(event: Event) -> Text:
    if isinstance(event, AgentStateChanged):
        return Text.assemble(
            (f"{event.pane_id} ", "bold"), f"{event.kind} ", (f"{event.previous} → ", "dim"),
            (event.state, "bold"),
        )  # fmt: skip
    details = " ".join(f"{k}={v}" for k, v in event.brief().items())
    return Text.assemble((event.event, "bold"), f" {details}")
