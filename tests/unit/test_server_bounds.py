"""The server's bounding pieces without a network: the doorman's caps, round-robin turns, and
how a capture is cut to its last lines."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tmuxorch.server.doorman import Doorman
from tmuxorch.server.session import last_lines
from tmuxorch.server.turns import Turns


class Fake:
    def __init__(self, idle: bool = True) -> None:
        self.idle = idle
        self.dropped = self.cut_off = False

    def drop(self) -> None:
        self.dropped = True

    def cut(self) -> None:
        self.cut_off = True


def test_the_doorman_drops_the_oldest_idle_connection_of_a_full_address() -> None:
    doorman = Doorman(total=10, per_address=2)
    first, second, third = Fake(), Fake(), Fake()
    assert doorman.enter(first, "a")
    assert doorman.enter(second, "a")
    assert doorman.enter(third, "a")
    assert first.dropped
    assert not second.dropped
    assert len(doorman) == 2


def test_the_doorman_refuses_a_newcomer_when_nobody_is_idle() -> None:
    doorman = Doorman(total=2, per_address=2)
    busy = [Fake(idle=False), Fake(idle=False)]
    assert doorman.enter(busy[0], "a")
    assert doorman.enter(busy[1], "b")
    assert not doorman.enter(Fake(), "c")
    assert doorman.refused == 1
    doorman.leave(busy[0])
    doorman.leave(busy[0])  # idempotent
    assert doorman.enter(Fake(), "c")


def test_the_doorman_logs_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    doorman = Doorman(total=1, per_address=1, log_interval=10, clock=lambda: now[0])
    doorman.enter(Fake(idle=False), "a")
    with caplog.at_level(logging.WARNING):
        for _ in range(100):
            doorman.enter(Fake(), "b")
        now[0] = 11
        doorman.enter(Fake(), "b")
    assert [r.getMessage().split(";")[1].split(",")[0] for r in caplog.records] == [
        " 1 in the last 10 s",
        " 100 in the last 10 s",
    ]


async def test_turns_go_round_robin_across_clients() -> None:
    turns = Turns(workers=1)
    order: list[str] = []
    gate, first = asyncio.Event(), asyncio.Event()

    async def job(client: str) -> None:
        async with turns.turn(client):
            order.append(client)
            first.set()
            await gate.wait()

    tasks = [asyncio.create_task(job(c)) for c in ("a", "a", "a", "a", "b", "c")]
    await first.wait()
    gate.set()
    await asyncio.gather(*tasks)
    assert order == ["a", "a", "b", "c", "a", "a"]
    assert turns.busy == 0
    assert turns.queued == 0


async def test_a_cancelled_wait_gives_its_turn_away() -> None:
    turns = Turns(workers=1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with turns.turn("a"):
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    gate.set()
    await holder
    assert turns.busy == 0
    assert turns.queued == 0


def test_a_capture_over_its_byte_limit_keeps_its_last_whole_lines() -> None:
    assert last_lines("a\nb\n", 10) == ("a\nb\n", None)
    text = "".join(f"{n}\n" for n in range(100, 200))  # 4 bytes a line
    assert last_lines(text, 10) == ("198\n199\n", 2)
    assert last_lines("é" * 10 + "\nend", 5) == ("end", 1)


def test_the_doorman_parks_at_most_its_budget() -> None:
    doorman = Doorman(total=2, per_address=2, parked=2)
    parked = [Fake(), Fake(), Fake()]
    assert doorman.park(parked[0])
    assert doorman.park(parked[1])
    assert not doorman.park(parked[2])
    doorman.unpark(parked[0])
    assert doorman.park(parked[2])
    pending = Fake()
    doorman.enter(pending, "a")
    doorman.close()
    assert [c.cut_off for c in (pending, *parked)] == [True, False, True, True]
