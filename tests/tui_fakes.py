"""An in-memory Backend with a fixed fleet, for TUI tests that must look the same on every run.

`FakeBackend` answers from a fixed Snapshot, returns canned pane text and the receipts the real
backend would give for the states in it, and records every call so a test can assert what the
app asked for. It never changes its snapshot:
kill, rename and spawn are only recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from tmuxorch.core.events import Event, TmuxDown
from tmuxorch.core.models import (
    AgentInfo,
    AgentState,
    Pane,
    Receipt,
    Session,
    Snapshot,
    Spawned,
    TmuxInfo,
    Window,
    WindowKind,
)
from tmuxorch.core.ops.delivery import held_back

FIXED_TIME = 1_750_000_000.0
"""The clock of every fake-backed app: durations in snapshots never move."""
SOCKET = "/tmp/tmux-1000/default"

CAPTURE_TEXT = (
    "\x1b[1m● Working on the parser\x1b[0m\n"
    "  reading src/parser.py\n"
    "\x1b[32m✓ 42 tests passed\x1b[0m\n"
    "\x1b[31m✗ 1 test failed: test_unicode_名前\x1b[0m\n"
    "\n"
    "> "
)


def _pane(
    pid: str,
    window: str,
    session: str,
    command: str,
    *,
    index: int = 0,
    agent: tuple[str, AgentState, float] | None = None,
    active: bool = True,
) -> Pane:
    info = None
    if agent is not None:
        kind, state, age = agent
        source = "hook" if kind == "claude" else "screen"  # the strip shows where it came from
        info = AgentInfo(kind=kind, state=state, since=FIXED_TIME - age, source=source)
    return Pane(
        id=pid, index=index, active=active, pid=1000 + int(pid[1:]), command=command,
        cwd=f"/home/dev/{session.strip('$')}/work", dead=False, width=120, height=40,
        agent=info, window_id=window, session_id=session,
    )  # fmt: skip


def _window(
    wid: str, index: int, name: str, session: str, kind: WindowKind, *panes: Pane, active: bool
) -> Window:
    return Window(
        id=wid, index=index, name=name, active=active, kind=kind, panes=panes, session_id=session
    )


def fleet_snapshot() -> Snapshot:
    """Two sessions, six windows, agents of three kinds in every state, a shell and an editor."""
    agents = Session(
        id="$0", name="agents", attached=True, created=int(FIXED_TIME) - 7200,
        attached_clients=1,
        windows=(
            _window("@0", 0, "api", "$0", "agent",
                    _pane("%0", "@0", "$0", "claude", agent=("claude", "busy", 125)),
                    active=True),
            _window("@1", 1, "frontend-ü", "$0", "agent",
                    _pane("%1", "@1", "$0", "node", agent=("codex", "waiting", 42)),
                    active=False),
            _window("@2", 2, "tests", "$0", "agent",
                    _pane("%2", "@2", "$0", "python3", agent=("sim", "idle", 3700)),
                    _pane("%3", "@2", "$0", "python3", index=1, agent=("sim", "error", 30),
                          active=False),
                    active=False),
            _window("@3", 3, "shell", "$0", "shell",
                    _pane("%4", "@3", "$0", "zsh"), active=False),
        ),
    )  # fmt: skip
    research = Session(
        id="$1", name="research", attached=False, created=int(FIXED_TIME) - 3600,
        attached_clients=0,
        windows=(
            _window("@4", 0, "データ", "$1", "agent",
                    _pane("%5", "@4", "$1", "claude", agent=("claude", "exited", 2 * 86400)),
                    active=True),
            _window("@5", 1, "notes", "$1", "editor",
                    _pane("%6", "@5", "$1", "nvim"), active=False),
        ),
    )  # fmt: skip
    return Snapshot(
        tmux=TmuxInfo(socket=SOCKET, version="3.4", running=True),
        sessions=(agents, research),
        taken_at=FIXED_TIME,
    )


def no_agents_snapshot() -> Snapshot:
    """A running server with a shell and an editor, but no agent anywhere."""
    work = Session(
        id="$0", name="work", attached=True, created=int(FIXED_TIME) - 600, attached_clients=1,
        windows=(
            _window("@0", 0, "shell", "$0", "shell", _pane("%0", "@0", "$0", "bash"),
                    active=True),
            _window("@1", 1, "edit", "$0", "editor", _pane("%1", "@1", "$0", "vim"),
                    active=False),
        ),
    )  # fmt: skip
    return Snapshot(
        tmux=TmuxInfo(socket=SOCKET, version="3.4", running=True),
        sessions=(work,),
        taken_at=FIXED_TIME,
    )


def no_tmux_snapshot() -> Snapshot:
    """No tmux server on the socket."""
    return Snapshot(
        tmux=TmuxInfo(socket=SOCKET, version=None, running=False), sessions=(), taken_at=FIXED_TIME
    )


class FakeSubscription:
    """An event stream that yields nothing until closed (or `events` put into it)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.closed = False
        self.dropped = 0

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        while True:
            event = await self.queue.get()
            if event is None:
                return
            yield event

    async def close(self) -> None:
        self.closed = True
        self.queue.put_nowait(None)


@dataclass
class Call:
    """One call the app made: the operation and its arguments."""

    op: str
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = field(default_factory=dict)


class FakeBackend:
    """The Backend protocol over a fixed snapshot; every call is appended to `calls`."""

    def __init__(self, snapshot: Snapshot | None = None, label: str = SOCKET) -> None:
        self.fixed = snapshot if snapshot is not None else fleet_snapshot()
        self._label = label
        self.calls: list[Call] = []
        self.subscriptions: list[FakeSubscription] = []
        self.closed = False

    def ops(self, op: str) -> list[Call]:
        """The recorded calls of one operation, in order."""
        return [call for call in self.calls if call.op == op]

    @property
    def label(self) -> str:
        return self._label

    connection_state = None
    latency = None
    schedule_server = None

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        self.calls.append(Call("attach_argv", (pane_id,), {"switch": switch}))
        return None

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        self.calls.append(Call("snapshot", kwargs={"activity": activity}))
        return self.fixed

    async def subscribe(self) -> FakeSubscription:
        self.calls.append(Call("subscribe"))
        subscription = FakeSubscription()
        if not self.fixed.tmux.running:  # what the engine's stream says first, with no server
            reason = f"no tmux server running on {self.fixed.tmux.socket}"
            subscription.queue.put_nowait(TmuxDown(reason=reason, at=FIXED_TIME))
        self.subscriptions.append(subscription)
        return subscription

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        self.calls.append(Call("send", (list(targets), text), {"enter": enter, "force": force}))
        return [self._receipt(target, force) for target in targets]

    def _receipt(self, target: str, force: bool) -> Receipt:
        """What the real backend says for a pane in the state the fixed fleet gives it: an
        agent awaiting approval (or unreadable) held back unless forced, a busy one queued,
        every other pane delivered."""
        pane = self.fixed.panes_by_id.get(target)
        if pane is None:
            return Receipt(target=target, status="failed", detail="no such pane")
        state = pane.agent.state if pane.agent is not None else None
        skipped = held_back(target, state, force=force) if state is not None else None
        if skipped is not None:
            return skipped
        if state == "busy":
            return Receipt(target=target, status="queued", detail="the agent was busy")
        return Receipt(target=target, status="delivered")

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        self.calls.append(Call("keys", (list(targets), list(keys))))
        return [Receipt(target=target, status="delivered") for target in targets]

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        self.calls.append(Call("interrupt", (list(targets),)))
        return [Receipt(target=target, status="delivered") for target in targets]

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        self.calls.append(Call("capture", (target, lines), {"colours": colours}))
        return CAPTURE_TEXT

    async def spawn(
        self, session: str, command: Sequence[str], *, name: str | None, kind: str | None
    ) -> Spawned:
        self.calls.append(Call("spawn", (session, list(command)), {"name": name, "kind": kind}))
        return Spawned(session_id="$0", window_id="@99", pane_id="%99")

    async def kill(self, target: str) -> None:
        self.calls.append(Call("kill", (target,)))

    async def rename(self, target: str, name: str) -> None:
        self.calls.append(Call("rename", (target, name)))

    async def close(self) -> None:
        self.closed = True
        for subscription in self.subscriptions:
            await subscription.close()
