"""The fan-out benchmark's clients (bench/fanout.py): worker processes of WebSocket clients that
check every event's seq and time its arrival, and the merge of their statistics.

The workers are separate processes so they do not share the server's event loop. By default
their clients are minimal RFC 6455 clients (`raw`): websockets' own asyncio client costs ~5x the
server's CPU per message. The stalled client is always a websockets client.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
"""The project root: client workers import `bench` from there."""
BUCKET_MS = 0.1
"""Latency histogram resolution."""
NO_PROGRESS_S = 20.0
"""A worker gives up when no event arrived for this long (then counts the rest as lost)."""


# -- the client worker process ------------------------------------------------------------------


async def _reader(url: str, token: str, expected: int, stats: dict[str, Any], ready: Any) -> None:
    """One websockets asyncio client reading every event (`--client asyncio`)."""
    from websockets.asyncio.client import connect

    headers = {"Authorization": f"Bearer {token}"}
    async with connect(url, additional_headers=headers, max_size=None, open_timeout=60) as ws:
        await ws.recv()  # hello
        await ws.send('{"type": "request", "id": 1, "op": "subscribe"}')
        reader = argparse.Namespace(
            stats=stats, last=json.loads(await ws.recv())["result"]["seq"], got=0
        )
        ready()
        while reader.got < expected:
            try:
                raw = await asyncio.wait_for(ws.recv(), NO_PROGRESS_S)
            except TimeoutError:
                break
            arrived = time.time()
            frame = json.loads(raw)
            if frame.get("type") == "event":
                _count(reader, frame, arrived)
        stats["lost"] += expected - reader.got


class _RawReader(asyncio.Protocol):
    """A minimal RFC 6455 client (`--client raw`): the opening handshake with its
    Sec-WebSocket-Accept checked, then the server's unmasked frames parsed by hand, and pings
    answered with masked pongs."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url: str, token: str, expected: int, stats: dict[str, Any]) -> None:
        self.url = url
        self.token = token
        self.expected = expected
        self.stats = stats
        self.key = base64.b64encode(os.urandom(16))
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.last: int | None = None
        self.got = 0
        loop = asyncio.get_running_loop()
        self.subscribed: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host = self.url.removeprefix("ws://").rstrip("/")
        transport.write(
            f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self.key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {self.token}\r\n\r\n".encode()
        )

    def send(self, opcode: int, payload: bytes) -> None:
        """One masked frame (clients must mask), payload under 126 bytes."""
        assert self.transport is not None
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        buffer = self.buffer
        buffer += data
        if not self.handshaken:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1")
            del buffer[: end + 4]
            accept = base64.b64encode(hashlib.sha1(self.key + self.GUID).digest()).decode()
            if " 101 " not in head.split("\r\n", 1)[0] or accept not in head:
                raise ConnectionError(f"handshake refused: {head.splitlines()[0]}")
            self.handshaken = True
            self.send(0x1, b'{"type":"request","id":1,"op":"subscribe"}')
        while len(buffer) >= 2:
            length = buffer[1] & 0x7F
            start = 2
            if length == 126:
                if len(buffer) < 4:
                    return
                length = int.from_bytes(buffer[2:4], "big")
                start = 4
            elif length == 127:
                if len(buffer) < 10:
                    return
                length = int.from_bytes(buffer[2:10], "big")
                start = 10
            if len(buffer) < start + length:
                return
            opcode = buffer[0] & 0x0F
            payload = bytes(buffer[start : start + length])
            del buffer[: start + length]
            if opcode == 0x1:
                self._message(json.loads(payload), arrived)
            elif opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x8:
                assert self.transport is not None
                self.transport.close()
                return

    def _message(self, frame: dict[str, Any], arrived: float) -> None:
        if frame["type"] == "response":
            self.last = frame["result"]["seq"]
            self.subscribed.set_result(None)
        elif frame["type"] == "event" and self.last is not None:
            _count(self, frame, arrived)
            if self.got >= self.expected and not self.done.done():
                self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.subscribed, self.done):
            if not future.done():
                future.set_exception(ConnectionError("connection lost"))


def _count(reader: Any, frame: dict[str, Any], arrived: float) -> None:
    """Check one event's seq against the last one and file its latency."""
    stats = reader.stats
    seq = frame["seq"]
    if seq == reader.last + 1:
        reader.got += 1
    elif seq > reader.last + 1:
        stats["gaps"] += 1
        stats["lost"] += seq - reader.last - 1
        reader.got += seq - reader.last
    else:
        stats["out_of_order"] += 1
        return
    reader.last = seq
    bucket = int((arrived - frame["data"]["at"]) * 1000 / BUCKET_MS)
    histogram = stats["histogram"]
    histogram[bucket] = histogram.get(bucket, 0) + 1
    stats["received"] += 1


async def _raw_reader(
    url: str, token: str, expected: int, stats: dict[str, Any], ready: Any
) -> None:
    host, port = url.removeprefix("ws://").rsplit(":", 1)
    loop = asyncio.get_running_loop()
    transport, reader = await loop.create_connection(
        lambda: _RawReader(url, token, expected, stats), host, int(port)
    )
    try:
        await asyncio.wait_for(reader.subscribed, 60)
        ready()
        while reader.got < expected:
            before = reader.got
            try:
                await asyncio.wait_for(asyncio.shield(reader.done), NO_PROGRESS_S)
            except TimeoutError:
                if reader.got == before:
                    break
        stats["lost"] += expected - reader.got
    finally:
        transport.close()


async def _stalled(url: str, token: str, ready: Any) -> None:
    from websockets.asyncio.client import connect

    host, port = url.removeprefix("ws://").rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    headers = {"Authorization": f"Bearer {token}"}
    async with connect(
        url, sock=sock, additional_headers=headers, max_queue=1, close_timeout=0.5
    ) as ws:
        await ws.recv()
        await ws.send('{"type": "request", "id": 1, "op": "subscribe"}')
        ready()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF


async def _worker(mode: str, url: str, token: str, clients: int, expected: int) -> None:
    stats: dict[str, Any] = {
        "received": 0, "lost": 0, "gaps": 0, "out_of_order": 0, "histogram": {},
    }  # fmt: skip
    pending = [clients]

    def ready() -> None:
        pending[0] -= 1
        if pending[0] == 0:
            print("ready", flush=True)

    if mode == "stall":
        await _stalled(url, token, ready)
    else:
        read = _raw_reader if mode == "raw" else _reader
        await asyncio.gather(*(read(url, token, expected, stats, ready) for _ in range(clients)))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(stats), flush=True)


def worker_main() -> None:
    """Entry point of a client worker: MODE URL TOKEN CLIENTS EVENTS."""
    mode, url, token, clients, expected = sys.argv[1:6]
    asyncio.run(_worker(mode, url, token, int(clients), int(expected)))


class Workers:
    """Client worker processes; their clients are all subscribed once `start()` returns."""

    def __init__(self) -> None:
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, mode: str, url: str, token: str, clients: int, expected: int) -> None:
        code = "from bench.fanout_clients import worker_main; worker_main()"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, mode, url, token, str(clients), str(expected),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            cwd=ROOT, limit=1 << 24,
        )  # fmt: skip
        self.processes.append(process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 120)
        if line.strip() != b"ready":
            raise RuntimeError(f"bench: a client worker failed to start ({line!r})")

    async def results(self) -> list[dict[str, Any]]:
        """Every worker's statistics (stalled workers are told to finish first)."""
        out = []
        for process in self.processes:
            assert process.stdin is not None
            assert process.stdout is not None
            process.stdin.close()
            line = await asyncio.wait_for(process.stdout.readline(), 300)
            out.append(json.loads(line))
            await process.wait()
        self.processes.clear()
        return out

    def kill(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' statistics as one: counts summed, percentiles from the merged histogram."""
    histogram: dict[int, int] = {}
    for result in results:
        for bucket, count in result["histogram"].items():
            histogram[int(bucket)] = histogram.get(int(bucket), 0) + count
    total = sum(histogram.values())

    def percentile(p: float) -> float | None:
        if not total:
            return None
        rank = p * total
        seen = 0
        for bucket in sorted(histogram):
            seen += histogram[bucket]
            if seen >= rank:
                return round((bucket + 1) * BUCKET_MS, 2)
        return None

    return {
        "received": sum(r["received"] for r in results),
        "lost": sum(r["lost"] for r in results),
        "gaps": sum(r["gaps"] for r in results),
        "out_of_order": sum(r["out_of_order"] for r in results),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": round((max(histogram) + 1) * BUCKET_MS, 2) if histogram else None,
    }
