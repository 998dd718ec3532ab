"""The TUI over a remote fleet (`tmuxorch --connect URL tui`): it lists the fleet once, and a
change made in tmux reaches its table as event frames alone, without a snapshot document."""

from __future__ import annotations

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.core.engine import Engine
from tmuxorch.core.models import Snapshot
from tmuxorch.tui.app import TmuxorchApp

from ..conftest import TmuxFixture, until
from ..serverkit import served
from .test_tui_pilot import running


class CountingRemote(RemoteBackend):
    """The real remote backend, counting the snapshots it is asked for."""

    snapshots = 0

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        self.snapshots += 1
        return await super().snapshot(activity=activity, states=states)


async def test_a_remote_tui_follows_changes_from_events_alone(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    async with served(engine, running_tmux.tmpdir) as s:
        backend = CountingRemote(s.url, s.control)
        app = TmuxorchApp(backend)
        async with running(app) as pilot:
            await until(pilot, lambda: app.fleet is not None and not app._feed.listing)
            assert backend.snapshots == 1
            window = running_tmux.tmux(
                "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "-n", "far",
                "sleep", "100000",
            ).strip()  # fmt: skip
            await until(pilot, lambda: window in app._table._keys)
            assert "far" in str(app._table.get_cell(window, "name"))
            running_tmux.tmux("kill-window", "-t", window)
            await until(pilot, lambda: window not in app._table._keys)
            assert backend.snapshots == 1
