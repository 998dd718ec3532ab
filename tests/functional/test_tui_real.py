"""The TUI against a real local backend (a real engine on a private tmux server), driven by keys:
spawn, rename, broadcast, the command palette, a remapped key, select all / clear, attach, the
audit log of what it changes, and the banner and recovery when tmux dies and comes back."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tmuxorch.cli.main import open_backend
from tmuxorch.cli.parser import build_parser
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.config import Settings
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.link_status import TMUX_DOWN_BANNER
from tmuxorch.tui.screens.broadcast import BroadcastScreen
from tmuxorch.tui.screens.prompts import RenameScreen, SpawnScreen
from tmuxorch.tui.screens.send import SendScreen

from ..conftest import TmuxFixture, reap, until, wait_for
from ..simfleet import start_agent, start_agents
from .test_tui_pilot import is_agent, move_to, running


def windows(tmux: TmuxFixture) -> dict[str, str]:
    """Window id -> name, from tmux itself."""
    listed = tmux.tmux("list-windows", "-a", "-F", "#{window_id} #{window_name}").splitlines()
    return dict(line.split(" ", 1) for line in listed)


async def rename(pilot: Pilot[None], tmux: TmuxFixture, window: str, name: str) -> None:
    """Rename `window` with the keys (r, the new name, Enter); wait until tmux has it."""
    app = pilot.app
    assert isinstance(app, TmuxorchApp)
    await move_to(pilot, app, window)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, RenameScreen))
    app.screen.query_one("#name", Input).value = name
    await pilot.press("enter")
    await wait_for(lambda: windows(tmux)[window] == name)


def banner(app: TmuxorchApp) -> str | None:
    shown = app._main.query_one("#banner", Static)
    return str(shown.content) if shown.display else None


async def test_spawn_then_rename_reach_tmux(engine: Engine, running_tmux: TmuxFixture) -> None:
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: app.fleet is not None)
        before = set(windows(running_tmux))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, SpawnScreen))
        dialog = app.screen
        dialog.query_one("#name", Input).value = "worker"
        dialog.query_one("#kind", Input).value = "sim"
        dialog.query_one("#command", Input).focus()
        await pilot.press(*"sleep 100004", "enter")
        await wait_for(lambda: "worker" in windows(running_tmux).values())
        [window] = [w for w, name in windows(running_tmux).items() if w not in before]
        pane = running_tmux.tmux("display", "-p", "-t", window, "#{pane_id}").strip()
        running_tmux.wait_command(pane, "sleep")
        tag = running_tmux.tmux("show-options", "-p", "-v", "-t", pane, "@tmuxorch-agent")
        assert tag.strip() == "sim"
        await until(pilot, lambda: any(f"spawned {pane}" in s.plain for s in app._event_log.lines))
        await until(pilot, lambda: app._table.current_id == pane)  # the cursor on the new agent

        await rename(pilot, running_tmux, window, "renamed 🚀")
        await until(pilot, lambda: app.fleet is not None and window in app.fleet.windows_by_id)
        await until(
            pilot,
            lambda: app.fleet is not None and app.fleet.windows_by_id[window].name == "renamed 🚀",
        )


async def test_broadcast_with_a_session_filter(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """The dialog's preview and the send follow its filters: one agent of two gets it."""
    agents = await start_agents(running_tmux, tmp_path, 2, "--busy", "0")
    running_tmux.tmux("new-session", "-d", "-s", "other", "sleep", "100000")
    running_tmux.tmux("move-window", "-s", agents[1].pane, "-t", "other:")
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: all(is_agent(app, a.pane) for a in agents))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BroadcastScreen))
        dialog = app.screen
        assert isinstance(dialog, BroadcastScreen)
        preview = dialog.query_one("#targets", Static)
        await until(pilot, lambda: str(preview.content).startswith("2 agent(s) will get it"))
        dialog.query_one("#sessions", Input).focus()
        await pilot.press(*"other")
        await until(pilot, lambda: str(preview.content).startswith("1 agent(s) will get it"))
        assert str(preview.content).splitlines()[1:] == [f"{agents[1].pane}  sim  idle"]
        dialog.query_one("#message").focus()
        await pilot.press(*"only other", "ctrl+s")
        await until(pilot, lambda: dialog.receipts is not None)
        assert [(r.target, r.status) for r in dialog.receipts or []] == [
            (agents[1].pane, "delivered")
        ]
        await wait_for(lambda: agents[1].entries() == ["only other"])
        assert agents[0].entries() == []


async def test_the_palette_runs_an_action(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """ctrl+p, type the action, Enter: the same as its key (here: Send, to the agent)."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: is_agent(app, agent.pane))
        await move_to(pilot, app, agent.pane)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Send")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SendScreen))
        dialog = app.screen
        assert isinstance(dialog, SendScreen)
        assert list(dialog.targets) == [agent.pane]
        await pilot.press(*"from the palette", "ctrl+s")
        await wait_for(lambda: agent.entries() == ["from the palette"])


async def test_a_remapped_key_acts_and_the_old_one_does_not(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    app = TmuxorchApp(LocalBackend(engine), keymap={"send": "ctrl+o", "select_all": "A"})
    async with running(app) as pilot:
        await until(pilot, lambda: is_agent(app, agent.pane))
        await move_to(pilot, app, agent.pane)
        # The old keys do nothing: `s` opens no dialog (which would take the keys after it),
        # and `a` selects nothing (space would then unselect the agent instead of selecting it).
        await pilot.press("s", "a", "space")
        await until(pilot, lambda: app.selected == {agent.pane})
        assert not isinstance(app.screen, SendScreen)
        await pilot.press("escape")
        await until(pilot, lambda: app.selected == frozenset())
        await pilot.press("A")  # the new select-all
        await until(pilot, lambda: app.selected == {agent.pane})
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, SendScreen))


async def test_a_selects_every_agent_shown_and_esc_clears(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agents = await start_agents(running_tmux, tmp_path, 3, "--busy", "0")
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: all(is_agent(app, a.pane) for a in agents))
        await pilot.press("a")
        await until(pilot, lambda: app.selected == {a.pane for a in agents})
        await pilot.press("escape")
        await until(pilot, lambda: app.selected == frozenset())
        shown = [a.pane for a in agents[:1]]  # a filter narrows what `a` selects
        window = running_tmux.tmux("display", "-p", "-t", agents[0].pane, "#{window_id}").strip()
        running_tmux.tmux("rename-window", "-t", window, "only-me")
        await until(
            pilot,
            lambda: app.fleet is not None and app.fleet.windows_by_id[window].name == "only-me",
        )
        await pilot.press("slash", *"only-me", "enter")
        await until(pilot, lambda: agents[1].pane not in app._table.keys)
        await pilot.press("a")
        await until(pilot, lambda: app.selected == set(shown))


async def test_banner_when_tmux_dies_and_recovery_when_it_returns(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await until(pilot, lambda: app.fleet is not None and app.fleet.tmux.running)
        assert banner(app) is None
        running_tmux.kill()
        await until(pilot, lambda: banner(app) == TMUX_DOWN_BANNER, timeout=15)
        await until(pilot, lambda: app.fleet is not None and not app.fleet.tmux.running)
        running_tmux.start("back")
        await until(pilot, lambda: banner(app) is None, timeout=15)
        await until(
            pilot,
            lambda: app.fleet is not None and [s.name for s in app.fleet.sessions] == ["back"],
        )
        assert app.is_running


async def test_what_the_tui_changes_is_in_the_audit_log(
    running_tmux: TmuxFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's backend, made as `tmuxorch tui` makes it, logs a rename done with its keys."""
    monkeypatch.setenv("XDG_DATA_HOME", running_tmux.env["XDG_DATA_HOME"])
    args = build_parser().parse_args(["-S", str(running_tmux.socket_path), "tui"])
    app = TmuxorchApp(open_backend(args, Settings()))
    window = running_tmux.tmux("display", "-p", "-t", "main", "#{window_id}").strip()
    async with running(app) as pilot:
        await rename(pilot, running_tmux, window, "audited")
    log = running_tmux.cli("log", "--json")
    entries = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(e["op"], e["targets"], e["text"]) for e in entries] == [
        ("rename", [window], "audited")
    ]
    assert running_tmux.cli("status").returncode == 0  # a read-only command logs nothing
    assert len(running_tmux.cli("log", "--json").stdout.splitlines()) == 1


@pytest.fixture
def user_client(running_tmux: TmuxFixture) -> Iterator[subprocess.Popen[bytes]]:
    """A client of the user's attached to `main` (a control client: it needs no terminal);
    it leaves at stdin EOF, and is killed by its PID if it does not."""
    user = subprocess.Popen(
        ["tmux", "-L", running_tmux.name, "-f", str(running_tmux.config), "-C",
         "attach-session", "-t", "main"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=running_tmux.env,
    )  # fmt: skip
    try:
        yield user
    finally:
        assert user.stdin is not None
        user.stdin.close()
        reap(user)


async def test_enter_inside_tmux_switches_the_users_client_to_the_pane(
    engine: Engine,
    running_tmux: TmuxFixture,
    user_client: subprocess.Popen[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run inside tmux ($TMUX set), Enter selects the pane's window and pane and switches the
    user's client there. (Outside tmux it suspends the app for `tmux attach`, which needs a
    real terminal: not tested here.)"""
    t = running_tmux.tmux
    t("new-session", "-d", "-s", "other", "sleep", "100000")
    window = t("new-window", "-d", "-P", "-F", "#{window_id}", "-t", "other:", "sleep", "100000")
    window = window.strip()
    pane = t("split-window", "-d", "-P", "-F", "#{pane_id}", "-t", window, "sleep", "100000")
    pane = pane.strip()

    def clients() -> list[str]:
        return t("list-clients", "-F", "#{client_pid} #{session_name}").splitlines()

    await wait_for(lambda: clients() == [f"{user_client.pid} main"])
    server_pid = t("display", "-p", "#{pid}").strip()
    monkeypatch.setenv("TMUX", f"{running_tmux.socket_path},{server_pid},0")
    monkeypatch.setenv("TMUX_PANE", t("display", "-p", "-t", "main", "#{pane_id}").strip())
    app = TmuxorchApp(LocalBackend(engine))
    async with running(app) as pilot:
        await move_to(pilot, app, pane)
        await pilot.press("enter")
        await wait_for(lambda: f"{user_client.pid} other" in clients())
        # the client says how to come back (the detach key would leave tmux): its message log
        await wait_for(lambda: "prefix L (switch-client -l) comes back" in t("show-messages"))
    assert (
        t("display", "-p", "-t", "other", "#{window_id} #{pane_id}").strip() == f"{window} {pane}"
    )
