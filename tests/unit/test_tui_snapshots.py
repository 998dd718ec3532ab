"""SVG snapshots of the TUI against a fixed in-memory fleet (tests/tui_fakes.py).

The app runs live, as it does on a real backend (the fake's event stream is quiet, and its pane
text never changes), with a fixed clock and in UTC (the event log prints times of day), so every
run draws the same picture. After a deliberate
change to the look, review the new pictures and accept them with `pytest --snapshot-update`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static, TextArea

from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.models import Snapshot
from tmuxorch.core.schedules.records import Schedule, ScheduleList
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.core.tasks.records import Task, TaskList
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.screens.broadcast import BroadcastScreen
from tmuxorch.tui.screens.help import HelpScreen
from tmuxorch.tui.screens.plans import PlansScreen
from tmuxorch.tui.screens.prompts import ConfirmScreen, RenameScreen, SpawnScreen
from tmuxorch.tui.screens.send import SendScreen
from tmuxorch.tui.widgets import fleet_table
from tmuxorch.tui.widgets.detail_strip import DetailStrip
from tmuxorch.tui.widgets.fleet_table import FleetTable

from ..conftest import until
from ..tui_fakes import (
    FIXED_TIME,
    SOCKET,
    FakeBackend,
    fleet_snapshot,
    no_agents_snapshot,
    no_tmux_snapshot,
)
from .test_tui_answer import Asking
from .test_tui_model import push
from .test_tui_needs_you import became

Snap = Callable[..., bool]
WIDE = (120, 36)
SMALL = (80, 24)


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times of day in the event log are printed in UTC, whatever the machine's zone, and in
    colour whatever NO_COLOR says."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def make_app(snapshot: Snapshot | None = None) -> tuple[TmuxorchApp, FakeBackend]:
    backend = FakeBackend(snapshot if snapshot is not None else fleet_snapshot())
    return TmuxorchApp(backend, clock=lambda: FIXED_TIME), backend


async def loaded(pilot: Pilot[None]) -> None:
    """The first snapshot is on screen, the event stream is followed, and the pane under the
    cursor is in the preview."""
    app = pilot.app
    assert isinstance(app, TmuxorchApp)
    await until(pilot, lambda: app.fleet is not None and app._header.connection == "live")
    await app.refresh_preview()
    await pilot.pause()


def with_preview(
    then: Callable[[Pilot[None]], Awaitable[None]] | None = None,
) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        if then is not None:
            await then(pilot)
        await steady_cursors(pilot)

    return run_before


async def steady_cursors(pilot: Pilot[None]) -> None:
    """Text cursors stop blinking, a focused one drawn as right after a key: the picture would
    otherwise depend on whether half a second passed since the last key, which a loaded machine
    decides. (Not `cursor_blink = False`: a soft-wrapping TextArea then draws no cursor.)"""
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget._pause_blink(visible=widget.has_focus)
    await pilot.pause()


SIZES = pytest.mark.parametrize("size", [WIDE, SMALL], ids=["120x36", "80x24"])


async def select_two_and_send(pilot: Pilot[None]) -> None:
    """Select the first two agents, open the send dialog, send, wait for the receipts."""
    app = pilot.app
    await pilot.press("space", "j", "j", "space", "s")
    await until(pilot, lambda: isinstance(app.screen, SendScreen))
    await pilot.press(*"run the tests", "ctrl+s")
    screen = app.screen
    assert isinstance(screen, SendScreen)
    await until(pilot, lambda: screen.receipts is not None)


async def open_broadcast(pilot: Pilot[None]) -> None:
    """Open the broadcast dialog and type a message: it previews who gets it."""
    await pilot.press("b")
    await until(pilot, lambda: isinstance(pilot.app.screen, BroadcastScreen))
    await pilot.press(*"hello all")


async def broadcast(pilot: Pilot[None]) -> None:
    """Broadcast to the idle agents and wait for the receipts."""
    await open_broadcast(pilot)
    await pilot.press("ctrl+s")
    screen = pilot.app.screen
    assert isinstance(screen, BroadcastScreen)
    await until(pilot, lambda: screen.receipts is not None)


async def open_help(pilot: Pilot[None]) -> None:
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))


@SIZES
def test_main_screen(snap_compare: Snap, size: tuple[int, int]) -> None:
    app, backend = make_app()
    assert snap_compare(app, terminal_size=size, run_before=with_preview())
    assert {c.args[0] for c in backend.ops("capture")} == {"%1"}  # the first agent: waiting


def test_main_screen_selection_and_filter(snap_compare: Snap) -> None:
    """Two agents selected (✓), then the filter narrowed to the `tests` window."""
    app, _ = make_app()

    async def select_and_filter(pilot: Pilot[None]) -> None:
        await pilot.press("space", "j", "j", "space", "slash", *"tests")
        await until(pilot, lambda: app._table.needle == "tests")

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(select_and_filter))
    assert app.selected == {"%0", "%1"}


def test_main_screen_tree_order(snap_compare: Snap) -> None:
    """`o`: the tree, a window whose only pane is an agent as one row; `w` on the error."""
    app, _ = make_app()

    async def tree_and_jump(pilot: Pilot[None]) -> None:
        await pilot.press("o", "w")  # from the waiting agent to the one in error
        await until(pilot, lambda: app._table.current_id == "%3")

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(tree_and_jump))


def test_zoomed_preview_80x24(snap_compare: Snap) -> None:
    """`z`: the preview across the whole width, focused (its border says so)."""
    app, backend = make_app()

    async def zoom(pilot: Pilot[None]) -> None:
        await pilot.press("z")
        await until(pilot, lambda: backend.ops("capture")[-1].args == ("%1", 2000))

    assert snap_compare(app, terminal_size=SMALL, run_before=with_preview(zoom))


@SIZES
def test_detail_strip_shows_the_question_and_its_choices(
    snap_compare: Snap, size: tuple[int, int]
) -> None:
    """The waiting agent under the cursor: what it asks and its numbered choices, the keys
    that pick them, under its one-line description."""
    backend = Asking()
    app = TmuxorchApp(backend, clock=lambda: FIXED_TIME)

    async def asked(pilot: Pilot[None]) -> None:
        strip = app._main.query_one(DetailStrip)
        await until(pilot, lambda: "asks:" in strip.content.plain)
        assert app._table.current_id == "%1"

    assert snap_compare(app, terminal_size=size, run_before=with_preview(asked))
    assert backend.ops("keys") == []  # shown, not answered


def test_needs_you_order_with_the_oldest_wait(snap_compare: Snap) -> None:
    """Two agents waiting (the one waiting longest first, the header counting from it), the
    error, an agent idle after work above the busy one, then the tree of the rest. The clock
    stands still: every duration is the same on every run."""
    app, backend = make_app()

    async def urgent(pilot: Pilot[None]) -> None:
        waits = AgentStateChanged(
            pane_id="%5", window_id="@4", session_id="$1", kind="claude", state="waiting",
            previous="exited", since=FIXED_TIME - 10, at=FIXED_TIME - 10, source="hook",
        )  # fmt: skip
        push(
            backend,
            became("%2", "@2", "busy", "idle", FIXED_TIME - 20),
            became("%2", "@2", "idle", "busy", FIXED_TIME - 5),
            waits,
        )
        await until(pilot, lambda: len(app._event_log.lines) == 3)
        await until(pilot, lambda: list(app._table.keys)[:5] == ["%1", "%5", "%3", "%2", "%0"])
        assert "? 2 waiting (oldest 42s)" in app._header.content.plain

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(urgent))


@SIZES
def test_send_dialog_with_receipts(snap_compare: Snap, size: tuple[int, int]) -> None:
    app, backend = make_app()
    assert snap_compare(app, terminal_size=size, run_before=with_preview(select_two_and_send))
    [call] = backend.ops("send")
    assert sorted(call.args[0]) == ["%0", "%1"]  # type: ignore[call-overload]
    assert call.args[1] == "run the tests"


def test_broadcast_dialog_preview(snap_compare: Snap) -> None:
    """The broadcast dialog previews who gets it: idle agents, by default."""
    app, backend = make_app()
    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(open_broadcast))
    assert backend.ops("send") == []  # nothing sent yet


def test_broadcast_dialog_receipts_80x24(snap_compare: Snap) -> None:
    app, backend = make_app()
    assert snap_compare(app, terminal_size=SMALL, run_before=with_preview(broadcast))
    assert len(backend.ops("send")) == 1


def test_kill_confirm(snap_compare: Snap) -> None:
    app, backend = make_app()

    async def kill(pilot: Pilot[None]) -> None:
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(kill))
    assert backend.ops("kill") == []  # asked, not done


def test_spawn_dialog_takes_the_keys_typed_after_n(snap_compare: Snap) -> None:
    """`n` then typing at once: the command field is first and has the keys."""
    app, backend = make_app()

    async def spawn(pilot: Pilot[None]) -> None:
        await pilot.press("n", *"claude --resume")
        await until(pilot, lambda: isinstance(app.screen, SpawnScreen))
        field = app.screen.query_one("#command", Input)
        await until(pilot, lambda: field.value == "claude --resume")

    assert snap_compare(app, terminal_size=SMALL, run_before=with_preview(spawn))
    assert backend.ops("spawn") == []


def test_rename_dialog_keeps_a_bad_name_and_says_why(snap_compare: Snap) -> None:
    app, backend = make_app()

    async def bad_name(pilot: Pilot[None]) -> None:
        app._table.move_to_key("%0")  # the one row of window @0 (api)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RenameScreen))
        app.screen.query_one("#name", Input).value = "a#(b)"
        await pilot.press("enter")
        error = app.screen.query_one("#error", Label)
        await until(pilot, lambda: error.display)

    assert snap_compare(app, terminal_size=SMALL, run_before=with_preview(bad_name))
    assert backend.ops("rename") == []


def test_its_own_pane_is_marked(snap_compare: Snap, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in pane %0 of the server it shows: its row says so, its preview is not itself."""
    monkeypatch.setenv("TMUX", f"{SOCKET},4242,0")
    monkeypatch.setenv("TMUX_PANE", "%0")
    app, backend = make_app()

    async def on_itself(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: app.own == "%0")
        app._table.move_to_key("%0")
        await app.refresh_preview()

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(on_itself))
    assert "%0" not in {c.args[0] for c in backend.ops("capture")}


@SIZES
def test_help_screen(snap_compare: Snap, size: tuple[int, int]) -> None:
    app, _ = make_app()
    assert snap_compare(app, terminal_size=size, run_before=with_preview(open_help))


def test_empty_no_tmux(snap_compare: Snap) -> None:
    """The engine's stream says tmux is down first: the banner shows, and the log says why."""
    app, _ = make_app(no_tmux_snapshot())

    async def banner(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: any("tmux_down" in s.plain for s in app._event_log.lines))

    assert snap_compare(app, terminal_size=WIDE, run_before=with_preview(banner))


@SIZES
def test_empty_no_agents(snap_compare: Snap, size: tuple[int, int]) -> None:
    app, _ = make_app(no_agents_snapshot())
    assert snap_compare(app, terminal_size=size, run_before=with_preview())


async def test_the_detail_strip_keeps_counting() -> None:
    """Not a picture: the strip's "busy for 2m" follows the clock, like the table's column."""
    now = [FIXED_TIME]
    app = TmuxorchApp(FakeBackend(fleet_snapshot()), clock=lambda: now[0])
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        strip = app._main.query_one(DetailStrip)
        assert "waiting for 42s" in str(strip.content)
        now[0] += 3600
        await until(pilot, lambda: "waiting for 1h" in str(strip.content))


async def test_the_table_ticks_its_state_cells_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a picture: once a second the state column follows the clock, and no row is built
    again for it (issue 16: the TUI costs what changes on screen)."""
    now = [FIXED_TIME]
    app = TmuxorchApp(FakeBackend(fleet_snapshot()), clock=lambda: now[0])
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        table = app._main.query_one(FleetTable)
        assert app.fleet is not None
        pane = next(p for p in app.fleet.panes() if p.agent is not None)
        built: list[str] = []
        real_row_of = fleet_table.row_of

        def counted(item: object, *args: object) -> object:
            built.append(getattr(item, "id", "?"))
            return real_row_of(item, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(fleet_table, "row_of", counted)
        now[0] += 3600
        await until(pilot, lambda: "1h" in str(table.get_cell(pane.id, "state")))
        assert built == []


async def test_broadcast_preview_lists_the_agents_it_holds_back() -> None:
    """Not a picture: with no state filter, the agent awaiting approval is listed as skipped,
    with the reason, and the broadcast goes to the others only."""
    app, backend = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await open_broadcast(pilot)
        screen = app.screen
        assert isinstance(screen, BroadcastScreen)
        screen.query_one("#states", Input).value = ""
        preview = screen.query_one("#targets", Static)
        await until(pilot, lambda: "skipped" in str(preview.content))
        assert str(preview.content).endswith(
            "1 skipped (nothing is typed there):\n"
            "%1  codex  waiting: the agent shows an approval prompt or a question"
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: screen.receipts is not None)
    [call] = backend.ops("send")
    assert call.args[0] == ["%0", "%2", "%3", "%5"]


@SIZES
def test_plans_panel(snap_compare: Snap, size: tuple[int, int]) -> None:
    """The schedules and queue panel with one of each, and a paused queue nobody runs."""
    schedule = Schedule(
        id=3, server=SOCKET, targets=("%1",), text="status report, please",
        trigger=Trigger(kind="every", due=1.0, every=3600.0), created=0.0, next_due=3601.0,
    )  # fmt: skip
    task = Task(id=7, server=SOCKET, text="write the changelog", created=0.0, kind="claude")
    app, _ = make_app()

    async def open_plans(pilot: Pilot[None]) -> None:
        pilot.app.push_screen(
            PlansScreen(
                ScheduleList(schedules=(schedule,), running=False),
                TaskList(tasks=(task,), paused=True, running=False),
                "%1",
            )
        )
        await until(pilot, lambda: isinstance(pilot.app.screen, PlansScreen))

    assert snap_compare(app, terminal_size=size, run_before=with_preview(open_plans))
