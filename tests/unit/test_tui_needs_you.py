"""Needs you first (issue 13): the agents most urgent first, a key back to the tree, a key to
the next agent that needs you, the oldest wait in the header, and the log marking what needs an
answer. Against the fake fleet: %1 waiting 42s, %3 error 30s, %0 busy, %2 idle, %5 exited."""

from __future__ import annotations

from textual.pilot import Pilot

from tmuxorch.core.events import AgentStateChanged
from tmuxorch.tui.app import TmuxorchApp

from ..conftest import until
from ..tui_fakes import FIXED_TIME, FakeBackend
from .test_tui_model import loaded, make_app, push

AGENTS_FIRST = ["%1", "%3", "%0", "%2", "%5"]
TREE = ["$0", "%0", "%1", "@2", "%2", "%3", "@3", "%4", "$1", "%5", "@5", "%6"]


def became(pane: str, window: str, state: str, previous: str, at: float) -> AgentStateChanged:
    return AgentStateChanged(
        pane_id=pane, window_id=window, session_id="$0", kind="sim", state=state,  # type: ignore[arg-type]
        previous=previous, since=at, at=at,  # type: ignore[arg-type]
    )  # fmt: skip


def header(app: TmuxorchApp) -> str:
    return app._header.content.plain


async def started(pilot: Pilot[None], backend: FakeBackend) -> TmuxorchApp:
    app = pilot.app
    assert isinstance(app, TmuxorchApp)
    await loaded(pilot, backend)
    await until(pilot, lambda: len(app._table.keys) > 0)
    return app


async def test_agents_come_most_urgent_first_and_a_key_goes_back_to_the_tree() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        table = app._table
        # the agents, flat, named by their place; then the tree of the panes that are no agents
        assert list(table.keys) == [*AGENTS_FIRST, "$0", "@3", "%4", "$1", "@5", "%6"]
        assert str(table.get_cell("%3", "name")) == "agents:tests.1"
        assert str(table.get_cell("%1", "name")) == "agents:frontend-ü"
        assert table.current_id == "%1"  # the cursor starts on the first agent: the waiting one
        assert "needs you first" in header(app)
        await pilot.press("o")
        await until(pilot, lambda: list(table.keys) == TREE)
        assert table.current_id == "%1"  # the cursor stays on its agent
        assert "tree" in header(app)
        assert "needs you first" not in header(app)
        await pilot.press("o")
        await until(pilot, lambda: list(table.keys)[:5] == AGENTS_FIRST)


async def test_an_agent_idle_after_work_comes_before_busy_and_idle_ones() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        # %2 (idle from the start) goes busy, then idle again: it has done work since we watched
        push(backend, became("%2", "@2", "busy", "idle", FIXED_TIME + 1))
        await until(pilot, lambda: "busy" in str(app._table.get_cell("%2", "state")))
        assert list(app._table.keys)[:4] == ["%1", "%3", "%0", "%2"]  # the older busy first
        push(backend, became("%2", "@2", "idle", "busy", FIXED_TIME + 2))
        await until(pilot, lambda: list(app._table.keys)[:5] == ["%1", "%3", "%2", "%0", "%5"])


async def test_the_jump_key_visits_waiting_then_error_agents_and_wraps() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        await pilot.press("o")  # in the tree too: the jump follows the rows shown
        await until(pilot, lambda: list(app._table.keys) == TREE)
        app._table.move_to_key("$1")
        visited = []
        for _ in range(3):
            await pilot.press("w")
            await pilot.pause()
            visited.append(app._table.current_id)
        assert visited == ["%1", "%3", "%1"]


async def test_the_header_says_how_long_the_oldest_has_waited() -> None:
    now = [FIXED_TIME]
    backend = FakeBackend()
    async with TmuxorchApp(backend, clock=lambda: now[0]).run_test() as pilot:
        app = await started(pilot, backend)
        await until(pilot, lambda: "? 1 waiting (oldest 42s)" in header(app))
        push(backend, became("%2", "@2", "waiting", "idle", FIXED_TIME))
        await until(pilot, lambda: "? 2 waiting (oldest 42s)" in header(app))
        now[0] += 120
        await until(pilot, lambda: "? 2 waiting (oldest 2m)" in header(app))  # it keeps counting


async def test_the_log_marks_an_agent_that_started_waiting() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        push(
            backend,
            became("%2", "@2", "busy", "idle", FIXED_TIME),
            became("%0", "@0", "waiting", "busy", FIXED_TIME),
        )
        log = app._event_log
        await until(pilot, lambda: len(log.lines) == 2)
        busy, waiting = (line.plain for line in log.lines)
        assert "needs you" not in busy
        assert "? needs you %0 sim busy → waiting" in waiting


WORKED_IDLE = ["%1", "%3", "%2", "%0", "%5"]  # %2 idle after work: above the busy %0
PLAIN_IDLE = ["%1", "%3", "%0", "%2", "%5"]


async def test_idle_after_work_is_plain_idle_once_looked_at_until_it_works_again() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        table = app._table

        def agents() -> list[str]:
            return list(table.keys)[:5]

        push(
            backend,
            became("%2", "@2", "busy", "idle", FIXED_TIME + 1),
            became("%2", "@2", "idle", "busy", FIXED_TIME + 2),
        )
        await until(pilot, lambda: agents() == WORKED_IDLE)
        await app.refresh_preview()  # the cursor rests on %1: %2 is still owed a look
        assert agents() == WORKED_IDLE
        assert table.current_id == "%1"
        await pilot.press("j", "j")  # onto %2: its preview is shown
        await until(pilot, lambda: agents() == PLAIN_IDLE)
        assert table.current_id == "%2"  # the cursor went down with it
        # looked at while it works: its idle after that is news again
        push(backend, became("%2", "@2", "busy", "idle", FIXED_TIME + 3))
        await until(pilot, lambda: "busy" in str(table.get_cell("%2", "state")))
        await app.refresh_preview()
        table.move_to_key("%1")
        await app.refresh_preview()
        push(backend, became("%2", "@2", "idle", "busy", FIXED_TIME + 4))
        await until(pilot, lambda: agents() == WORKED_IDLE)
        await app.refresh_preview()
        assert agents() == WORKED_IDLE
        # a broadcast to the idle agents sends to %2: it has been seen to
        await pilot.press("b", *"next", "ctrl+s")
        await until(pilot, lambda: backend.ops("send"))
        assert backend.ops("send")[0].args[0] == ["%2"]
        await until(pilot, lambda: agents() == PLAIN_IDLE)
        assert table.current_id == "%1"  # nobody moved the cursor to it
