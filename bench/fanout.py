"""Fan-out benchmark: one `tmuxorch serve` feeding events to many WebSocket clients.

Why: DESIGN.md promises one engine stream shared by every subscriber, each with a bounded queue,
contiguous seqs, and a client that stops reading evicted instead of growing the server's memory.
A real TmuxorchServer listens on 127.0.0.1 over a throwaway tmux fleet; the clients run in
separate worker processes (so they do not share the server's event loop). By default they are
minimal RFC 6455 clients (`--client raw`): websockets' own asyncio client costs ~5x the server's
CPU per message, so 200 of them on the same small machine would measure the clients' backlog
rather than the server (`--client asyncio` uses it anyway). The stalled client is always a
websockets client.

1. fanout: --clients subscribers; --events synthetic events are published straight into the
   server's hub at --rate events/s. Every client checks that each seq arrives once and in order,
   and times each event from just before it was published (its `at`, wall clock, set then) to its
   arrival in the client.
2. stalled: the same again, but one of the clients subscribes and then never reads (a 4 KiB
   receive buffer, websockets' read queue of one frame). The others must lose nothing and keep
   their p99 within 20 % of run 1; the stalled one must be disconnected within 2 s of its queue on
   the server passing --outbox-limit bytes.
3. tmux: `tmux new-window` on the fleet (a separate `tmux` process, as another user would), timed
   until `window_added` reaches a subscribed WebSocket client.
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
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fleet import PANE_COMMAND, Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.store import Store
from tmuxorch.core.tmux_server import TmuxServer
from tmuxorch.server.server import ServerOptions, TmuxorchServer
from tmuxorch.server.tokens import TokenStore

P99_TARGET_MS = 50.0
STALLED_P99_SLACK = 1.20
EVICT_TARGET_S = 2.0
TMUX_TARGET_MS = 150.0
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["cpu_s"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(stats), flush=True)


def worker_main() -> None:
    """Entry point of a client worker: MODE URL TOKEN CLIENTS EVENTS."""
    mode, url, token, clients, expected = sys.argv[1:6]
    asyncio.run(_worker(mode, url, token, int(clients), int(expected)))


# -- the server side ----------------------------------------------------------------------------


class Workers:
    """Client worker processes; their clients are all subscribed once `start()` returns."""

    def __init__(self) -> None:
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self, mode: str, url: str, token: str, clients: int, expected: int) -> None:
        code = "from bench.fanout import worker_main; worker_main()"
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


async def _publish(server: TmuxorchServer, events: int, rate: float) -> float:
    """Publish `events` synthetic agent_state events at `rate` per second (in 5 ms ticks);
    returns the seconds it took."""
    tick = 0.005
    per_tick = rate * tick
    started = time.monotonic()
    budget = 0.0
    sent = 0
    next_tick = started
    while sent < events:
        budget += per_tick
        while budget >= 1 and sent < events:
            budget -= 1
            server.hub.publish(_synthetic(sent))
            sent += 1
        next_tick += tick
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    return time.monotonic() - started


def _synthetic(n: int) -> AgentStateChanged:
    """An agent_state event of a realistic size, stamped with the time just before publishing."""
    now = time.time()
    return AgentStateChanged(
        pane_id=f"%{n % 1000}", window_id="@1", session_id="$1", kind="claude",
        state="busy" if n % 2 else "idle", previous="idle" if n % 2 else "busy",
        since=now, at=now,
    )  # fmt: skip


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
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


async def _fanout_run(
    server: TmuxorchServer, token: str, args: argparse.Namespace, *, stalled: bool
) -> dict[str, Any]:
    workers = Workers()
    try:
        reading = args.clients - 1 if stalled else args.clients  # the stalled one among them
        per_worker = [reading // args.workers] * args.workers
        per_worker[0] += reading - sum(per_worker)
        for count in per_worker:
            await workers.start(args.client, server.url, token, count, args.events)
        evictions_before = server.evictions
        if stalled:
            await workers.start("stall", server.url, token, 1, args.events)
        subscribers = server.hub.subscribers
        cpu = sum(os.times()[:2])
        seconds = await _publish(server, args.events, args.rate)
        results = await workers.results()
        cpu = sum(os.times()[:2]) - cpu
    finally:
        workers.kill()
    readers = results[: args.workers]
    record = _merge(readers)
    record.update(
        server_cpu_s=round(cpu, 2),
        client_cpu_s=round(sum(r["cpu_s"] for r in readers), 2),
        subscribers=subscribers,
        publish_s=round(seconds, 2),
        rate=round(args.events / seconds, 1),
    )
    if stalled:
        record["evicted"] = server.evictions - evictions_before
        delays = server.eviction_delays
        record["evict_s"] = round(delays[-1], 3) if delays and record["evicted"] else None
    return record


async def _tmux_run(
    server: TmuxorchServer, token: str, target: Fleet, windows: int
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    times: list[float] = []
    missed = 0
    headers = {"Authorization": f"Bearer {token}"}
    async with connect(server.url, additional_headers=headers) as ws:
        await ws.recv()
        await ws.send('{"type": "request", "id": 1, "op": "subscribe"}')
        await ws.recv()
        for _ in range(windows):
            started = time.perf_counter()
            argv = target.argv(
                "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "bench000", PANE_COMMAND
            )  # fmt: skip
            process = await asyncio.create_subprocess_exec(
                *argv, stdout=asyncio.subprocess.PIPE, env=target.env
            )
            try:
                async with asyncio.timeout(5):
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame.get("event") == "window_added":
                            times.append((time.perf_counter() - started) * 1000)
                            break
            except TimeoutError:
                missed += 1
            out, _ = await process.communicate()
            target.tmux("kill-window", "-t", out.decode().strip())
    return {
        "windows": windows,
        "missed": missed,
        "median_ms": round(statistics.median(times), 2) if times else None,
        "max_ms": round(max(times), 2) if times else None,
    }


async def measure(target: Fleet, args: argparse.Namespace) -> dict[str, Any]:
    """Serve the fleet, then run the three measurements."""
    with tempfile.TemporaryDirectory(prefix="tmuxorch-bench-db-") as tmp:
        store = Store(Path(tmp) / "bench.db")
        token, _ = TokenStore(store).create("bench", "read")
        options = ServerOptions(
            port=0, max_connections=args.clients + 16, outbox_limit=args.outbox_limit
        )
        async with Engine(TmuxServer(socket_path=target.socket_path)) as engine:
            server = TmuxorchServer(engine, TokenStore(store), options=options)
            await server.start()
            try:
                progress(f"fanout: {args.clients} clients, {args.events} events at {args.rate:g}/s")
                fanout = await _fanout_run(server, token, args, stalled=False)
                progress("stalled: the same with one client that stops reading")
                stalled = await _fanout_run(server, token, args, stalled=True)
                progress(f"tmux: {args.windows} windows created with `tmux new-window`")
                tmux = await _tmux_run(server, token, target, args.windows)
            finally:
                await server.close()
        store.close()
    return {
        "bench": "fanout",
        "clients": args.clients,
        "events": args.events,
        "rate": args.rate,
        "workers": args.workers,
        "outbox_limit": args.outbox_limit,
        "cpus": os.cpu_count(),
        "fanout": fanout,
        "stalled": stalled,
        "tmux": tmux,
    }


def _targets(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    f, s, t = record["fanout"], record["stalled"], record["tmux"]
    clients = record["clients"]
    limit = record["outbox_limit"] / (1 << 20)
    return [
        (
            f"{clients} clients: 0 lost, 0 out of order, p99 <= {P99_TARGET_MS:g} ms",
            f"lost {f['lost']}, out of order {f['out_of_order']}, p99 {f['p99_ms']} ms",
            f["lost"] == 0
            and f["out_of_order"] == 0
            and f["p99_ms"] is not None
            and f["p99_ms"] <= P99_TARGET_MS,
        ),
        (
            "with a stalled client: the others lose nothing, p99 within 20 %",
            f"lost {s['lost']}, p99 {s['p99_ms']} ms vs {f['p99_ms']} ms",
            s["lost"] == 0
            and s["out_of_order"] == 0
            and s["p99_ms"] is not None
            and f["p99_ms"] is not None
            and s["p99_ms"] <= f["p99_ms"] * STALLED_P99_SLACK,
        ),
        (
            f"stalled client evicted <= {EVICT_TARGET_S:g} s after {limit:g} MiB queued",
            f"evicted {s['evicted']}, after {s['evict_s']} s",
            s["evicted"] == 1 and s["evict_s"] is not None and s["evict_s"] <= EVICT_TARGET_S,
        ),
        (
            f"tmux window -> websocket client <= {TMUX_TARGET_MS:g} ms (max), none missed",
            f"max {t['max_ms']} ms, median {t['median_ms']} ms, missed {t['missed']}",
            t["max_ms"] is not None and t["max_ms"] <= TMUX_TARGET_MS and t["missed"] == 0,
        ),
    ]


def _print_report(record: dict[str, Any]) -> list[tuple[str, str, bool]]:
    print(
        f"\nFan-out of {record['events']} events at {record['rate']:g}/s from one tmuxorch serve "
        f"to {record['clients']} websocket clients\n(in {record['workers']} client processes, "
        f"{record['cpus']} CPUs); latency from just before publishing to the client's receipt"
    )
    print(
        f"  {'run':<22} {'subscribers':>11} {'received':>10} {'lost':>5} {'order':>6} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'rate/s':>7}"
    )
    for label, key in (("all reading", "fanout"), ("one client stalled", "stalled")):
        r = record[key]
        print(
            f"  {label:<22} {r['subscribers']:>11} {r['received']:>10} {r['lost']:>5} "
            f"{r['out_of_order']:>6} {r['p50_ms']!s:>7} {r['p99_ms']!s:>7} {r['max_ms']!s:>7} "
            f"{r['rate']:>7g}"
        )
    s, t = record["stalled"], record["tmux"]
    print(
        f"  the stalled client was evicted {s['evict_s']} s after its queue passed "
        f"{record['outbox_limit']} bytes ({s['evicted']} eviction)"
    )
    print(
        f"\ntmux new-window -> window_added at a websocket client ({t['windows']} windows): "
        f"median {t['median_ms']} ms, max {t['max_ms']} ms, missed {t['missed']}"
    )
    targets = _targets(record)
    print_targets(targets)
    return targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench fanout`."""
    one_record_arguments(parser)
    parser.add_argument("--clients", type=int, default=200, help="subscribed websocket clients")
    parser.add_argument("--events", type=int, default=10_000, help="events published per run")
    parser.add_argument(
        "--rate", type=float, default=300.0,
        help="events published per second (100 agents changing state every 3 s make ~33)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="client processes")
    parser.add_argument(
        "--client", choices=("raw", "asyncio"), default="raw",
        help="a minimal RFC 6455 client (raw), or websockets' asyncio client (five times the "
        "CPU per message: on a small machine the clients, not the server, become the limit)",
    )  # fmt: skip
    parser.add_argument("--outbox-limit", type=int, default=1 << 20, help="bytes per client")
    parser.add_argument("--windows", type=int, default=20, help="tmux windows to create")


def run(args: argparse.Namespace) -> int:
    """Run the fan-out benchmark; the exit status is 1 only with --strict and a failed target."""
    started = time.perf_counter()
    with fleet(Shape(4)) as target:
        record = asyncio.run(measure(target, args))
    progress(f"fanout done in {time.perf_counter() - started:.1f} s")
    targets = _print_report(record)
    return finish(args, record, targets)
