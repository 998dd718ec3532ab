"""Fan-out benchmark: one `tmuxorch serve` feeding events to many WebSocket clients.

Why: DESIGN.md promises one engine stream shared by every subscriber, each with a bounded queue,
contiguous seqs, and a client that stops reading evicted instead of growing the server's memory.
A real TmuxorchServer listens on 127.0.0.1 over a throwaway tmux fleet; the clients run in
separate worker processes (so they do not share the server's event loop). By default they are
minimal RFC 6455 clients (`--client raw`, bench/fanout_clients.py): websockets' own asyncio
client costs ~5x the server's CPU per message, so 200 of them on the same small machine would
measure the clients' backlog rather than the server (`--client asyncio` uses it anyway). The
stalled client is always a websockets client.

1. fanout: --clients subscribers; --events synthetic events are published straight into the
   server's hub at --rate events/s. Every client checks that each seq arrives once and in order,
   and times each event from just before it was published (its `at`, wall clock, set then) to its
   arrival in the client.
2. stalled: the same again, but one of the clients subscribes and then never reads (a 4 KiB
   receive buffer, websockets' read queue of one frame). The others must lose nothing and keep
   their p99 within 20 % of run 1; the stalled one must be disconnected within 2 s of its queue on
   the server passing --outbox-limit bytes.
3. tmux: `tmux new-window` on the fleet (a separate `tmux` process, as another user would), timed
   until `window_added` reaches a subscribed WebSocket client. The baseline: the same window
   timed until the 0.5 s whole-server poll of the tool tmuxorch replaces (bench/baselines.py)
   first sees it, with tmux processes and with libtmux; that is before any client of such a tool
   could hear of it, so the ratio flatters the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.baselines import Look, Poller, libtmux_look, phases, ratio, subprocess_look
from bench.fanout_clients import Workers, merge
from bench.fleet import PANE_COMMAND, Fleet, Shape, fleet
from bench.report import finish, one_record_arguments, print_targets, progress
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.store import Store
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.server.listener import TmuxorchServer
from tmuxorch.server.options import ServerOptions
from tmuxorch.server.tokens import TokenStore

P99_TARGET_MS = 50.0
STALLED_P99_SLACK = 1.20
EVICT_TARGET_S = 2.0
TMUX_TARGET_MS = 150.0


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
    record = merge(readers)
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
    return _summary(windows, missed, times)


def _summary(windows: int, missed: int, times: list[float]) -> dict[str, Any]:
    return {
        "windows": windows,
        "missed": missed,
        "median_ms": round(statistics.median(times), 2) if times else None,
        "max_ms": round(max(times), 2) if times else None,
    }


async def _tmux_polled(target: Fleet, look: Look, windows: int) -> dict[str, Any]:
    """The baseline of run 3: the same `tmux new-window`, timed until the 0.5 s whole-server
    poll first sees it (on this host: no client of it is even told yet)."""
    times: list[float] = []
    missed = 0
    with Poller(look) as poller:
        for phase in itertools.islice(phases(), windows):
            await asyncio.sleep(phase * poller.interval)
            before = poller.latest()
            started = time.perf_counter()
            argv = ["new-window", "-d", "-P", "-F", "#{window_id}", "-t", "bench000", PANE_COMMAND]
            window = target.tmux(*argv).stdout.strip()
            seen = await poller.changed(started, before, 5)
            if seen is None:
                missed += 1
            else:
                times.append(seen * 1000)
            before, started = poller.latest(), time.perf_counter()
            target.tmux("kill-window", "-t", window)
            await poller.changed(started, before, 5)  # gone again before the next one
        look_ms = round(poller.cost_ms, 2)
    return {**_summary(windows, missed, times), "look_ms": look_ms}


async def measure(target: Fleet, args: argparse.Namespace) -> dict[str, Any]:
    """Serve the fleet, run the three measurements, then run 3's baseline (server closed)."""
    with tempfile.TemporaryDirectory(prefix="tmuxorch-bench-db-") as tmp:
        store = Store(Path(tmp) / "bench.db")
        token, _ = TokenStore(store).create("bench", "read")
        options = ServerOptions(
            port=0, max_connections=args.clients + 16, outbox_limit=args.outbox_limit
        )
        async with Engine(TmuxServer(socket_path=target.socket_path)) as engine:
            server = TmuxorchServer(
                lambda actor: LocalBackend(engine, actor=actor), TokenStore(store), options=options
            )
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
    polls: dict[str, Any] = {}
    looks = {"poll_tmux": subprocess_look(target), "poll_libtmux": libtmux_look(target.socket_path)}
    for name, look in looks.items():
        if look is not None:
            progress(f"tmux: the same windows seen by the 0.5 s poll ({name})")
            polls[name] = await _tmux_polled(target, look, min(args.windows, 10))
            polls[f"{name}_ratio"] = ratio(polls[name]["median_ms"], tmux["median_ms"])
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
        "tmux_baselines": polls,
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
    polls = record["tmux_baselines"]
    for name in ("poll_tmux", "poll_libtmux"):
        if name in polls:
            p = polls[name]
            print(
                f"  baseline, the 0.5 s whole-server poll ({name.removeprefix('poll_')}) seeing "
                f"it on this host: median {p['median_ms']} ms ({polls[f'{name}_ratio']}x), "
                f"max {p['max_ms']} ms, missed {p['missed']} ({p['windows']} windows, a look "
                f"{p['look_ms']} ms)"
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
