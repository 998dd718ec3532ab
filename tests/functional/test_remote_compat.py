"""RemoteBackend against servers that are not this tmuxorch's: a newer server of the same
protocol version (keys this client does not know, in every frame, result and event) is read as
if they were not there; a server of another protocol version is refused with one line saying
both versions. Small stand-in servers on 127.0.0.1 port 0, real websockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.events import TmuxUp
from tmuxorch.core.models import Receipt

NEWER = {"added_in_a_later_release": {"nested": [1, 2]}}


def status_document() -> dict[str, Any]:
    pane = {
        "id": "%1", "index": 0, "active": True, "pid": 42, "command": "sh", "cwd": "/",
        "dead": False, "width": 80, "height": 24, "agent": None, "dead_status": None,
        "window_id": "@1", "session_id": "$1", **NEWER,
    }  # fmt: skip
    window = {"id": "@1", "index": 0, "name": "w", "active": True, "kind": "shell",
              "panes": [pane], "activity": None, "session_id": "$1", **NEWER}  # fmt: skip
    session = {"id": "$1", "name": "s", "attached": False, "created": 1, "windows": [window],
               "attached_clients": 0, **NEWER}  # fmt: skip
    return {"schema": "tmuxorch.status/1", "tmux": {"socket": "/s", "version": "9.9",
            "running": True, **NEWER}, "sessions": [session], "taken_at": 1.0, **NEWER}  # fmt: skip


def newer_server(protocol: int) -> Callable[[ServerConnection], Any]:
    async def handler(ws: ServerConnection) -> None:
        hello = {"type": "hello", "protocol": protocol, "server": "tmuxorch 9.0",
                 "scope": "control", "instance": "run", "seq": 0, **NEWER}  # fmt: skip
        await ws.send(json.dumps(hello))
        async for message in ws:
            request = json.loads(message)
            op = request["op"]
            result: dict[str, Any] = {
                "snapshot": status_document(),
                "send": {
                    "receipts": [{"target": "%1", "status": "delivered", "detail": "", **NEWER}]
                },
                "subscribe": {"seq": 0, "replayed": 0, "resync": False},
            }[op]
            frame = {"type": "response", "id": request["id"], "ok": True, "result": {**result,
                     **NEWER}, **NEWER}  # fmt: skip
            await ws.send(json.dumps(frame))
            if op == "subscribe":
                event = {"type": "event", "seq": 1, "event": "tmux_up", "data": {"at": 5.0,
                         "version": "9.9", **NEWER}, **NEWER}  # fmt: skip
                unknown = {"type": "event", "seq": 2, "event": "from_a_later_release", "data": {}}
                again = {"type": "event", "seq": 3, "event": "tmux_up", "data": {"at": 6.0,
                         "version": "9.9"}}  # fmt: skip
                for frame in (event, unknown, again):
                    await ws.send(json.dumps(frame))

    return handler


@asynccontextmanager
async def standing_in(protocol: int) -> AsyncIterator[RemoteBackend]:
    async with serve(newer_server(protocol), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        remote = RemoteBackend(f"ws://127.0.0.1:{port}", "tmo_x", open_timeout=5)
        try:
            yield remote
        finally:
            await remote.close()


async def test_a_newer_server_of_the_same_version_is_read_without_its_new_keys() -> None:
    async with standing_in(1) as remote:
        snapshot = await remote.snapshot()
        assert snapshot.tmux.version == "9.9"
        assert [p.id for p in snapshot.panes()] == ["%1"]
        assert await remote.send(["%1"], "hi") == [Receipt(target="%1", status="delivered")]
        assert remote.scope == "control"
        subscription = await remote.subscribe()
        assert await anext(subscription) == TmuxUp(at=5.0, version="9.9")
        assert await anext(subscription) == TmuxUp(at=6.0, version="9.9")  # unknown one skipped
        assert (remote.feed.last_seq, remote.feed.gaps) == (3, 0)
        await subscription.close()


async def test_a_server_of_another_protocol_version_is_refused_in_one_line() -> None:
    async with standing_in(2) as remote:
        with pytest.raises(TmuxUnavailableError) as info:
            await remote.snapshot()
    message = str(info.value)
    assert message.endswith("speaks protocol 2; this tmuxorch speaks 1")
    assert "\n" not in message
