"""The Backend interface: all the CLI and the TUI know about where the fleet lives.

`LocalBackend` embeds the engine; a remote backend (a WebSocket client) implements the same
protocol, so `--connect URL` swaps one for the other without the callers knowing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from tmuxorch.core.engine import Engine
from tmuxorch.core.events import Event
from tmuxorch.core.models import Snapshot


@runtime_checkable
class EventSubscription(Protocol):
    """A live stream of events; close it when done."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def close(self) -> None: ...


class Backend(Protocol):
    """What the faces of tmuxorch need from wherever the tmux server is."""

    @property
    def label(self) -> str:
        """Where the fleet is: a socket path or a URL, shown to the user."""
        ...

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        """The whole fleet now; `activity=True` adds each window's last activity time."""
        ...

    async def subscribe(self) -> EventSubscription:
        """Events from now on (structure changes, tmux down/up)."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks."""
        ...


class LocalBackend:
    """The Backend for a tmux server on this machine, served by an embedded Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def label(self) -> str:
        return str(self.engine.server.socket_path)

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        return await self.engine.snapshot(activity=activity)

    async def subscribe(self) -> EventSubscription:
        return await self.engine.subscribe()

    async def close(self) -> None:
        await self.engine.close()
