"""The TUI's rough edges a new user found (issue 13), each fixed and held here, against the fake
fleet (tests/tui_fakes.py)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label, Static

from tmuxorch.core.models import Snapshot, TmuxInfo
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.attach import way_back
from tmuxorch.tui.screens.broadcast import BroadcastScreen
from tmuxorch.tui.screens.prompts import RenameScreen, SpawnScreen
from tmuxorch.tui.screens.send import SendScreen
from tmuxorch.tui.widgets.pane_preview import PanePreview

from ..conftest import until
from ..tui_fakes import FIXED_TIME, SOCKET, FakeBackend, fleet_snapshot
from .test_tui_model import make_app, push
from .test_tui_needs_you import became, header, started


async def test_keys_typed_right_after_n_go_to_the_command() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        await pilot.press("n", *"claude", "enter")
        await until(pilot, lambda: backend.ops("spawn"))
        [call] = backend.ops("spawn")
        assert call.args == ("agents", ["claude"])
        assert not isinstance(app.screen, SpawnScreen)


async def test_a_bad_name_keeps_the_rename_dialog_open_and_says_why() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        app._table.move_to_key("%0")  # the one row of window @0 (api)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, RenameScreen))
        dialog = app.screen
        dialog.query_one("#name", Input).value = "-oops"
        await pilot.press("enter")
        error = dialog.query_one("#error", Label)
        await until(pilot, lambda: error.display)
        assert "starts with '-'" in str(error.content)
        assert app.screen is dialog  # still open, for another try
        dialog.query_one("#name", Input).value = "fine"
        await pilot.press("enter")
        await until(pilot, lambda: backend.ops("rename"))
        assert backend.ops("rename")[0].args == ("@0", "fine")


async def test_the_header_counts_the_selected_and_a_window_selects_its_agents() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        await pilot.press("o")  # the tree: window @2 holds two agents
        await until(pilot, lambda: "@2" in app._table.keys)
        app._table.move_to_key("@2")
        await pilot.press("space")
        assert app.selected == {"%2", "%3"}
        await until(pilot, lambda: "✓ 2 selected" in header(app))
        app._table.move_to_key("%1")  # a window of one agent: its row is the agent's
        await pilot.press("space")
        await until(pilot, lambda: "✓ 3 selected" in header(app))
        app._table.move_to_key("@2")
        await pilot.press("space")  # all of its agents were selected: they are not any more
        assert app.selected == {"%1"}
        await pilot.press("escape")
        await until(pilot, lambda: "selected" not in header(app))


@pytest.fixture
def inside_the_fleet(monkeypatch: pytest.MonkeyPatch) -> str:
    """The TUI runs in pane %0 of the server it shows."""
    monkeypatch.setenv("TMUX", f"{SOCKET},4242,0")
    monkeypatch.setenv("TMUX_PANE", "%0")
    return "%0"


async def test_its_own_pane_is_marked_and_never_a_target(inside_the_fleet: str) -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        table = app._table
        await until(pilot, lambda: "(this TUI)" in str(table.get_cell(inside_the_fleet, "name")))
        assert "(this TUI)" not in str(table.get_cell("%1", "name"))
        table.move_to_key(inside_the_fleet)
        await app.refresh_preview()
        assert inside_the_fleet not in [c.args[0] for c in backend.ops("capture")]
        assert app._main.query_one(PanePreview).title == "%0: this TUI"  # not itself, smaller
        await pilot.press("space", "i", "x")
        await pilot.pause()
        assert app.selected == frozenset()
        assert backend.ops("interrupt") == []
        assert not isinstance(app.screen, SendScreen)
        await pilot.press("a", "s")  # select all: every agent but itself
        await until(pilot, lambda: isinstance(app.screen, SendScreen))
        assert isinstance(app.screen, SendScreen)
        assert inside_the_fleet not in app.screen.targets
        assert set(app.screen.targets) == {"%1", "%2", "%3", "%5"}
    assert backend.ops("kill") == []


async def test_another_servers_tui_marks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/other,4242,0")
    monkeypatch.setenv("TMUX_PANE", "%0")
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        assert app.own is None
        assert "(this TUI)" not in str(app._table.get_cell("%0", "name"))


@pytest.mark.parametrize(
    ("socket", "start"),
    [
        ("/tmp/tmux-1000/other", "tmux -L other new -d"),
        ("/tmp/tmux-1000/default", "tmux new -d"),
        ("/run/my socks/s", "tmux -S '/run/my socks/s' new -d"),
    ],
)
async def test_with_no_server_it_says_so_and_how_to_start_the_one_shown(
    socket: str, start: str
) -> None:
    gone = Snapshot(
        tmux=TmuxInfo(socket=socket, version=None, running=False), sessions=(), taken_at=FIXED_TIME
    )
    backend = FakeBackend(gone)
    async with make_app(backend).run_test() as pilot:
        app = pilot.app
        assert isinstance(app, TmuxorchApp)
        empty = app._main.query_one("#empty", Static)
        await until(pilot, lambda: empty.display)
        await until(pilot, lambda: app._header.connection == "live")  # the stream is on…
        assert "no tmux server" in header(app)  # …but there is no server to be live about
        assert " live " not in header(app)
        assert f"Start one (`{start}`)" in str(empty.content)


async def test_at_80x24_the_receipts_leave_the_buttons_in_the_dialog() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test(size=(80, 24)) as pilot:
        app = await started(pilot, backend)
        await pilot.press("a", "s")
        await until(pilot, lambda: isinstance(app.screen, SendScreen))
        dialog = app.screen
        await pilot.press(*"go", "enter", *"on", "ctrl+s")
        await until(pilot, lambda: dialog.receipts is not None)
        await pilot.pause()
        box = dialog.query_one("#dialog").region
        buttons = dialog.query_one("#buttons").region
        assert len(dialog.receipts or []) == 5
        assert box.contains_region(buttons), (box, buttons)
        assert dialog.query_one("#receipts").region.bottom <= buttons.y


async def test_the_broadcast_list_stays_as_sent() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BroadcastScreen))
        dialog = app.screen
        assert isinstance(dialog, BroadcastScreen)
        listed = dialog.query_one("#targets", Static)
        before = str(listed.content)
        assert before.startswith("1 agent(s) will get it:\n%2")
        await pilot.press(*"hi", "ctrl+s")
        await until(pilot, lambda: dialog.receipts is not None)
        push(backend, became("%0", "@0", "idle", "busy", FIXED_TIME + 1))  # one more is idle
        await until(pilot, lambda: "idle" in str(app._table.get_cell("%0", "state")))
        await pilot.pause()
        assert str(listed.content) == before
        assert not listed.display  # the receipts say who got it instead
        assert "%2" in str(dialog.query_one("#receipts", Static).content)


class LongHistory(FakeBackend):
    """A pane with more history than any preview shows at once."""

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        await super().capture(target, lines, colours=colours)
        return "\n".join(f"line {n}" for n in range(min(lines, 500)))


async def test_z_zooms_the_preview_to_the_full_width_and_scrolls_its_history() -> None:
    backend = LongHistory()
    async with make_app(backend).run_test(size=(120, 36)) as pilot:
        app = await started(pilot, backend)
        preview = app._main.query_one(PanePreview)
        narrow = preview.region.width
        await pilot.press("z")
        await until(pilot, lambda: preview.region.width >= 118)
        assert narrow < 70
        assert preview.has_focus
        await until(pilot, lambda: backend.ops("capture")[-1].args == ("%1", 2000))
        await until(pilot, lambda: len(preview.lines) == 500)
        await until(pilot, lambda: preview.scroll_y == preview.max_scroll_y > 0)  # the tail
        await pilot.press("pageup", "pageup")
        assert preview.scroll_y < preview.max_scroll_y  # back through the history
        await app.refresh_preview()  # a new capture keeps the place it was scrolled to
        await pilot.pause()
        assert preview.scroll_y < preview.max_scroll_y
        await pilot.press("j")  # the cursor still moves, the preview follows it
        await until(pilot, lambda: backend.ops("capture")[-1].args == ("%3", 2000))
        await pilot.press("z")
        await until(pilot, lambda: preview.region.width == narrow)
        assert app._table.has_focus


async def test_enter_inside_another_server_says_why_it_cannot_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/a,4242,0")
    backend = FakeBackend()
    app = make_app(backend)
    said: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **_: said.append(message))
    async with app.run_test() as pilot:
        await started(pilot, backend)
        await pilot.press("enter")
        await until(pilot, lambda: said)
    assert said[0].startswith(
        "This TUI runs inside another tmux server (/tmp/tmux-1000/a) than the one it shows"
    )
    assert [c.kwargs for c in backend.ops("attach_argv")] == [{"switch": False}]  # no switch


@pytest.mark.parametrize(
    ("own", "target", "back"),
    [
        ("%5", "%1", "prefix L (switch-client -l)"),  # another session
        ("%4", "%1", "prefix l (last-window)"),  # the same session, another window
        ("%2", "%3", "prefix ; (last-pane)"),  # the same window
        (None, "%1", "prefix L (switch-client -l)"),  # where the TUI runs is not known
    ],
)
def test_the_way_back_after_a_switch(own: str | None, target: str, back: str) -> None:
    fleet = fleet_snapshot()
    assert way_back(fleet, own, fleet.panes_by_id[target]) == back


async def test_home_and_end_go_to_the_first_and_last_rows() -> None:
    backend = FakeBackend()
    async with make_app(backend).run_test() as pilot:
        app = await started(pilot, backend)
        table = app._table
        first, *_, last = table.keys
        await pilot.press("end")
        assert table.current_id == last == "%6"
        await pilot.press("home")
        assert table.current_id == first == "%1"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_nothing_shows_after_the_palette_key(size: tuple[int, int]) -> None:
    """The footer ends with `^p palette` at the right edge: no key under it shows through."""
    backend = FakeBackend()
    async with make_app(backend).run_test(size=size) as pilot:
        app = await started(pilot, backend)
        await pilot.pause()
        footer = app.screen._compositor.render_strips()[-1].text
        assert footer.endswith("^p palette"), footer
