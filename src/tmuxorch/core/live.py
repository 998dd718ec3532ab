"""Keeping a model of the fleet in step: the events between two snapshots, and applying them.

`diff_snapshots(old, new)` says what changed as typed events; `apply(old, events)` replays them,
and `apply(old, diff_snapshots(old, new))` is `new` (all but `taken_at`), agents included. So a
consumer (the TUI, a remote client) that took one snapshot keeps an exact copy from the events
alone, without listing the server again on each change.

A window linked into several sessions has one copy per session: its name, panes, kind and
activity are shared (events about them apply to every copy), its index and active flag are the
session's own (`window_changed` names the session). Sessions are ordered by name then id,
windows by index, panes by index, as the snapshot parser orders them. A change that events
cannot tell exactly (a window linked twice into the same session) becomes one `resync` carrying
the new snapshot. Applying never asks tmux and keeps every object that did not change, so a
consumer can skip redrawing what is the same object as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tmuxorch.core.events import (
    AgentStateChanged,
    Event,
    PaneAdded,
    PaneChanged,
    PaneClosed,
    PaneDied,
    Resynced,
    SessionAdded,
    SessionChanged,
    SessionClosed,
    SessionRenamed,
    TmuxDown,
    TmuxUp,
    WindowAdded,
    WindowChanged,
    WindowClosed,
    WindowRenamed,
)
from tmuxorch.core.models import AgentInfo, Pane, Session, Snapshot, TmuxInfo, Window


class IncompleteEventError(ValueError):
    """An added-object event without its object (from a peer older than this one): the model
    cannot follow it; take a fresh snapshot."""


def diff_snapshots(old: Snapshot, new: Snapshot) -> list[Event]:
    """The events that turn `old` into `new` (see the module docstring)."""
    copies_old, copies_new = _copies(old), _copies(new)
    if copies_old is None or copies_new is None:
        return [Resynced(reason="a window is linked twice into one session", snapshot=new)]
    return [
        *_session_events(old, new),
        *_window_events(old, new, copies_old, copies_new),
        *_pane_events(old, new),
    ]


def _copies(snapshot: Snapshot) -> dict[tuple[str, str], Window] | None:
    """Every window copy keyed by (session id, window id); None when a key repeats."""
    found = {(s.id, w.id): w for s in snapshot.sessions for w in s.windows}
    return found if len(found) == sum(len(s.windows) for s in snapshot.sessions) else None


def _session_events(old: Snapshot, new: Snapshot) -> Iterable[Event]:
    before = old.sessions_by_id
    for sid, session in new.sessions_by_id.items():
        was = before.get(sid)
        if was is None:
            yield SessionAdded(session_id=sid, name=session.name, session=session)
            continue
        if was.name != session.name:
            yield SessionRenamed(session_id=sid, old_name=was.name, name=session.name)
        clients = (session.attached, session.attached_clients, session.created)
        if (was.attached, was.attached_clients, was.created) != clients:
            yield SessionChanged(
                session_id=sid, attached=session.attached,
                attached_clients=session.attached_clients, created=session.created,
            )  # fmt: skip
    after = new.sessions_by_id
    for sid, session in before.items():
        if sid not in after:
            yield SessionClosed(session_id=sid, name=session.name)


def _window_events(
    old: Snapshot,
    new: Snapshot,
    copies_old: dict[tuple[str, str], Window],
    copies_new: dict[tuple[str, str], Window],
) -> Iterable[Event]:
    renamed: set[str] = set()
    for (sid, wid), window in copies_new.items():
        was = copies_old.get((sid, wid))
        if was is None:
            if sid in old.sessions_by_id:
                yield WindowAdded(
                    window_id=wid, session_id=sid, index=window.index, name=window.name,
                    window=window,
                )  # fmt: skip
            continue
        if was.name != window.name and wid not in renamed:  # the name is shared by copies
            renamed.add(wid)
            yield WindowRenamed(window_id=wid, session_id=sid, old_name=was.name, name=window.name)
        look = (window.index, window.active, window.kind, window.activity, window.fleet)
        if (was.index, was.active, was.kind, was.activity, was.fleet) != look:
            yield WindowChanged(
                window_id=wid, session_id=sid, index=window.index, active=window.active,
                kind=window.kind, activity=window.activity, fleet=window.fleet,
            )  # fmt: skip
    for (sid, wid), window in copies_old.items():
        if (sid, wid) not in copies_new and sid in new.sessions_by_id:
            yield WindowClosed(window_id=wid, session_id=sid, name=window.name)


def _pane_events(old: Snapshot, new: Snapshot) -> Iterable[Event]:
    before, windows_before = old.panes_by_id, old.windows_by_id
    for pid, pane in new.panes_by_id.items():
        was = before.get(pid)
        ids: dict[str, Any] = {
            "pane_id": pid, "window_id": pane.window_id, "session_id": pane.session_id
        }  # fmt: skip
        if was is None:
            if pane.window_id in windows_before:  # else its new window or session carries it
                yield PaneAdded(**ids, pane=pane)
        elif pane.dead and not was.dead:
            yield PaneDied(**ids, status=pane.dead_status, pane=pane)
        elif was is not pane and not _same_but_session(was, pane):
            yield PaneChanged(**ids, pane=pane)
    windows_after = new.windows_by_id
    for pid, pane in before.items():
        if pid not in new.panes_by_id and pane.window_id in windows_after:
            yield PaneClosed(pane_id=pid, window_id=pane.window_id, session_id=pane.session_id)


def _same_but_session(was: Pane, pane: Pane) -> bool:
    """Whether two panes differ in nothing but their session (each copy of a linked window
    names its own)."""
    return was.model_copy(update={"session_id": pane.session_id}) == pane


def apply(snapshot: Snapshot, events: Iterable[Event]) -> Snapshot:
    """`snapshot` with `events` applied in order; events about ids it does not hold change
    nothing. Raises IncompleteEventError for an added object the event does not carry."""
    for event in events:
        snapshot = _apply_one(snapshot, event)
        if snapshot.taken_at < event.at and not isinstance(event, Resynced):
            snapshot = _rebuilt(snapshot, snapshot.sessions, taken_at=event.at)
    return snapshot


def _apply_one(snapshot: Snapshot, event: Event) -> Snapshot:
    if isinstance(event, Resynced):
        return event.snapshot
    if isinstance(event, TmuxDown | TmuxUp):
        running = isinstance(event, TmuxUp)
        version = event.version if isinstance(event, TmuxUp) else None
        info = TmuxInfo(socket=snapshot.tmux.socket, version=version, running=running)
        return Snapshot.model_construct(tmux=info, sessions=(), taken_at=snapshot.taken_at)
    if isinstance(event, SessionAdded | SessionClosed | SessionRenamed | SessionChanged):
        return _rebuilt(snapshot, _session_applied(snapshot.sessions, event))
    if isinstance(event, WindowAdded | WindowClosed | WindowRenamed | WindowChanged):
        return _rebuilt(snapshot, _window_applied(snapshot.sessions, event))
    return _rebuilt(snapshot, _pane_applied(snapshot.sessions, event))


def _rebuilt(
    snapshot: Snapshot, sessions: tuple[Session, ...], *, taken_at: float | None = None
) -> Snapshot:
    if sessions is snapshot.sessions and taken_at is None:
        return snapshot
    return Snapshot.model_construct(
        tmux=snapshot.tmux,
        sessions=sessions,
        taken_at=snapshot.taken_at if taken_at is None else taken_at,
    )


def _session_order(session: Session) -> tuple[str, int]:
    number = session.id[1:]
    return session.name, int(number) if number.isdigit() else 0


def _session_applied(
    sessions: tuple[Session, ...],
    event: SessionAdded | SessionClosed | SessionRenamed | SessionChanged,
) -> tuple[Session, ...]:
    others = tuple(s for s in sessions if s.id != event.session_id)
    if isinstance(event, SessionAdded):
        if event.session is None:
            raise IncompleteEventError(f"session_added {event.session_id} carries no session")
        return tuple(sorted((*others, event.session), key=_session_order))
    if isinstance(event, SessionClosed) or len(others) == len(sessions):
        return others if len(others) < len(sessions) else sessions
    if isinstance(event, SessionRenamed):
        update: dict[str, object] = {"name": event.name}
    else:
        update = {
            "attached": event.attached,
            "attached_clients": event.attached_clients,
            "created": event.created,
        }
    changed = tuple(
        s.model_copy(update=update) if s.id == event.session_id else s for s in sessions
    )
    return tuple(sorted(changed, key=_session_order))


def _window_applied(
    sessions: tuple[Session, ...],
    event: WindowAdded | WindowClosed | WindowRenamed | WindowChanged,
) -> tuple[Session, ...]:
    if isinstance(event, WindowRenamed):  # every copy: the name belongs to the window
        return _map_windows(
            sessions,
            lambda _s, w: (
                w.model_copy(update={"name": event.name}) if w.id == event.window_id else w
            ),
        )
    if isinstance(event, WindowAdded) and event.window is None:
        raise IncompleteEventError(f"window_added {event.window_id} carries no window")

    def session_with(session: Session) -> Session:
        held = any(w.id == event.window_id for w in session.windows)
        if session.id != event.session_id or not (held or isinstance(event, WindowAdded)):
            return session
        windows = [w for w in session.windows if w.id != event.window_id]
        if isinstance(event, WindowAdded) and event.window is not None:
            windows.append(event.window)
        elif isinstance(event, WindowChanged):
            windows += [
                w.model_copy(update={
                    "index": event.index, "active": event.active, "kind": event.kind,
                    "activity": event.activity, "fleet": event.fleet,
                })
                for w in session.windows
                if w.id == event.window_id
            ]  # fmt: skip
        windows.sort(key=lambda w: w.index)
        return session.model_copy(update={"windows": tuple(windows)})

    return tuple(session_with(s) for s in sessions)


def _pane_applied(sessions: tuple[Session, ...], event: Event) -> tuple[Session, ...]:
    if isinstance(event, PaneAdded | PaneDied | PaneChanged):
        pane = event.pane
        if pane is None and isinstance(event, PaneAdded):
            raise IncompleteEventError(f"pane_added {event.pane_id} carries no pane")
        if pane is not None:
            return _map_windows(sessions, lambda s, w: _placed(s, w, pane))
        status = event.status if isinstance(event, PaneDied) else None
        update: dict[str, object] = {"dead": True, "dead_status": status}
        return _map_panes(sessions, event.pane_id, lambda p: p.model_copy(update=update))
    if isinstance(event, PaneClosed):
        return _map_windows(sessions, lambda _s, w: _without(w, event.pane_id))
    if isinstance(event, AgentStateChanged):
        info = AgentInfo(
            kind=event.kind, state=event.state, since=event.since, source=event.source,
            reason=event.reason,
        )  # fmt: skip
        marked = _map_panes(sessions, event.pane_id, lambda p: p.model_copy(update={"agent": info}))
        return _map_windows(marked, lambda _s, w: _agent_window(w, event.pane_id))
    return sessions


def _placed(session: Session, window: Window, pane: Pane) -> Window:
    """`window` holding `pane` (its copy for `session`) if it is the pane's window, else
    without it (a pane that moved leaves its old window)."""
    if window.id != pane.window_id:
        return _without(window, pane.id)
    if pane.session_id != session.id:
        pane = pane.model_copy(update={"session_id": session.id})
    panes = [p for p in window.panes if p.id != pane.id]
    panes.append(pane)
    panes.sort(key=lambda p: p.index)
    return window.model_copy(update={"panes": tuple(panes)})


def _without(window: Window, pane_id: str) -> Window:
    if all(p.id != pane_id for p in window.panes):
        return window
    return window.model_copy(update={"panes": tuple(p for p in window.panes if p.id != pane_id)})


def _agent_window(window: Window, pane_id: str) -> Window:
    """A window with an agent pane is an agent window (profiles.window_kind's first rule)."""
    if window.kind == "agent" or all(p.id != pane_id for p in window.panes):
        return window
    return window.model_copy(update={"kind": "agent"})


def _map_panes(
    sessions: tuple[Session, ...], pane_id: str, change: Callable[[Pane], Pane]
) -> tuple[Session, ...]:
    def window_with(_session: Session, window: Window) -> Window:
        if all(p.id != pane_id for p in window.panes):
            return window
        panes = tuple(change(p) if p.id == pane_id else p for p in window.panes)
        return window.model_copy(update={"panes": panes})

    return _map_windows(sessions, window_with)


def _map_windows(
    sessions: tuple[Session, ...], change: Callable[[Session, Window], Window]
) -> tuple[Session, ...]:
    """Sessions with `change` applied to every window; unchanged objects are kept as they are."""
    result: list[Session] = []
    for session in sessions:
        windows = tuple(change(session, w) for w in session.windows)
        if all(a is b for a, b in zip(windows, session.windows, strict=True)):
            result.append(session)
        else:
            result.append(session.model_copy(update={"windows": windows}))
    if all(a is b for a, b in zip(result, sessions, strict=True)):
        return sessions
    return tuple(result)
