"""The server holds the Backend interface and nothing else: served over a backend that has no
engine to reach into, it answers every op; kill, rename and capture take no snapshot first (the
operation itself reports a target that is gone); whether tmux runs is what the event stream
says, so ops that need tmux are refused without asking the backend while it is down; and a core
`Resynced` in the stream reaches subscribers as a resync frame carrying its snapshot."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import Any

from tmuxorch.core.backend import Backend, EventSubscription
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import Event, Resynced, TmuxDown
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import Snapshot, TmuxInfo
from tmuxorch.server.listener import HUB_ACTOR

from ..conftest import TmuxFixture
from ..serverkit import served

OPS = frozenset({"snapshot", "send", "keys", "interrupt", "capture", "spawn", "kill", "rename"})


class ScriptedStream:
    """An event stream the test writes to."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.dropped = 0

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()

    async def close(self) -> None:
        pass


class Facade:
    """A Backend and nothing else (no `engine`): counts the ops it is asked for; its events are
    the inner backend's, or `stream`'s when given."""

    def __init__(self, inner: LocalBackend, stream: ScriptedStream | None) -> None:
        self._inner = inner
        self._stream = stream
        self.calls: collections.Counter[str] = collections.Counter()
        self.label = inner.label
        self.connection_state = None
        self.latency = None

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        return None

    async def subscribe(self) -> EventSubscription:
        return self._stream if self._stream is not None else await self._inner.subscribe()

    async def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in OPS:
            raise AttributeError(name)  # e.g. `engine`: the server must not look
        method = getattr(self._inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await method(*args, **kwargs)

        return counted


def facades(
    engine: Engine, stream: ScriptedStream | None = None
) -> tuple[dict[str, Facade], Callable[[str], Backend]]:
    made: dict[str, Facade] = {}

    def factory(actor: str) -> Backend:
        made[actor] = Facade(LocalBackend(engine, actor=actor), stream)
        return made[actor]  # type: ignore[return-value]

    return made, factory


async def test_kill_rename_capture_take_no_snapshot_first(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    made, factory = facades(engine)
    async with served(engine, running_tmux.tmpdir, backend_factory=factory) as s:
        assert made[HUB_ACTOR].calls == {"snapshot": 1}  # whether tmux runs, once at start
        async with s.client() as client:
            spawned = await client.ok("spawn", session="work", command=["sleep", "100000"])
            calls = made["ctl"].calls
            calls.clear()
            assert (await client.ok("capture", target=spawned["pane_id"], lines=5))["lines"] == 5
            await client.ok("rename", target=spawned["window_id"], name="renamed")
            assert await client.error("capture", target="%999") == "not_found"
            assert await client.error("rename", target="@999", name="x") == "not_found"
            assert await client.error("kill", target="$999") == "not_found"
            await client.ok("kill", target=spawned["session_id"])
            assert calls == {"capture": 2, "rename": 2, "kill": 2}  # and no snapshot
        assert "work" not in running_tmux.tmux("list-sessions", "-F", "#{session_name}")


async def test_the_event_stream_says_whether_tmux_runs_and_resyncs_go_out(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    stream = ScriptedStream()
    made, factory = facades(engine, stream)
    async with served(engine, running_tmux.tmpdir, backend_factory=factory) as s:
        hub = s.server.hub
        async with s.client() as client:
            await client.ok("subscribe")
            pane = (await client.ok("snapshot"))["sessions"][0]["windows"][0]["panes"][0]["id"]
            await stream.queue.put(TmuxDown(reason="the test says so"))
            assert (await client.event("tmux_down"))["data"]["reason"] == "the test says so"
            calls = made["ctl"].calls
            calls.clear()
            for op, params in (
                ("send", {"targets": [pane], "text": "x"}),
                ("keys", {"targets": [pane], "keys": ["Enter"]}),
                ("interrupt", {"targets": [pane]}),
                ("capture", {"target": pane}),
                ("kill", {"target": pane}),
                ("rename", {"target": "@0", "name": "x"}),
                ("spawn", {"session": "s", "command": ["sh"]}),
            ):
                assert await client.error(op, **params) == "tmux_unavailable", op
            assert calls == {}  # refused without asking the backend
            assert (await client.ok("snapshot"))["sessions"]  # a snapshot is always answered

            fleet = await engine.snapshot()
            await stream.queue.put(Resynced(reason="caught up", snapshot=fleet))
            resync = await client.event("resync")
            assert resync["seq"] == hub.seq
            assert resync["data"]["reason"] == "caught up"
            assert resync["data"]["status"] == fleet.to_status_document()
            assert (await client.ok("capture", target=pane))["target"] == pane
            assert calls["capture"] == 1

            gone = Snapshot(tmux=TmuxInfo(socket="x", version=None, running=False),
                            sessions=(), taken_at=1.0)  # fmt: skip
            await stream.queue.put(Resynced(reason="tmux stopped", snapshot=gone))
            assert (await client.event("resync"))["data"]["status"]["tmux"]["running"] is False
            assert await client.error("capture", target=pane) == "tmux_unavailable"
