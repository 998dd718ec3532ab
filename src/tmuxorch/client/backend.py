"""`RemoteBackend`: the Backend interface over one WebSocket to a `tmuxorch serve`.

`--connect URL` hands the CLI and the TUI one of these instead of a LocalBackend; they cannot
tell the difference: each op is one request on the link (client.link) and its result is read
with the op's result model (protocol.results), the same one the server answered with; an error
response raises the exception the protocol's error table names, as the core would have.

Events: the first local subscriber starts the server-side subscription, which every local
subscriber then shares (client.subscription); after a reconnect it resumes with `subscribe` +
`since` (the last seq seen) + the server's `instance`, so events are neither lost nor repeated.
When the server cannot replay (it restarted, or the missed events are gone) its `resync` reaches
subscribers as core `Resynced(reason, snapshot)`.

Changes (send, keys, interrupt, spawn, kill, rename) carry a fresh `request_id` each, so one
cut off by a dropped connection is sent again once reconnected, with the same id: the server
answers it with the first answer, and a text is never typed twice (client.link).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from tmuxorch.client.dialing import check_url
from tmuxorch.client.errors import ConnectionLostError, RefusedError
from tmuxorch.client.link import Link, LinkOptions
from tmuxorch.client.subscription import EventFeed, RemoteSubscription
from tmuxorch.core.backend import ConnectionState
from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.core.frozen import Frozen
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned
from tmuxorch.core.restart_policy import RestartPolicy, Revival
from tmuxorch.core.schedules.records import Schedule, ScheduleList
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.core.tasks.records import Task, TaskList
from tmuxorch.protocol.errors import RemoteOperationError
from tmuxorch.protocol.frames import EventFrame, read_result
from tmuxorch.protocol.results import (
    RESULT_MODELS,
    CaptureResult,
    Empty,
    PingResult,
    ReceiptsResult,
    StatusDocument,
    SubscribeResult,
)

M = TypeVar("M", bound=Frozen)


class RemoteBackend:
    """The Backend of a fleet served by `tmuxorch serve` at `url` (see the module docstring).

    For a status line: `connection_state` (disconnected, connecting, live, reconnecting, refused,
    closed), `latency` (seconds, from the last WebSocket ping; None before the first), `scope`
    (of the token, from the server's hello), `feed.last_seq`, `feed.resyncs`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        open_timeout: float = 5.0,
        request_timeout: float = 60.0,
        reconnect_wait: float = 10.0,
        backoff: tuple[float, float] | None = None,
        ping_interval: float | None = 10.0,
        ping_timeout: float | None = 10.0,
        event_queue: int = 10_000,
        **connect_options: Any,
    ) -> None:
        self.url = check_url(url)
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise BadInputError("the token is empty or has characters a token cannot have")
        options = LinkOptions(
            open_timeout=open_timeout, request_timeout=request_timeout,
            reconnect_wait=reconnect_wait, ping_interval=ping_interval, ping_timeout=ping_timeout,
            **({} if backoff is None else {"backoff": backoff}),
        )  # fmt: skip
        self.link = Link(self.url, token, self, options, connect_options)
        """The connection (its `hello`, `reconnects`)."""
        self.feed = EventFeed(self.url)
        """The event stream's bookkeeping (`last_seq`, `instance`, `resyncs`, `gaps`...)."""
        self.event_queue = event_queue
        self._subscribing = asyncio.Lock()  # binds to the running loop on first use
        self._server_subscribed = False
        self.server_seq: int | None = None
        """The server's last event seq as of the last `ping()` (None before one)."""

    def __repr__(self) -> str:
        return f"RemoteBackend({self.url!r}, state={self.link.state})"

    # -- status ---------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.url

    @property
    def connection_state(self) -> ConnectionState:
        return self.link.state

    @property
    def latency(self) -> float | None:
        """The round trip of the last WebSocket ping, in seconds (None before one came back)."""
        return self.link.latency

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        """None: a pane on another host is attached to by running tmuxorch there."""
        return None

    @property
    def scope(self) -> str | None:
        hello = self.link.hello
        return None if hello is None else hello.scope

    # -- the Backend interface ------------------------------------------------------------------

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        params = {"activity": True} if activity else {}
        return (await self._call(StatusDocument, "snapshot", params, retry=True)).snapshot()

    async def subscribe(self) -> RemoteSubscription:
        """Events from now on. The first subscriber starts the server-side subscription."""
        for attempt in (1, 2):
            await self.link.ensure_connected()
            subscription = RemoteSubscription(self.event_queue, self._drop)
            async with self._subscribing:
                self.feed.subscribers.add(subscription)
                if self._server_subscribed:
                    return subscription
                try:
                    await self._subscribe_now(since=None)
                except ConnectionLostError:
                    self.feed.subscribers.discard(subscription)
                    if attempt == 2:
                        raise
                    continue
                except BaseException:
                    self.feed.subscribers.discard(subscription)
                    raise
                return subscription
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        if not targets:
            return []
        params: dict[str, Any] = {"targets": list(targets), "text": text, "enter": enter}
        if force:
            params["force"] = True
        return (await self._change(ReceiptsResult, "send", params)).receipts

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        if not keys:
            raise BadInputError("no keys given")
        if not targets:
            return []
        params = {"targets": list(targets), "keys": list(keys)}
        return (await self._change(ReceiptsResult, "keys", params)).receipts

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        if not targets:
            return []
        params = {"targets": list(targets)}
        return (await self._change(ReceiptsResult, "interrupt", params)).receipts

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        params: dict[str, Any] = {"target": target, "lines": lines}
        if colours:
            params["colours"] = True
        return (await self._call(CaptureResult, "capture", params, retry=True)).text

    async def explain(self, target: str) -> Explanation:
        return await self._call(Explanation, "explain", {"target": target}, retry=True)

    async def spawn(
        self,
        session: str,
        command: Sequence[str],
        *,
        name: str | None,
        kind: str | None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        fleet: str | None = None,
        restart: RestartPolicy | None = None,
    ) -> Spawned:
        if not command or not any(command):
            raise BadInputError("no command given (put it after --)")
        params: dict[str, Any] = {"session": session, "command": list(command)}
        optional = {"name": name, "kind": kind, "cwd": cwd, "fleet": fleet}
        params.update((key, value) for key, value in optional.items() if value is not None)
        if env:
            params["env"] = dict(env)
        if restart is not None:
            params["restart"] = restart.plain()
        return await self._change(Spawned, "spawn", params)

    async def revive(self, pane_id: str) -> Revival:
        raise BadInputError("restarts are done on the host, by the `tmuxorch serve` there")

    async def kill(self, target: str) -> None:
        await self._change(Empty, "kill", {"target": target})

    @property
    def schedule_server(self) -> str | None:
        return None  # the remote `tmuxorch serve` runs its fleet's schedules

    async def schedule_add(self, targets: Sequence[str], text: str, trigger: Trigger) -> Schedule:
        params = {"targets": list(targets), "text": text, "trigger": trigger.plain()}
        return await self._change(Schedule, "schedule.add", params)

    async def schedules(self, *, everything: bool = False) -> ScheduleList:
        params = {"everything": True} if everything else {}
        return await self._call(ScheduleList, "schedule.list", params, retry=True)

    async def schedule_cancel(self, schedule_id: int) -> Schedule:
        return await self._change(Schedule, "schedule.cancel", {"schedule": schedule_id})

    async def queue_add(
        self, text: str, *, kind: str | None = None, session: str | None = None,
        agents: Sequence[str] = (), priority: int = 0,
    ) -> Task:  # fmt: skip
        given = {"kind": kind, "session": session, "agents": list(agents) or None,
                 "priority": priority or None}  # fmt: skip
        params = {"text": text, **{k: v for k, v in given.items() if v is not None}}
        return await self._change(Task, "queue.add", params)

    async def queue(self, *, everything: bool = False) -> TaskList:
        params = {"everything": True} if everything else {}
        return await self._call(TaskList, "queue.list", params, retry=True)

    async def queue_cancel(self, task_id: int) -> Task:
        return await self._change(Task, "queue.cancel", {"task": task_id})

    async def queue_pause(self, paused: bool) -> TaskList:
        return await self._change(TaskList, "queue.pause" if paused else "queue.resume", {})

    async def rename(self, target: str, name: str) -> None:
        await self._change(Empty, "rename", {"target": target, "name": name})

    async def ping(self) -> float:
        """The round trip of a `ping` request, in seconds; `server_seq` is then the server's
        last event seq (`server_seq - last_seq`: the events a subscriber has yet to get)."""
        started = time.monotonic()
        self.server_seq = (await self._call(PingResult, "ping", {}, retry=True)).seq
        return time.monotonic() - started

    async def close(self) -> None:
        """Close the connection, stop reconnecting, end every subscription."""
        if self.link.state == "closed":
            return
        await self.link.close()
        self.feed.finish()
        self.feed.subscribers.clear()

    async def __aenter__(self) -> RemoteBackend:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- requests -------------------------------------------------------------------------------

    async def _call(
        self, model: type[M], op: str, params: dict[str, Any], *, retry: bool = False
    ) -> M:
        """One request, its result read with `model` (the op's result model)."""
        assert RESULT_MODELS[op] is model, op
        result = await self.link.call(op, params, retry=retry)
        try:
            return read_result(model, result)
        except ValidationError as exc:
            raise RemoteOperationError(f"the server sent an invalid {op} result: {exc}") from None

    async def _change(self, model: type[M], op: str, params: dict[str, Any]) -> M:
        """A request that changes tmux, with a request_id of its own: sent again with the same
        id when the connection drops before the answer (the server acts once)."""
        return await self._call(model, op, {**params, "request_id": uuid.uuid4().hex}, retry=True)

    async def _subscribe_now(self, *, since: int | None, instance: str | None = None) -> None:
        """Ask the server for events (after `since`); the caller holds the subscribing lock."""
        params: dict[str, Any] = {}
        if since is not None:
            params["since"] = since
            if instance is not None:
                params["instance"] = instance
        hello = self.link.hello
        connected = None if hello is None else hello.instance

        def subscribed(result: dict[str, Any]) -> None:
            self.feed.subscribed(read_result(SubscribeResult, result), connected)

        await self.link.request("subscribe", params, on_result=subscribed)
        self._server_subscribed = True

    async def _drop(self, subscription: RemoteSubscription) -> None:
        """A local subscription closed; the last one ends the server-side subscription."""
        self.feed.subscribers.discard(subscription)
        if self.feed.subscribers or not self._server_subscribed or not self.link.live:
            return
        async with self._subscribing:
            if self.feed.subscribers or not self._server_subscribed or not self.link.live:
                return
            self._server_subscribed = False
            with contextlib.suppress(TmuxorchError):
                await self.link.request("unsubscribe", {})

    # -- what the link tells (LinkListener) -----------------------------------------------------

    def link_event(self, frame: EventFrame) -> None:
        self.feed.on_frame(frame)

    async def link_opened(self, link: Link) -> None:
        """Resume the event stream where it was, before the link is live again."""
        if self.feed.subscribers:
            async with self._subscribing:
                await self._subscribe_now(since=self.feed.last_seq, instance=self.feed.instance)

    def link_lost(self) -> None:
        self._server_subscribed = False

    def link_refused(self, error: RefusedError) -> None:
        self.feed.finish(error)
