"""The TUI driven by keys (Textual's Pilot) against a real engine on a private tmux server, with
simulated agents: what the user presses reaches tmux, and what tmux does shows in the app."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Protocol

from textual.pilot import Pilot
from textual.widgets import Static

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import Receipt, Snapshot
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.fleet_order import merged
from tmuxorch.tui.screens.prompts import ConfirmScreen
from tmuxorch.tui.screens.send import SendScreen

from ..conftest import TmuxFixture, until, wait_for
from ..simfleet import start_agent, start_agents

SIZE = (140, 40)


async def move_to(pilot: Pilot[None], app: TmuxorchApp, row_id: str) -> None:
    """Move the table's cursor onto the row of `row_id` with j/k, as a user would (a window
    whose only pane is an agent is that pane's row)."""
    table = app._table

    def row() -> str:
        window = app.fleet.windows_by_id.get(row_id) if app.fleet is not None else None
        return window.panes[0].id if window is not None and merged(window) else row_id

    await until(pilot, lambda: row() in table.keys)
    row_id = row()
    deadline = time.monotonic() + 5
    while table.current_id != row_id:
        assert time.monotonic() < deadline, f"could not reach {row_id}: rows {table.keys}"
        target = table.keys.index(row_id)
        await pilot.press("j" if target > table.cursor_row else "k")


@contextlib.asynccontextmanager
async def running(app: TmuxorchApp) -> AsyncIterator[Pilot[None]]:
    """`app.run_test`, ended the way a user quits: the app stops its workers and timers first.

    (Leaving `run_test` by itself takes the screens down while the event worker and the preview
    timer still run, and they then fail to find their widgets.)"""
    async with app.run_test(size=SIZE) as pilot:
        yield pilot
        app.exit()
        await until(pilot, lambda: not app.is_running)


def is_agent(app: TmuxorchApp, pane_id: str) -> bool:
    pane = app.fleet.panes_by_id.get(pane_id) if app.fleet is not None else None
    return pane is not None and pane.agent is not None


def kill_running(app: TmuxorchApp) -> bool:
    """Is the kill action (the worker that asks, then kills) still running?"""
    return any(w.name == "action_kill" and not w.is_finished for w in app.workers)


def window_ids(tmux: TmuxFixture) -> list[str]:
    return tmux.tmux("list-windows", "-a", "-F", "#{window_id}").split()


async def test_send_to_two_selected_agents(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agents = await start_agents(running_tmux, tmp_path, 2, "--busy", "0")
    message = "check the build, ünïcode too"
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: all(is_agent(app, a.pane) for a in agents))
        for agent in agents:
            await move_to(pilot, app, agent.pane)
            await pilot.press("space")
        assert app.selected == {a.pane for a in agents}
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SendScreen))
        dialog = app.screen
        assert isinstance(dialog, SendScreen)
        assert list(dialog.targets) == [a.pane for a in agents]
        await pilot.press(*message, "ctrl+s")
        await until(pilot, lambda: dialog.receipts is not None)
        assert dialog.receipts is not None
        assert {r.target: r.status for r in dialog.receipts} == {
            a.pane: "delivered" for a in agents
        }
        await wait_for(lambda: all(a.entries() == [message] for a in agents))
        shown = str(dialog.query_one("#receipts", Static).content)
        assert [line.split()[-1] for line in shown.splitlines()] == ["delivered", "delivered"]


class CountsSnapshots(Protocol):
    """A backend that counts the snapshots it was asked for."""

    snapshots: int


class RecordingBackend(LocalBackend):
    """The real backend, remembering what it was asked to kill, the receipts of each send (the
    app reads them right after), and how many snapshots it was asked for."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.killed: list[str] = []
        self.sent: list[list[Receipt]] = []
        self.snapshots = 0

    @property
    def schedule_server(self) -> str | None:
        return None  # no runner in this app: its passes would list the fleet too

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        self.snapshots += 1
        return await super().snapshot(activity=activity, states=states)

    async def kill(self, target: str) -> None:
        self.killed.append(target)
        await super().kill(target)

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        receipts = await super().send(targets, text, enter=enter, force=force)
        self.sent.append(receipts)
        return receipts


async def test_closing_the_send_dialog_while_it_sends(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Esc right after ctrl+s: the send goes on, and the app keeps running after its receipts
    come back (it used to fill the closed dialog and die)."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    backend = RecordingBackend(engine)
    app = TmuxorchApp(backend)
    async with running(app) as pilot:
        await until(pilot, lambda: is_agent(app, agent.pane))
        await move_to(pilot, app, agent.pane)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SendScreen))
        await pilot.press(*"closed early", "ctrl+s", "escape")
        await until(pilot, lambda: not isinstance(app.screen, SendScreen))
        await until(pilot, lambda: backend.sent)
        assert [r.status for r in backend.sent[0]] == ["delivered"]
        log = app._event_log  # the app has handled the receipts (it logs them last)
        await until(
            pilot, lambda: any(line.plain.endswith(" send: 1/1 delivered") for line in log.lines)
        )
        assert app.is_running
        assert agent.entries() == ["closed early"]


async def test_i_interrupts_the_busy_agent_under_the_cursor(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "30")
    agent.type("a long job")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: is_agent(app, agent.pane))
        await move_to(pilot, app, agent.pane)
        await pilot.press("i")
        await wait_for(lambda: agent.shows("Interrupted by user"))


async def test_filter_keeps_the_window_its_session_and_panes(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    def new_window(session: str, name: str) -> tuple[str, str]:
        out = running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{window_id} #{pane_id}", "-t", session, "-n", name,
            "sleep", "100000",
        )  # fmt: skip
        window, pane = out.split()
        return window, pane

    running_tmux.tmux("new-session", "-d", "-s", "other", "sleep", "100000")
    new_window("main", "alpha")
    window, pane = new_window("main", "zebra")
    new_window("other", "beta")
    main_id = running_tmux.tmux("display-message", "-p", "-t", "main", "#{session_id}").strip()
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: app.fleet is not None and pane in app._table.keys)
        everything = list(app._table.keys)
        await pilot.press("slash", *"zebra")
        await until(pilot, lambda: app._table.keys == [main_id, window, pane])
        await pilot.press("escape")
        await until(pilot, lambda: app._table.keys == everything)
        assert not app._main.query_one("#filter").display


async def test_x_asks_before_killing(engine: Engine, running_tmux: TmuxFixture) -> None:
    window = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "-n", "victim",
        "sleep", "100000",
    ).strip()  # fmt: skip
    backend = RecordingBackend(engine)
    app = TmuxorchApp(backend)
    async with running(app) as pilot:
        await move_to(pilot, app, window)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert kill_running(app)  # the action waits for the answer
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: not kill_running(app))  # it has decided (not to kill)
        assert backend.killed == []
        assert window in window_ids(running_tmux)

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(lambda: window not in window_ids(running_tmux))
        assert backend.killed == [window]
        await until(pilot, lambda: window not in app._table.keys)


async def test_d_starts_a_demo_fleet(engine: Engine, running_tmux: TmuxFixture) -> None:
    app = TmuxorchApp(LocalBackend(engine))
    try:
        async with running(app) as pilot:
            await until(pilot, lambda: app.fleet is not None)
            empty = app._main.query_one("#empty")
            assert empty.display  # "No agents yet"
            await pilot.press("d")

            def demo_agents() -> int:
                if app.fleet is None:
                    return 0
                demo = [s for s in app.fleet.sessions if s.name == "tmuxorch-demo"]
                panes = [p for s in demo for w in s.windows for p in w.panes]
                return sum(p.agent is not None and p.agent.kind == "sim" for p in panes)

            def demo_state() -> str:
                lines = [line.plain for line in app._event_log.lines]
                tmux = running_tmux.tmux("list-panes", "-a", "-F", "#S #W #D #{pane_dead}")
                return f"{demo_agents()} agents shown; log {lines}; tmux:\n{tmux}"

            await until(pilot, lambda: demo_agents() == 6, timeout=15, detail=demo_state)
            await until(pilot, lambda: not empty.display)
            log = app._event_log  # the demo is done: two agents were given work
            await until(pilot, lambda: any("demo fleet started" in s.plain for s in log.lines), 15)
    finally:
        running_tmux.tmux("kill-session", "-t", "tmuxorch-demo", check=False)


async def follows_tmux_from_events_alone(
    app: TmuxorchApp, backend: CountsSnapshots, running_tmux: TmuxFixture
) -> None:
    """The app (over `backend`, which counts its snapshots) lists the fleet once; a new window,
    a rename and a kill made in tmux behind its back reach the table through the events alone.
    Shared by the local and the remote TUI tests."""
    async with running(app) as pilot:
        await until(pilot, lambda: app.fleet is not None and not app._feed.listing)
        assert backend.snapshots == 1
        window = running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "-n", "fresh",
            "sleep", "100000",
        ).strip()  # fmt: skip
        await until(pilot, lambda: window in app._table.keys)
        assert "fresh" in str(app._table.get_cell(window, "name"))
        running_tmux.tmux("rename-window", "-t", window, "renamed")
        await until(pilot, lambda: "renamed" in str(app._table.get_cell(window, "name")))
        running_tmux.tmux("kill-window", "-t", window)
        await until(pilot, lambda: window not in app._table.keys)
        assert backend.snapshots == 1


async def test_changes_in_tmux_show_without_the_app_listing_the_fleet_again(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    backend = RecordingBackend(engine)
    await follows_tmux_from_events_alone(TmuxorchApp(backend), backend, running_tmux)


async def test_after_a_kill_the_cursor_stays_near(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """Issue 13: the cursor lands on the row that took the killed one's place, not the top."""
    made = [
        running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "-n", name,
            "sleep", "100000",
        ).strip()
        for name in ("before", "victim", "after")
    ]  # fmt: skip
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await move_to(pilot, app, made[1])
        row = app._table.cursor_row
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: made[1] not in app._table.keys)
        assert app._table.current_id == made[2]
        assert app._table.cursor_row == row
