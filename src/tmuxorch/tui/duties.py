"""What the TUI does for the fleet besides showing it: notify (tui/notifications.py) and, for
a fleet on this machine, run its schedules (usecases/runner.py: only one watching
process does at a time, the TUI perhaps). Started with the live feed, stopped on exit."""

from __future__ import annotations

import asyncio

from textual.app import App

from tmuxorch.core.backend import Backend
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.tui.notifications import AgentNotifications
from tmuxorch.usecases.runner import start_runner, stop_runner


class Duties:
    def __init__(self, app: App[None], backend: Backend, notify: NotifyConfig | None) -> None:
        self.notes = AgentNotifications(app, backend, notify)
        self._app, self._backend = app, backend
        self._scheduling: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the fleet's schedules here once no other process does (a failure is a toast)."""
        self._scheduling = start_runner(self._backend, self._report)

    def _report(self, line: str) -> None:
        self._app.notify(line, severity="warning", timeout=8)

    async def close(self) -> None:
        await stop_runner(self._scheduling)
        await self.notes.close()
