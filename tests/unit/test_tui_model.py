"""The TUI keeps its model of the fleet from the events (core.live.apply) instead of listing the
fleet again on each: one snapshot once the event stream is on, none for a burst of events it can
apply, one for an event it cannot, none for a resync (it carries its snapshot); rows nobody
touched keep their objects, so the table redraws only what changed."""

from __future__ import annotations

import gc
import time

from textual.geometry import Region
from textual.pilot import Pilot

from tmuxorch.core.events import (
    AgentStateChanged,
    Event,
    PaneClosed,
    Resynced,
    SessionAdded,
    SessionRenamed,
    TmuxDown,
    TmuxUp,
    WindowAdded,
    WindowRenamed,
)
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.screens.main import EARLY_TICK_S

from ..conftest import until
from ..tui_fakes import FIXED_TIME, FakeBackend, fleet_snapshot, no_agents_snapshot

LATER = FIXED_TIME + 5


def make_app(backend: FakeBackend) -> TmuxorchApp:
    return TmuxorchApp(backend, clock=lambda: FIXED_TIME)


async def loaded(pilot: Pilot[None], backend: FakeBackend) -> None:
    """The first snapshot is shown and the stream is followed."""
    app = pilot.app
    assert isinstance(app, TmuxorchApp)
    await until(pilot, lambda: app.fleet is not None and backend.subscriptions)
    await until(pilot, lambda: not app._feed.listing)


def push(backend: FakeBackend, *events: Event) -> None:
    for event in events:
        backend.subscriptions[-1].queue.put_nowait(event)


def name_cell(app: TmuxorchApp, row: str) -> str:
    return str(app._table.get_cell(row, "name"))


def state_cell(app: TmuxorchApp, row: str) -> str:
    return str(app._table.get_cell(row, "state"))


async def test_a_burst_of_events_is_applied_without_a_snapshot() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        assert len(backend.ops("snapshot")) == 1  # the one taken once the stream was on
        before = app.fleet
        assert before is not None
        push(
            backend,
            AgentStateChanged(
                pane_id="%2", window_id="@2", session_id="$0", kind="sim", state="busy",
                previous="idle", since=LATER, at=LATER,
            ),
            WindowRenamed(window_id="@5", session_id="$1", old_name="notes", name="todo", at=LATER),
            SessionRenamed(session_id="$1", old_name="research", name="study", at=LATER),
            PaneClosed(pane_id="%3", window_id="@2", session_id="$0", at=LATER),
        )  # fmt: skip
        await until(pilot, lambda: "%3" not in app._table.keys)
        assert len(backend.ops("snapshot")) == 1
        fleet = app.fleet
        assert fleet is not None
        assert fleet.sessions_by_id["$1"].name == "study"
        assert fleet.windows_by_id["@5"].name == "todo"
        assert "busy" in state_cell(app, "%2")
        assert "todo" in name_cell(app, "@5")
        assert "study" in name_cell(app, "$1")
        for untouched in ("%0", "%1", "%4", "%5", "%6"):
            assert fleet.panes_by_id[untouched] is before.panes_by_id[untouched]
        assert len(app._event_log.lines) == 4  # each event is still logged


async def test_a_resync_replaces_the_model_with_its_snapshot() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        replacement = no_agents_snapshot()
        push(backend, Resynced(reason="fell behind", snapshot=replacement, at=LATER))
        await until(pilot, lambda: app.fleet == replacement)
        assert len(backend.ops("snapshot")) == 1
        await until(pilot, lambda: app._table.keys == ["$0", "@0", "%0", "@1", "%1"])


async def test_an_event_that_cannot_be_applied_takes_one_snapshot() -> None:
    """A window_added without its window (from an older peer): the model cannot follow it."""
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        push(backend, WindowAdded(window_id="@9", session_id="$0", index=9, name="x", at=LATER))
        await until(pilot, lambda: len(backend.ops("snapshot")) == 2)
        await until(pilot, lambda: not app._feed.listing)
        await pilot.pause()
        assert len(backend.ops("snapshot")) == 2


async def test_tmux_going_down_and_up_follows_the_events() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        push(backend, TmuxDown(reason="server exited", at=LATER))
        await until(pilot, lambda: app.fleet is not None and not app.fleet.tmux.running)
        assert app._table.keys == []
        assert len(backend.ops("snapshot")) == 1
        fleet = fleet_snapshot()  # back: the engine says what the new server holds
        push(
            backend,
            TmuxUp(version="3.4", at=LATER + 1),
            *(SessionAdded(session_id=s.id, name=s.name, session=s, at=LATER + 1)
              for s in fleet.sessions),
        )  # fmt: skip
        await until(pilot, lambda: app.fleet is not None and app.fleet.sessions == fleet.sessions)
        assert app.fleet.tmux == fleet.tmux
        assert len(backend.ops("snapshot")) == 1
        await until(pilot, lambda: "%6" in app._table.keys)


def record_redraws(app: TmuxorchApp) -> list[object]:
    """The row keys of every line the table repaints from now on ("every row" for a repaint
    of the whole table)."""
    table = app._table
    redrawn: list[object] = []
    refresh = table.refresh

    def recording(*regions: Region, **kw: bool) -> object:
        if not regions:
            redrawn.append("every row")
        top = int(table.scroll_offset.y)
        for line in (y + top for region in regions for y in range(region.y, region.bottom)):
            redrawn.append(table.keys[line - 1] if line else "the header")
        return refresh(*regions, **kw)

    table.refresh = recording  # type: ignore[method-assign]
    return redrawn


async def test_only_the_row_of_the_changed_pane_is_redrawn() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        redrawn = record_redraws(app)
        push(
            backend,
            AgentStateChanged(
                pane_id="%0", window_id="@0", session_id="$0", kind="claude", state="idle",
                previous="busy", since=LATER, at=LATER,
            ),
        )  # fmt: skip
        await until(pilot, lambda: "idle" in state_cell(app, "%0"))
        assert set(redrawn) == {"%0"}


async def test_a_renamed_window_redraws_its_row_alone() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        keys = list(app._table.keys)
        redrawn = record_redraws(app)
        push(
            backend,
            WindowRenamed(window_id="@5", session_id="$1", old_name="notes", name="todo", at=LATER),
        )
        await until(pilot, lambda: "todo" in name_cell(app, "@5"))
        assert set(redrawn) == {"@5"}
        assert app._table.keys == keys


async def test_a_burst_is_shown_once_after_all_of_it_is_applied() -> None:
    backend = FakeBackend()
    app = make_app(backend)
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        shown: list[object] = []
        show = app._feed.show
        app._feed.show = lambda fleet: (shown.append(fleet), show(fleet))[-1]
        push(
            backend,
            *(
                AgentStateChanged(
                    pane_id="%0", window_id="@0", session_id="$0", kind="claude",
                    state="idle" if n % 2 else "busy", previous="busy" if n % 2 else "idle",
                    since=LATER + n, at=LATER + n,
                )
                for n in range(21)
            ),
        )  # fmt: skip
        await until(pilot, lambda: len(app._event_log.lines) == 21 and shown)
        await pilot.pause()
        assert len(shown) == 1
        assert "busy" in state_cell(app, "%0")  # the last of the burst


async def test_the_real_tui_freezes_its_start_out_of_the_collectors_sight() -> None:
    app = TmuxorchApp(FakeBackend(), clock=lambda: FIXED_TIME, freeze_heap=True)
    try:
        async with app.run_test() as pilot:
            await until(pilot, lambda: gc.get_freeze_count() > 0)
    finally:
        gc.unfreeze()  # a test process runs many apps: give their objects back
    assert not TmuxorchApp(FakeBackend()).freeze_heap  # tests' apps never freeze


async def test_a_model_shown_after_half_a_second_takes_the_durations_tick_with_it() -> None:
    """The durations move on in the frame the model paints anyway, not in one of their own."""
    now = [FIXED_TIME]
    backend = FakeBackend()
    app = TmuxorchApp(backend, clock=lambda: now[0])
    async with app.run_test() as pilot:
        await loaded(pilot, backend)
        assert app._main._ticker is not None
        app._main._ticker.pause()  # only the model's arrival ticks here
        before = state_cell(app, "%1")
        assert before.endswith("42s")  # waiting for 42 s
        now[0] += 60
        app._main._ticked = time.monotonic()  # just ticked: a model now does not tick
        push(backend, WindowRenamed(window_id="@5", session_id="$1", old_name="notes", name="a"))
        await until(pilot, lambda: "a" in name_cell(app, "@5"))
        assert state_cell(app, "%1") == before
        app._main._ticked = time.monotonic() - EARLY_TICK_S
        push(backend, WindowRenamed(window_id="@5", session_id="$1", old_name="a", name="b"))
        await until(pilot, lambda: "b" in name_cell(app, "@5"))
        assert state_cell(app, "%1").endswith("1m")  # in the same update
