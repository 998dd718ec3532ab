"""Attack benchmark: a real `tmuxorch serve` on 127.0.0.1 under the floods of issue 11.

Why: `serve` is a remote shell; a client we did not write must not be able to grow its memory,
lock real clients out, or starve them. The server is a real `tmuxorch serve` process over a
throwaway tmux fleet (loopback only); each attacker runs in its own process (bench/attackers.py)
while this process times a real client's opening handshake (connect, Bearer token, hello) every
100 ms, and a thread samples the server's RSS.

1. ping: --ping-clients read-token connections send pings and never read the pongs.
2. pre-auth: --idle idle TCP connections, each reopened as soon as the server closes it.
3. capture: --capture-clients read-token connections keep 8 captures each of a 50,000-line pane
   in flight (asking for the most lines the server allows); another client's snapshot is timed
   too.
4. lockout: 12 bad token guesses and 3 plain GETs without Upgrade from 127.0.0.1, then valid
   handshakes from the same address: each one refused is a lockout.

Prints per phase the server's peak RSS, the handshake p99 and its log lines (and tracebacks).
Bounded: each phase lasts --seconds (default 8), the whole run well under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from bench import attackers
from bench.fleet import Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets, progress

RSS_TARGET_MB = 150.0
HANDSHAKE_TARGET_MS = 500.0
PROBE_TIMEOUT = 5.0
LONG_PANE_LINES = 50_000
SERVER_FDS = 1024
CAPTURE_LINES = 10_000
"""What the capture attackers ask for: the most `serve` allows by default."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    parser.add_argument("--ping-clients", type=int, default=4, help="ping flood connections")
    parser.add_argument("--idle", type=int, default=1500, help="idle pre-auth connections")
    parser.add_argument(
        "--idle-from", default="127.0.0.2",
        help="the idle connections' source address (127.0.0.1: the same as the timed client)",
    )  # fmt: skip
    parser.add_argument("--capture-clients", type=int, default=8, help="capture flood clients")
    one_record_arguments(parser)


class Served:
    """A `tmuxorch serve` process over `fleet`, its stderr drained (counted) by a thread and
    its RSS sampled by another; killed by its PID on exit."""

    def __init__(self, fleet: Fleet) -> None:
        home = fleet.socket_path.parent
        self.env = {**fleet.env, "XDG_DATA_HOME": str(home / "data")}
        self.env["XDG_CONFIG_HOME"] = str(home / "config")
        self.control = self.cli("token", "create", "ctl", "--scope", "control")
        self.read = self.cli("token", "create", "viewer", "--scope", "read")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tmuxorch", "-S", str(fleet.socket_path), "serve", "--port",
             "0"], env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, preexec_fn=_fd_limit,
        )  # fmt: skip
        self.url = ""
        self.log_lines = self.tracebacks = 0
        self.peak_kb = 0
        assert self.process.stderr is not None
        while not self.url:
            line = self.process.stderr.readline()
            if not line:
                raise SystemExit("bench: tmuxorch serve exited before listening")
            found = re.search(r"listening on (ws://\S+)", line)
            self.url = found.group(1) if found else ""
        self.port = int(self.url.rsplit(":", 1)[1])
        self._done = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        threading.Thread(target=self._sample, daemon=True).start()

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tmuxorch", *args], env=self.env, capture_output=True,
            text=True, timeout=30, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log_lines += 1
            self.tracebacks += "Traceback" in line

    def _sample(self) -> None:
        status = Path(f"/proc/{self.process.pid}/status")
        while not self._done.wait(0.05):
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def close(self) -> None:
        self._done.set()
        self.process.kill()
        self.process.wait(10)


def _fd_limit() -> None:
    """The server gets SERVER_FDS descriptors, as in issue 11 (a common default)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_FDS, SERVER_FDS))


@contextlib.contextmanager
def serving() -> Iterator[tuple[Served, str]]:
    """The server, and the id of a pane holding LONG_PANE_LINES lines."""
    with fleet(Shape(panes=1)) as built:
        built.tmux("set-option", "-g", "history-limit", str(LONG_PANE_LINES + 1000))
        pane = built.tmux(
            "new-window", "-d", "-P", "-F", "#{pane_id}",
            f"seq 1 {LONG_PANE_LINES}; exec sleep 100000",
        ).stdout.strip()  # fmt: skip
        served = Served(built)
        try:
            yield served, pane
        finally:
            served.close()


@dataclass
class Phase:
    name: str
    handshakes_ms: list[float] = field(default_factory=list)
    failed: int = 0
    snapshots_ms: list[float] = field(default_factory=list)
    peak_mb: float = 0.0
    log_lines: int = 0
    tracebacks: int = 0
    lockouts: int = 0

    def row(self) -> dict[str, Any]:
        return {
            "phase": self.name, "peak_rss_mb": round(self.peak_mb, 1),
            "handshake_p99_ms": round(p99(self.handshakes_ms), 1),
            "handshakes": len(self.handshakes_ms), "failed": self.failed,
            "snapshot_p99_ms": round(p99(self.snapshots_ms), 1) if self.snapshots_ms else None,
            "log_lines": self.log_lines, "tracebacks": self.tracebacks, "lockouts": self.lockouts,
        }  # fmt: skip


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def handshake(url: str, token: str, phase: Phase) -> int:
    """One real client's opening handshake, timed into `phase`; the HTTP status if refused."""
    started = time.perf_counter()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(url, additional_headers=headers, open_timeout=PROBE_TIMEOUT) as ws:
            await asyncio.wait_for(ws.recv(), PROBE_TIMEOUT)
        status = 101
    except InvalidStatus as exc:
        status = exc.response.status_code
    except (OSError, TimeoutError, InvalidHandshake):  # cut, reset or timed out
        status = 0
    phase.handshakes_ms.append((time.perf_counter() - started) * 1000)
    phase.failed += status != 101
    return status


async def snapshot_ms(url: str, token: str) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        await ws.recv()
        started = time.perf_counter()
        await ws.send('{"type": "request", "id": 1, "op": "snapshot"}')
        while '"id":1' not in (frame := str(await asyncio.wait_for(ws.recv(), 30))).replace(
            " ", ""
        ):
            del frame
        return (time.perf_counter() - started) * 1000


async def probe(served: Served, phase: Phase, seconds: float, snapshots: bool) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await handshake(served.url, served.control, phase)
        if snapshots:
            try:
                phase.snapshots_ms.append(await snapshot_ms(served.url, served.control))
            except (OSError, TimeoutError, InvalidHandshake):
                phase.failed += 1
        await asyncio.sleep(0.1)


def attacked(
    served: Served, name: str, target: Callable[..., None], args: tuple[Any, ...], seconds: float,
    snapshots: bool = False,
) -> Phase:  # fmt: skip
    """Run attacker `target(*args, stop)` in its own process for one phase, probing meanwhile."""
    progress(f"{name} flood for {seconds:g} s")
    phase = Phase(name)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    attacker = context.Process(target=target, args=(*args, stop), daemon=True)
    lines, tracebacks, served.peak_kb = served.log_lines, served.tracebacks, 0
    attacker.start()
    try:
        time.sleep(1.0)  # let the flood build up before timing anything
        asyncio.run(probe(served, phase, seconds, snapshots))
    finally:
        stop.set()
        attacker.join(10)
        if attacker.is_alive():
            attacker.kill()
            attacker.join()
    phase.peak_mb = served.peak_kb / 1024
    phase.log_lines = served.log_lines - lines
    phase.tracebacks = served.tracebacks - tracebacks
    asyncio.run(settle(served))
    return phase


async def settle(served: Served) -> None:
    """Wait (at most 15 s) until a handshake succeeds again: the next phase starts clean."""
    deadline = time.monotonic() + 15
    while await handshake(served.url, served.control, Phase("settle")) != 101:
        if time.monotonic() > deadline:
            raise SystemExit("bench: the server did not recover within 15 s of a flood")
        await asyncio.sleep(0.2)


def plain_get(port: int) -> None:
    """What `<img src="http://127.0.0.1:8765/">` sends: a GET without Upgrade."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        with contextlib.suppress(OSError):
            sock.recv(4096)


async def lockout(served: Served) -> Phase:
    progress("lockout: 12 bad guesses and 3 plain GETs, then valid tokens")
    phase = Phase("lockout")
    lines, served.peak_kb = served.log_lines, 0
    wrong = Phase("wrong")
    for n in range(12):
        await handshake(served.url, f"tmo_{n:016x}.wrong", wrong)
    for _ in range(3):
        await asyncio.to_thread(plain_get, served.port)
    for _ in range(20):
        phase.lockouts += await handshake(served.url, served.control, phase) == 429
        phase.lockouts += await handshake(served.url, served.read, phase) == 429
    phase.peak_mb = served.peak_kb / 1024
    phase.log_lines = served.log_lines - lines
    return phase


def run(args: argparse.Namespace) -> int:
    """Run the four phases against one server and print what each did to it."""
    os.environ.pop("TMUX", None)
    with serving() as (served, pane):
        seconds = args.seconds
        phases = [
            attacked(served, "ping", attackers.ping_flood,
                     (served.port, served.read, args.ping_clients), seconds),
            attacked(served, "pre-auth", attackers.idle_flood,
                     (served.port, args.idle, args.idle_from), seconds),
            attacked(served, "capture", attackers.capture_flood,
                     (served.url, served.read, pane, args.capture_clients, 8, CAPTURE_LINES),
                     seconds, snapshots=True),
            asyncio.run(lockout(served)),
        ]  # fmt: skip
        overall_mb = max(phase.peak_mb for phase in phases)
    rows = [phase.row() for phase in phases]
    print(f"\n{'phase':<10}{'peak RSS':>10}{'hs p99':>10}{'hs n':>6}{'failed':>8}"
          f"{'snap p99':>10}{'log':>6}{'tb':>4}{'lockouts':>10}")  # fmt: skip
    for row in rows:
        snap = "-" if row["snapshot_p99_ms"] is None else f"{row['snapshot_p99_ms']:.0f} ms"
        print(
            f"{row['phase']:<10}{row['peak_rss_mb']:>7.0f} MB{row['handshake_p99_ms']:>7.0f} ms"
            f"{row['handshakes']:>6}{row['failed']:>8}{snap:>10}{row['log_lines']:>6}"
            f"{row['tracebacks']:>4}{row['lockouts']:>10}"
        )
    worst_ms = max(phase.row()["handshake_p99_ms"] for phase in phases)
    lockouts = sum(phase.lockouts for phase in phases)
    targets = [
        (f"server peak RSS < {RSS_TARGET_MB:.0f} MB", f"{overall_mb:.0f} MB",
         overall_mb < RSS_TARGET_MB),
        (f"real-client handshake p99 < {HANDSHAKE_TARGET_MS:.0f} ms in every phase",
         f"{worst_ms:.0f} ms", worst_ms < HANDSHAKE_TARGET_MS),
        ("valid-token lockouts = 0", str(lockouts), lockouts == 0),
        ("no traceback in the server's log", str(sum(p.tracebacks for p in phases)),
         all(p.tracebacks == 0 for p in phases)),
    ]  # fmt: skip
    print_targets(targets)
    return finish(args, {"benchmark": "attack", "phases": rows}, targets)
