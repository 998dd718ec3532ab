"""The TUI over a remote fleet (`tmuxorch --connect URL tui`): it lists the fleet once, and a
change made in tmux reaches its table as event frames alone, without a snapshot document."""

from __future__ import annotations

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.core.engine import Engine
from tmuxorch.core.models import Snapshot
from tmuxorch.tui.app import TmuxorchApp

from ..conftest import TmuxFixture
from ..serverkit import served
from .test_tui_pilot import follows_tmux_from_events_alone


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
        await follows_tmux_from_events_alone(TmuxorchApp(backend), backend, running_tmux)
