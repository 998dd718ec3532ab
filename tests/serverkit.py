"""Helpers for the server tests: a real `TmuxorchServer` on 127.0.0.1 port 0 over a private tmux
server, and a small protocol client on a real websockets connection that checks every frame the
server sends against the protocol's models."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tmuxorch.core.backend import Backend
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.store import Store
from tmuxorch.protocol.frames import SERVER_FRAME_ADAPTER
from tmuxorch.protocol.results import RESULT_MODELS
from tmuxorch.server.listener import TmuxorchServer
from tmuxorch.server.options import ServerOptions
from tmuxorch.server.tokens import TokenStore


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Client:
    """One protocol client: requests by id, events buffered in arrival order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int | None, dict[str, Any]] = {}
        self._next_id = 0

    async def frame(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame, validated against the protocol's server-frame models."""
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        SERVER_FRAME_ADAPTER.validate_python(frame)
        return frame

    async def pump(self, timeout: float = 5.0) -> None:
        """Read one frame into `events` or `responses`."""
        frame = await self.frame(timeout)
        if frame["type"] == "event":
            self.events.append(frame)
        elif frame["type"] == "response":
            self.responses[frame["id"]] = frame
        else:
            raise AssertionError(f"unexpected frame {frame}")

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def response(self, request_id: int | None, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while request_id not in self.responses:
            await self.pump(max(0.01, deadline - time.monotonic()))
        return self.responses.pop(request_id)

    async def request(self, op: str, timeout: float = 5.0, **params: Any) -> dict[str, Any]:
        """Send a request and return its whole response frame."""
        self._next_id += 1
        request_id = self._next_id
        await self.ws.send(json.dumps({"type": "request", "id": request_id, "op": op, **params}))
        return await self.response(request_id, timeout)

    async def ok(self, op: str, **params: Any) -> dict[str, Any]:
        """The result of a request that must succeed, checked against its op's result model
        strictly (a key the model does not state fails, as a fixture would)."""
        response = await self.request(op, **params)
        assert response["ok"], response
        result: dict[str, Any] = response["result"]
        RESULT_MODELS[op].model_validate(result)
        return result

    async def error(self, op: str, **params: Any) -> str:
        """The error code of a request that must fail."""
        response = await self.request(op, **params)
        assert not response["ok"], response
        code: str = response["error"]["code"]
        return code

    async def event(self, name: str, timeout: float = 5.0) -> dict[str, Any]:
        """The first buffered or coming event called `name` (earlier ones are consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            while self.events:
                event = self.events.pop(0)
                if event["event"] == name:
                    return event
            await self.pump(max(0.01, deadline - time.monotonic()))


@dataclass
class Served:
    """A running server and what the tests need to talk to it."""

    server: TmuxorchServer
    engine: Engine
    store: Store
    tokens: TokenStore
    control: str
    read: str

    @property
    def url(self) -> str:
        return self.server.url

    @asynccontextmanager
    async def client(self, token: str | None = None, **kwargs: Any) -> AsyncIterator[Client]:
        """A connected client (the control token by default) that has read its hello."""
        headers = bearer(token or self.control)
        async with connect(self.url, additional_headers=headers, **kwargs) as ws:
            client = Client(ws)
            client.hello = await client.frame()
            assert client.hello["type"] == "hello"
            yield client


def local_backends(engine: Engine, audit: AuditLog | None = None) -> Callable[[str], Backend]:
    """What `tmuxorch serve` gives its server: a LocalBackend over `engine` per actor."""
    return lambda actor: LocalBackend(engine, audit, actor=actor)


@asynccontextmanager
async def served(
    engine: Engine,
    tmpdir: Path,
    options: ServerOptions | None = None,
    backend_factory: Callable[[str], Backend] | None = None,
) -> AsyncIterator[Served]:
    """A started server over `engine`, with a control and a read token, closed on exit;
    `backend_factory` as the server takes it (default: a LocalBackend per client)."""
    store = Store(tmpdir / "server.db")
    tokens = TokenStore(store)
    control, _ = tokens.create("ctl", "control")
    read, _ = tokens.create("viewer", "read")
    server = TmuxorchServer(
        backend_factory or local_backends(engine, AuditLog(store)), tokens,
        options=options or ServerOptions(port=0),
    )  # fmt: skip
    await server.start()
    try:
        yield Served(server, engine, store, tokens, control, read)
    finally:
        await server.close()
        store.close()


def synthetic(n: int) -> AgentStateChanged:
    """A made-up agent_state event (pane %9000+n in window @900) to publish on a hub."""
    return AgentStateChanged(
        pane_id=f"%{9000 + n}", window_id="@900", session_id="$900", kind="sim",
        state="busy", previous="idle", since=time.time(),
    )  # fmt: skip
