"""Notifications (usecases/notifier.py): an agent that has stayed waiting `min_seconds` is
notified once, by one of however many watchers, outside quiet hours; a short wait never is."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.notifier import Channel, Notification, Notifier, in_quiet_hours

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent


class Recorder:
    """A channel that keeps what it was given, and when."""

    def __init__(self) -> None:
        self.got: list[tuple[float, Notification]] = []
        self.channel = Channel("recorder", self._send)

    async def _send(self, notification: Notification) -> None:
        self.got.append((time.time(), notification))


@contextlib.asynccontextmanager
async def fed(
    engine: Engine, notifier: Notifier, pane: str
) -> AsyncIterator[list[tuple[str, float]]]:
    """Feed the engine's events to the notifier while the body runs; yields `pane`'s states
    (state, since) as they come, once the engine has seen it idle."""
    stream = await engine.subscribe()
    states: list[tuple[str, float]] = []

    async def pump() -> None:
        async for event in stream:
            if event.event == "agent_state" and event.pane_id == pane:
                states.append((event.state, event.since))
            notifier.feed(event)

    task = asyncio.create_task(pump())
    try:
        await wait_for(
            lambda: {p: s for p, _, s in engine.agents.states()}.get(pane) == "idle",
            timeout=10,
        )
        yield states
    finally:
        task.cancel()
        await stream.close()
        await notifier.close()
        await engine.close()


def settled(notifier: Notifier) -> bool:
    """No timer pending and no notification running: the notifier decided."""
    return not notifier._timers and not notifier._tasks


def ask(agent: SimAgent) -> None:
    """Make the simulated agent ask for approval (it waits until answered)."""
    agent.type("please APPROVE this")
    agent.keys("Enter")


async def watching(
    tmux: TmuxFixture, store: Store, config: NotifyConfig
) -> tuple[Engine, Notifier, Recorder]:
    engine = Engine(tmux.server, timeout=3.0)
    recorder = Recorder()
    notifier = Notifier(config, LocalBackend(engine), store, [recorder.channel])
    return engine, notifier, recorder


@pytest.fixture
def store(tmp_path: Path) -> AsyncIterator[Store]:
    with Store(tmp_path / "tmuxorch.db") as opened:
        yield opened


async def test_a_short_wait_is_not_notified_and_a_long_one_once(
    running_tmux: TmuxFixture, tmp_path: Path, store: Store
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    config = NotifyConfig(min_seconds=1.5)
    engine, notifier, recorder = await watching(running_tmux, store, config)
    async with fed(engine, notifier, agent.pane) as states:
        ask(agent)  # a short wait: answered at once
        await wait_for(lambda: states[-1:] and states[-1][0] == "waiting", timeout=10)
        agent.keys("Enter")
        await wait_for(lambda: states[-1][0] != "waiting", timeout=10)
        assert time.time() - states[-2][1] < config.min_seconds  # the wait really was short
        await wait_for(lambda: states[-1][0] == "idle", timeout=10)
        ask(agent)  # a long one: left waiting
        await wait_for(lambda: states[-1][0] == "waiting", timeout=10)
        since = states[-1][1]
        await wait_for(lambda: recorder.got, timeout=10)
        at, got = recorder.got[0]
        assert (got.pane, got.state, got.kind, got.session_name) == (
            agent.pane, "waiting", "sim", "main",
        )  # fmt: skip
        assert since + config.min_seconds <= at <= since + config.min_seconds + 1.0
        await wait_for(lambda: settled(notifier))
        assert len(recorder.got) == 1


async def test_three_watchers_of_one_server_notify_an_event_once(
    running_tmux: TmuxFixture, tmp_path: Path, store: Store
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    config = NotifyConfig(min_seconds=0.5)
    watchers = [await watching(running_tmux, Store(store.path), config) for _ in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        for engine, notifier, _ in watchers:
            await stack.enter_async_context(fed(engine, notifier, agent.pane))
        ask(agent)
        recorders = [r for _, _, r in watchers]
        await wait_for(lambda: any(r.got for r in recorders), timeout=10)
        await wait_for(lambda: all(settled(n) for _, n, _ in watchers), timeout=5)
        assert sum(len(r.got) for r in recorders) == 1
    assert store.query("SELECT count(*) FROM notified")[0][0] == 1


async def test_quiet_hours_silence_a_due_event(
    running_tmux: TmuxFixture, tmp_path: Path, store: Store
) -> None:
    now = datetime.datetime.now()
    span = (
        f"{(now - datetime.timedelta(hours=1)):%H:%M}-{(now + datetime.timedelta(hours=1)):%H:%M}"
    )
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    engine, notifier, recorder = await watching(
        running_tmux, store, NotifyConfig(min_seconds=0.2, quiet_hours=span)
    )
    async with fed(engine, notifier, agent.pane) as states:
        ask(agent)
        await wait_for(lambda: states[-1:] and states[-1][0] == "waiting", timeout=10)
        await wait_for(lambda: settled(notifier), timeout=5)
        assert recorder.got == []
        assert store.query("SELECT count(*) FROM notified")[0][0] == 0  # not even claimed


def test_quiet_hours_wrap_midnight() -> None:
    at = datetime.time.fromisoformat
    assert in_quiet_hours("22:00-07:00", at("23:30"))
    assert in_quiet_hours("22:00-07:00", at("06:59"))
    assert not in_quiet_hours("22:00-07:00", at("07:00"))
    assert not in_quiet_hours("22:00-07:00", at("12:00"))
    assert in_quiet_hours("9:00-17:30", at("12:00"))
    assert not in_quiet_hours("9:00-17:30", at("08:59"))
    assert not in_quiet_hours(None, at("12:00"))
