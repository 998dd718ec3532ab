"""Queue: what a watcher costs with 1,000 pending schedules and 1,000 queued tasks, and how soon a
task reaches an agent that went idle (issue 14).

CPU: a fleet of idle simulated agents; `tmuxorch watch` (which runs the schedules and the queue)
measured from /proc over `--seconds`, first with nothing stored, then with `--pending`
schedules (due in a day) and as many tasks for a kind no agent has (they wait, as a queue does
while every agent is busy): the pending work should cost nothing while nothing happens.
Dispatch: the runner in this process (as the TUI runs it) over 3 agents working `--busy` s
per task and `--tasks` tasks; the time from each agent's `idle` event (the engine's, the one
the runner wakes on, as it arrives) to the next task being sent to it. Beside them, the naive
way: a loop that looks at the fleet every 0.5 s (the tool tmuxorch replaces polled so), whose
wait is half its period on average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

from bench.agentfleet import agent_fleet, wait_ready
from bench.cputime import Sample, shares
from bench.fleet import Fleet
from bench.headless import Headless
from bench.report import finish, one_record_arguments, print_targets, progress

CPU_TARGET = 1.0
DISPATCH_TARGET_MS = 100.0
POLL_S = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agents", type=int, default=10, help="idle agents for the CPU figure")
    parser.add_argument("--pending", type=int, default=1000, help="schedules, and as many tasks")
    parser.add_argument("--seconds", type=float, default=20.0, help="CPU measured for this long")
    parser.add_argument("--tasks", type=int, default=12, help="tasks for the dispatch figure")
    parser.add_argument("--busy", type=float, default=1.0, help="seconds of work per task")
    one_record_arguments(parser)


def _watch_cpu(built: Fleet, seconds: float) -> float:
    argv = [sys.executable, "-m", "tmuxorch", "-S", str(built.socket_path), "watch"]
    with Headless(argv, built.private_env()) as watcher:
        time.sleep(3.0)  # its start, and the first pass over what is stored
        before = Sample.take([watcher.pid])
        time.sleep(seconds)
        after = Sample.take([watcher.pid])
        own, _ = shares(before, after, watcher.pid)
        if not watcher.alive():
            raise SystemExit("bench: queue: tmuxorch watch exited while measured")
    return own


def _store_pending(built: Fleet, count: int) -> None:
    """`count` schedules due in a day and `count` tasks nobody can take, straight into the store
    the fleet's tmuxorch uses (as `schedule add` and `queue add` would, minus their processes)."""
    from tmuxorch.core.schedules.book import ScheduleBook
    from tmuxorch.core.schedules.when import Trigger
    from tmuxorch.core.store.store import Store
    from tmuxorch.core.tasks.book import TaskBook

    env = built.private_env()
    path = os.path.join(env["XDG_DATA_HOME"], "tmuxorch", "tmuxorch.db")
    pane = built.pane_ids()[0]
    now = time.time()
    with Store(path) as store:
        schedules, tasks = ScheduleBook(store), TaskBook(store)
        for n in range(count):
            due = Trigger(kind="in", due=now + 86400 + n)
            schedules.add(str(built.socket_path), [pane], f"check-in {n}", due, now)
            tasks.add(str(built.socket_path), f"task {n}", kind="claude", session=None,
                      agents=(), priority=0, now=now)  # fmt: skip


async def _dispatch(built: Fleet, tasks: int) -> list[float]:
    """Idle event -> next task sent to that agent, in ms, after each agent's first task. The
    event's arrival here is the instant the runner (on the same engine) can know of it; its
    `since` is earlier by the state debounce (the screen must hold still 0.3 s)."""
    from tmuxorch.core.engine import Engine
    from tmuxorch.core.events import AgentStateChanged
    from tmuxorch.core.local import LocalBackend
    from tmuxorch.core.store.store import Store
    from tmuxorch.core.tmux.server import TmuxServer
    from tmuxorch.usecases.queue_duty import QueueDuty
    from tmuxorch.usecases.runner import Runner

    panes = built.pane_ids()
    idle_at: dict[str, list[float]] = {p: [] for p in panes}
    async with Engine(TmuxServer(built.socket_path)) as engine:
        await wait_ready(engine, panes)
        backend = LocalBackend(engine)
        store = Store(os.path.join(built.private_env()["XDG_DATA_HOME"], "dispatch.db"))
        duty = QueueDuty(backend, backend.label, store, print)
        runner = Runner(backend, backend.label, store, [duty])
        events = await engine.subscribe()

        async def note() -> None:
            async for event in events:
                if isinstance(event, AgentStateChanged) and event.state == "idle":
                    idle_at.setdefault(event.pane_id, []).append(time.time())

        noting, running = asyncio.create_task(note()), asyncio.create_task(runner.run())
        from tmuxorch.core.tasks.book import TaskBook

        book = TaskBook(store)
        for n in range(tasks):
            book.add(backend.label, f"bench task {n}", kind=None, session=None, agents=panes,
                     priority=0, now=time.time())  # fmt: skip
        deadline = time.monotonic() + 30 + tasks * 3
        while book.open(backend.label):
            if time.monotonic() > deadline:
                raise SystemExit("bench: queue: the tasks did not get done in time")
            await asyncio.sleep(0.1)
        done = book.listed(backend.label)
        for task in (noting, running):
            task.cancel()
        await asyncio.gather(noting, running, return_exceptions=True)
        await events.close()
        store.close()
    waits = []
    for task in done:
        earlier = [t for t in idle_at.get(task.agent or "", []) if t <= (task.dispatched or 0)]
        before = (task.dispatched or 0) - 1e-6
        mine = [t for t in done if t.agent == task.agent and (t.dispatched or 0) < before]
        if earlier and mine:  # not the agent's first task: it waited for this agent's idle
            waits.append(1000 * ((task.dispatched or 0) - max(earlier)))
    return waits


def run(args: argparse.Namespace) -> int:
    if args.pending < 0 or args.seconds <= 0 or args.tasks < 4:
        raise SystemExit("bench: queue: --pending >= 0, --seconds > 0, --tasks >= 4")
    record: dict[str, Any] = {"bench": "queue", "pending": args.pending, "seconds": args.seconds}
    with agent_fleet(args.agents, 1.0) as built:
        asyncio.run(_ready(built))
        progress(f"queue: tmuxorch watch beside {args.agents} idle agents, nothing stored")
        record["watch_empty_pct"] = _watch_cpu(built, args.seconds)
        _store_pending(built, args.pending)
        progress(f"queue: the same with {args.pending} schedules and {args.pending} tasks pending")
        record["watch_pending_pct"] = _watch_cpu(built, args.seconds)
    with agent_fleet(3, args.busy) as built:
        progress(f"queue: {args.tasks} tasks to 3 agents ({args.busy:g} s each)")
        waits = asyncio.run(_dispatch(built, args.tasks))
    record["dispatch_ms_median"] = round(statistics.median(waits), 1)
    record["dispatch_ms_max"] = round(max(waits), 1)
    record["poll_ms_mean"] = POLL_S * 1000 / 2
    print(f"\ntmuxorch watch, % of one core over {args.seconds:g} s, {args.agents} idle agents")
    print(f"  nothing stored                                  {record['watch_empty_pct']:6.2f}%")
    pending = f"{args.pending} schedules + {args.pending} tasks pending"
    print(f"  {pending:<48}{record['watch_pending_pct']:6.2f}%")
    print(f"\nA task reaching an agent after its idle event ({len(waits)} tasks)")
    median, most = record["dispatch_ms_median"], record["dispatch_ms_max"]
    print(f"  tmuxorch (event-driven)      median {median:7.1f} ms  max {most:7.1f} ms")
    poll = record["poll_ms_mean"]
    print(f"  a 0.5 s poll (naive)         mean   {poll:7.1f} ms  max {POLL_S * 1000:7.1f} ms")
    targets = [
        (f"{args.pending} schedules + {args.pending} tasks: watch < {CPU_TARGET:g} % idle",
         f"{record['watch_pending_pct']:.2f} %", record["watch_pending_pct"] < CPU_TARGET),
        (f"dispatch <= {DISPATCH_TARGET_MS:g} ms after an agent goes idle (max)",
         f"{record['dispatch_ms_max']:.1f} ms", record["dispatch_ms_max"] <= DISPATCH_TARGET_MS),
    ]  # fmt: skip
    print()
    print_targets(targets)
    return finish(args, record, targets)


async def _ready(built: Fleet) -> None:
    from tmuxorch.core.engine import Engine
    from tmuxorch.core.tmux.server import TmuxServer

    async with Engine(TmuxServer(built.socket_path)) as engine:
        await wait_ready(engine, built.pane_ids())
