"""The attackers of `bench attack`, each run in its own process (so they do not share the GIL or
the event loop of the client being timed) until its `stop` event is set: clients we did not write,
on raw sockets or websockets, against a server on 127.0.0.1.

- `ping_flood`: connections with a read token that send pings and never read a byte; each one
  that is cut reconnects.
- `idle_flood`: TCP connections that never send a byte (and ignore what they are sent); each
  one the server closes is opened again at once (what exhausted the descriptors in issue 11).
- `capture_flood`: read-token connections that each keep `depth` captures of a long pane in
  flight, sending a new one as each answer arrives.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import resource
import selectors
import socket
import struct
import threading
from multiprocessing.synchronize import Event

from websockets.asyncio.client import ClientConnection, connect

PING = b"\x89\xfd" + struct.pack("!I", 0x01020304) + bytes(125)
"""A masked ping frame with the largest payload a ping may have (125 bytes)."""


def upgrade(port: int, token: str) -> socket.socket:
    """A raw socket past the WebSocket opening handshake, with a tiny receive buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade"
        f"\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError(head.decode(errors="replace"))
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))
    return sock


def ping_flood(port: int, token: str, connections: int, stop: Event) -> None:
    def one() -> None:
        batch = PING * 500
        while not stop.is_set():
            try:
                sock = upgrade(port, token)
            except OSError:
                stop.wait(0.2)
                continue
            with contextlib.suppress(OSError), sock:
                while not stop.is_set():
                    sock.sendall(batch)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    stop.wait()


def idle_flood(port: int, connections: int, source: str, stop: Event) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    connections = min(connections, hard - 64)
    selector = selectors.DefaultSelector()

    def open_one() -> None:
        sock = socket.socket()
        sock.bind((source, 0))
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(("127.0.0.1", port))
        selector.register(sock, selectors.EVENT_READ)

    for _ in range(connections):
        open_one()
    while not stop.is_set():
        for key, _ in selector.select(timeout=0.1):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                if sock.recv(4096):
                    continue  # an answer (503): ignored, as an idle flood would
            except OSError:
                pass
            selector.unregister(sock)
            sock.close()
            open_one()
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]


def capture_flood(
    url: str, token: str, pane: str, clients: int, depth: int, lines: int, stop: Event
) -> None:
    asyncio.run(_captures(url, token, pane, clients, depth, lines, stop))


async def _captures(
    url: str, token: str, pane: str, clients: int, depth: int, lines: int, stop: Event
) -> None:
    async def one() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(url, additional_headers=headers, max_size=None) as ws:
            await ws.recv()  # hello
            for n in range(depth):
                await _capture(ws, n, pane, lines)
            n = depth
            while not stop.is_set():
                await ws.recv()
                n += 1
                await _capture(ws, n, pane, lines)

    async def again() -> None:  # a client that was cut comes back
        while not stop.is_set():
            with contextlib.suppress(Exception):
                await one()

    tasks = [asyncio.create_task(again()) for _ in range(clients)]
    await asyncio.to_thread(stop.wait)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _capture(ws: ClientConnection, n: int, pane: str, lines: int) -> None:
    request = {"type": "request", "id": n, "op": "capture", "target": pane, "lines": lines}
    await ws.send(json.dumps(request))
