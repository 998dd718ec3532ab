"""The Backend interface: all the CLI and the TUI know about where the fleet lives.

`LocalBackend` embeds the engine; a remote backend (a WebSocket client) implements the same
protocol, so `--connect URL` swaps one for the other without the callers knowing. Targets are tmux
ids here: callers resolve TARGET strings against a snapshot first (DESIGN.md safety rule 2).
Every operation that changes tmux is written to the audit log, with who asked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from tmuxorch.core import operations
from tmuxorch.core.audit import AuditLog, local_actor
from tmuxorch.core.delivery import Receipt, deliver
from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import SpawnFailedError
from tmuxorch.core.events import Event
from tmuxorch.core.models import Snapshot
from tmuxorch.core.operations import Spawned


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
        """The whole fleet now, agents and their states included; `activity=True` adds each
        window's last activity time."""
        ...

    async def subscribe(self) -> EventSubscription:
        """Events from now on (structure, agent states, tmux down/up)."""
        ...

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        """Type `text` into each pane and submit it once; a receipt per pane."""
        ...

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        """Press named keys in each pane."""
        ...

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        """Interrupt each agent the way its CLI expects."""
        ...

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        """The last lines of a pane, sanitised."""
        ...

    async def spawn(
        self, session: str, command: Sequence[str], *, name: str | None, kind: str | None
    ) -> Spawned:
        """Start `command` in a new window of `session`, tagged as an agent of `kind`."""
        ...

    async def kill(self, target: str) -> None:
        """Kill a pane, window or session by id."""
        ...

    async def rename(self, target: str, name: str) -> None:
        """Rename a window or session by id."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks."""
        ...


class LocalBackend:
    """The Backend for a tmux server on this machine, served by an embedded Engine."""

    def __init__(self, engine: Engine, audit: AuditLog | None = None, actor: str | None = None):
        self.engine = engine
        self.audit = audit
        self.actor = actor or local_actor()
        self.settings = engine.agents.settings

    @property
    def label(self) -> str:
        return str(self.engine.server.socket_path)

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        raw = await self.engine.snapshot(activity=activity)
        return await self.engine.agents.annotate(raw, sweep=not self.engine.watching)

    async def _kinds_only(self) -> Snapshot:
        """A snapshot whose agents have their kinds, without a sweep of every agent's screen
        when each is already tracked: send and interrupt read their targets' screens
        themselves (a CLI `send` used to capture every agent twice before typing)."""
        return await self.engine.agents.annotate(await self.engine.snapshot(), sweep=False)

    async def subscribe(self) -> EventSubscription:
        return await self.engine.subscribe()

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        receipts = await deliver(
            self.engine.agents, await self._kinds_only(), targets, text, enter=enter, force=force,
            enter_delay=self.settings.enter_delay, submit_timeout=self.settings.submit_timeout,
        )  # fmt: skip
        self._record("send", targets, receipts, text)
        return receipts

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        receipts = await operations.send_keys(
            self.engine, await self.engine.snapshot(), targets, keys
        )
        self._record("keys", targets, receipts, " ".join(keys))
        return receipts

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        receipts = await operations.interrupt(self.engine.agents, await self._kinds_only(), targets)
        self._record("interrupt", targets, receipts)
        return receipts

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        return await operations.capture(self.engine, target, lines, colours=colours)

    async def spawn(
        self, session: str, command: Sequence[str], *, name: str | None, kind: str | None
    ) -> Spawned:
        argv = json.dumps(list(command), ensure_ascii=False)  # audited as the argv it is
        try:
            spawned = await operations.spawn(
                self.engine.agents, await self.engine.snapshot(), session, command,
                name=name, kind=kind,
            )  # fmt: skip
        except SpawnFailedError as exc:  # it ran, if only for a moment: that is audited too
            failed = Receipt(target=exc.pane_id, status="failed", detail=str(exc))
            self._record("spawn", [exc.pane_id], [failed], argv)
            raise
        self._record("spawn", [spawned.pane_id], [], argv)
        return spawned

    async def kill(self, target: str) -> None:
        await operations.kill(self.engine, target)
        self._record("kill", [target], [])

    async def rename(self, target: str, name: str) -> None:
        await operations.rename(self.engine, target, name)
        self._record("rename", [target], [], name)

    async def close(self) -> None:
        await self.engine.close()

    def _record(
        self, op: str, targets: Sequence[str], receipts: Sequence[Receipt], text: str | None = None
    ) -> None:
        if self.audit is not None:
            self.audit.record(
                self.actor, op, list(targets), [r.model_dump() for r in receipts], text
            )
