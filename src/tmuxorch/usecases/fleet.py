"""`tmuxorch up` and `down`: a fleet file's windows made to exist, or stopped, through the Backend.

`up` plans against one snapshot: a window of the file that exists (its session and window
names, matched exactly, never by prefix) is left alone; a missing one is created by `spawn`,
labelled with the file (`Window.fleet`). So a second `up` changes nothing in tmux. Each new
window's `message` is sent once, through the normal send path, when its agent is first idle:
never typed into an agent that waits for approval or shows a screen we do not know (the send
path refuses those), and after a deadline it is reported not sent.

`down` kills the windows labelled with the file, by id, and nothing else (DESIGN.md safety rule
8): a window the file names but did not create (it existed before `up`) stays, and a session goes
only with its last window, when nothing else is left in it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.models import Receipt, Snapshot, Spawned
from tmuxorch.usecases.fleet_file import Fleet, FleetWindow, schedule_trigger

if TYPE_CHECKING:
    from tmuxorch.core.backend import Backend

SPAWNS_AT_ONCE = 16
"""Spawns in flight at once: each waits about a second to see its command keep running."""
MADE_WITHIN = 10.0
MADE_POLL = 0.02
"""How long, and how often, a session's next spawn looks for the window before it in tmux."""
POLL = 0.25
"""Seconds between looks at the agents whose first message waits for them to be idle."""


@dataclass(frozen=True)
class Step:
    """What `up` does about one window of the file."""

    action: Literal["create", "exists"]
    window: FleetWindow
    new_session: bool = False
    """The window's session does not exist yet: this step's spawn creates it."""
    existing: str | None = None
    """The id of the window that exists (action "exists")."""


@dataclass(frozen=True)
class Outcome:
    """What came of one created window: where it runs, or why it failed; its message's
    receipt (None when it has no message or was not created)."""

    step: Step
    spawned: Spawned | None = None
    error: str | None = None
    receipt: Receipt | None = None


def plan_up(snapshot: Snapshot, fleet: Fleet) -> list[Step]:
    """Each window of `fleet`: exists (a window of that exact name in a session of that exact
    name) or to be created (the first of a missing session creates the session)."""
    steps: list[Step] = []
    sessions = {session.name: session for session in snapshot.sessions}
    creating: set[str] = set()
    for window in fleet.windows:
        session = sessions.get(window.session)
        found = [w for w in session.windows if w.name == window.name] if session else []
        if found:
            steps.append(Step("exists", window, existing=found[0].id))
            continue
        new_session = session is None and window.session not in creating
        steps.append(Step("create", window, new_session=new_session))
        creating.add(window.session)
    return steps


async def apply_up(
    backend: Backend, fleet: Fleet, steps: Sequence[Step], *, wait: float
) -> list[Outcome]:
    """Create the windows `steps` say to, then send each new window's message once its agent
    is idle (within `wait` seconds of the spawns). A spawn takes about a second (it waits to
    see its command keep running), so several run at once; yet a session's windows are made in
    the file's order: each spawn starts once the window before it is there, so tmux numbers
    them in that order."""
    gate = asyncio.Semaphore(SPAWNS_AT_ONCE)

    async def create(step: Step) -> Outcome:
        window = step.window
        try:
            spawned = await backend.spawn(
                window.session, list(window.command), name=window.name, kind=window.kind,
                cwd=window.cwd, env=window.env or None, fleet=fleet.label,
                restart=window.restart,
            )  # fmt: skip
        except TmuxorchError as exc:
            return Outcome(step, error=str(exc))
        finally:
            gate.release()
        try:
            for schedule in window.schedules:  # its check-ins, for the new pane
                trigger = schedule_trigger(schedule, time.time())
                await backend.schedule_add([spawned.pane_id], schedule.message, trigger)
        except TmuxorchError as exc:  # the window runs; what it lacks is said
            return Outcome(step, spawned=spawned, error=f"its schedules: {exc}")
        return Outcome(step, spawned=spawned)

    async def in_order(session_steps: list[Step]) -> list[asyncio.Task[Outcome]]:
        tasks = []
        for step in session_steps:
            await gate.acquire()
            tasks.append(asyncio.create_task(create(step)))
            await _until_made(backend, step.window, tasks[-1])
        return tasks

    creates = [step for step in steps if step.action == "create"]
    by_session: dict[str, list[Step]] = {}
    for step in creates:
        by_session.setdefault(step.window.session, []).append(step)
    started = await asyncio.gather(*map(in_order, by_session.values()))
    made = {id(o.step): o for o in await asyncio.gather(*(t for ts in started for t in ts))}
    done = [made[id(step)] for step in creates]
    receipts = await _first_messages(backend, done, wait)
    return [replace(o, receipt=receipts.get(o.spawned.pane_id)) if o.spawned else o for o in done]


async def _until_made(
    backend: Backend, window: FleetWindow, spawning: asyncio.Task[Outcome]
) -> None:
    """Wait until `window` is in tmux (or its spawn ended, or MADE_WITHIN passed)."""
    deadline = time.monotonic() + MADE_WITHIN
    while not spawning.done() and time.monotonic() < deadline:
        snapshot = await backend.snapshot(states=False)
        session = next((s for s in snapshot.sessions if s.name == window.session), None)
        if session is not None and any(w.name == window.name for w in session.windows):
            return
        await asyncio.sleep(MADE_POLL)


async def _first_messages(
    backend: Backend, outcomes: Sequence[Outcome], wait: float
) -> dict[str, Receipt]:
    """Each new agent's message, sent once when it is idle; a receipt per pane."""
    pending = {
        o.spawned.pane_id: o.step.window.message
        for o in outcomes
        if o.spawned is not None and o.step.window.message is not None
    }
    receipts: dict[str, Receipt] = {}
    deadline = time.monotonic() + wait
    while pending:
        snapshot = await backend.snapshot()
        ready: dict[str, list[str]] = {}  # a message -> the idle panes it is for
        for pane_id, message in list(pending.items()):
            pane = snapshot.panes_by_id.get(pane_id)
            state = pane.agent.state if pane is not None and pane.agent else None
            if pane is None or pane.dead or state in ("exited", "error"):
                why = "its pane is gone" if pane is None else f"the agent is {state or 'dead'}"
                receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=why)
            elif state == "idle":
                ready.setdefault(message, []).append(pane_id)
            else:
                continue
            del pending[pane_id]
        for message, pane_ids in ready.items():  # the send path reads each screen again
            receipts.update((r.target, r) for r in await backend.send(pane_ids, message))
        if pending and time.monotonic() >= deadline:
            for pane_id in pending:
                pane = snapshot.panes_by_id.get(pane_id)
                state = pane.agent.state if pane is not None and pane.agent else "unknown"
                status: Literal["skipped_waiting", "skipped_unknown"] = (
                    "skipped_waiting" if state == "waiting" else "skipped_unknown"
                )
                receipts[pane_id] = Receipt(
                    target=pane_id, status=status,
                    detail=f"not sent: the agent was {state}, not idle, for {wait:g} s",
                )  # fmt: skip
            break
        if pending:
            await asyncio.sleep(POLL)
    return receipts


@dataclass(frozen=True)
class Stop:
    """A window `down` kills: started by the fleet file (its label), by id."""

    window_id: str
    session: str
    name: str
    session_goes: bool
    """Nothing else is in its session: the session ends with it (tmux ends an empty one)."""

    @property
    def target(self) -> str:
        return f"{self.session}:{self.name}"


def plan_down(snapshot: Snapshot, label: str) -> list[Stop]:
    """The windows labelled `label`, each once (a linked window under its first session)."""
    stops: list[Stop] = []
    seen: set[str] = set()
    for session in snapshot.sessions:
        ours = [w for w in session.windows if w.fleet == label and w.id not in seen]
        seen.update(w.id for w in ours)
        everything = len(ours) == len(session.windows)
        for index, window in enumerate(ours):
            last = everything and index == len(ours) - 1
            stops.append(Stop(window.id, session.name, window.name, session_goes=last))
    return stops


def strays(snapshot: Snapshot, fleet: Fleet) -> list[Stop]:
    """Windows the fleet file started that it no longer declares (renamed or removed since):
    `up` leaves them running and says so; `down` stops them with the rest."""
    declared = {window.target for window in fleet.windows}
    return [stop for stop in plan_down(snapshot, fleet.label) if stop.target not in declared]


async def apply_down(backend: Backend, stops: Sequence[Stop]) -> list[str | None]:
    """Kill each window by id; per window, None or why it could not be killed."""
    errors: list[str | None] = []
    for stop in stops:
        try:
            await backend.kill(stop.window_id)
        except TmuxorchError as exc:
            errors.append(str(exc))
        else:
            errors.append(None)
    return errors
