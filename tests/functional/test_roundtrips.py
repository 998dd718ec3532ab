"""What each change costs in tmux round trips: counted at TmuxConnection.run, the one door every
batch of ours goes through, on a real tmux server."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tmuxorch.cli.commands import cmd_send
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.oneshot import OneShotEngine
from tmuxorch.core.tmux.framing import Notification

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agents
from .test_events import next_event


class Batches:
    """Every batch the engine's connection sends to tmux, as lists of argv: counted where
    TmuxConnection.run hands a batch to its control client or to a plain `tmux` (callers that
    hold the bound `run`, such as the agent tracker, are counted too); for a one-shot engine,
    where it runs one as plain `tmux` processes."""

    def __init__(self, engine: Engine | OneShotEngine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.batches: list[list[list[str]]] = []
        if isinstance(engine, OneShotEngine):
            chained = engine._chained

            def counted(commands: Sequence[Sequence[str]], **options: Any) -> Any:
                self.batches.append([list(c) for c in commands])
                return chained(commands, **options)

            monkeypatch.setattr(engine, "_chained", counted)
            return
        for door in ("_on_client", "_fallback"):
            monkeypatch.setattr(
                engine.connection, door, self._counting(getattr(engine.connection, door))
            )

    def _counting(self, send: Any) -> Any:
        async def counted(commands: Sequence[Sequence[str]], *args: Any, **options: Any) -> Any:
            self.batches.append([list(c) for c in commands])
            return await send(commands, *args, **options)

        return counted

    def listings(self) -> int:
        """Round trips that list every pane of the server."""
        return sum(any(c[:2] == ["list-panes", "-a"] for c in b) for b in self.batches)

    def captured(self) -> list[str]:
        """The panes whose screens were read, in order."""
        return [c[-1] for b in self.batches for c in b if c[0] == "capture-pane"]


def notifications(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the notifications the engine gets from its next control client on."""
    seen: list[str] = []
    forward = engine.connection._on_notification

    def spy(notification: Notification) -> None:
        seen.append(notification.name)
        forward(notification)

    monkeypatch.setattr(engine.connection, "_on_notification", spy)
    return seen


async def test_one_structural_change_is_one_listing_and_the_model_needs_none(
    engine: Engine, running_tmux: TmuxFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = notifications(engine, monkeypatch)  # before the control client is made
    stream = await engine.subscribe()
    await wait_for(lambda: engine.fresh and "subscription-changed" in seen)  # its first value
    seen.clear()
    batches = Batches(engine, monkeypatch)
    wid = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "sleep", "100000"
    ).strip()  # fmt: skip
    added = await next_event(stream, "window_added")
    assert added.window_id == wid  # type: ignore[union-attr]
    window = added.window  # type: ignore[union-attr]
    assert window is not None
    assert window.panes
    # tmux's subscription timer reports the new pane too, within about a second: that report
    # brings what the listing already saw, so it costs nothing.
    await wait_for(lambda: "subscription-changed" in seen and engine.fresh, timeout=5)
    assert batches.listings() == 1, batches.batches
    assert len(batches.batches) == 2, batches.batches  # and the new pane's tags, by its id
    before = len(batches.batches)
    model = await engine.snapshot()
    assert len(batches.batches) == before  # the live model: no round trip
    assert wid in model.windows_by_id
    await stream.close()


async def test_our_own_change_makes_the_model_stale_at_once(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    stream = await engine.subscribe()
    await wait_for(lambda: engine.fresh)
    wid = next(iter((await engine.snapshot()).windows_by_id))
    await engine.run([["rename-window", "-t", wid, "mine"]], idempotent=False)
    assert not engine.fresh
    assert (await engine.snapshot()).windows_by_id[wid].name == "mine"
    await stream.close()


async def test_a_new_foreground_command_reaches_the_model_without_a_notification_of_its_own(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "env", "PS1=$ ", "sh"
    ).strip()  # fmt: skip
    running_tmux.wait_command(pane, "sh")
    stream = await engine.subscribe()
    await wait_for(lambda: engine.fresh)
    running_tmux.tmux("send-keys", "-t", pane, "exec sleep 100000", "Enter")
    changed = await next_event(stream, "pane_changed")
    assert changed.pane.command == "sleep"  # type: ignore[union-attr]
    await wait_for(lambda: engine.fresh)
    assert (await engine.snapshot()).panes_by_id[pane].command == "sleep"
    await stream.close()


async def test_a_cli_send_to_one_agent_lists_once_and_reads_that_agent_only(
    running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents: list[SimAgent] = await start_agents(running_tmux, tmp_path, 3, "--busy", "0")
    target = agents[1]
    window = running_tmux.tmux(
        "display-message", "-p", "-t", target.pane, "#{session_name}:#{window_index}"
    ).strip()  # fmt: skip
    engine = OneShotEngine(running_tmux.server, timeout=3.0)  # as `tmuxorch send`
    batches = Batches(engine, monkeypatch)
    args = argparse.Namespace(
        texts=[("message", "one listing")], stdin=False, targets=[window], no_enter=False,
        force=False, json=True,
    )  # fmt: skip
    assert await cmd_send(args, LocalBackend(engine)) == 0
    assert batches.listings() == 1, batches.batches
    assert set(batches.captured()) == {target.pane}, batches.batches
    await wait_for(lambda: target.entries() == ["one listing"])
