"""The `summary` report: counts and activity derived from one Snapshot, shared by every face."""

from __future__ import annotations

from tmuxorch.core.frozen import Frozen, frozen_model
from tmuxorch.core.models import Snapshot, TmuxInfo

SUMMARY_SCHEMA = "tmuxorch.summary/1"


@frozen_model
class Counts(Frozen):
    sessions: int
    windows: int
    panes: int
    attached_sessions: int
    dead_panes: int


@frozen_model
class WindowActivity(Frozen):
    """A window and when it last had output."""

    id: str
    session: str
    index: int
    name: str
    activity: int


@frozen_model
class SessionActivity(Frozen):
    """A session's size and last activity (the latest of its windows')."""

    id: str
    name: str
    attached: bool
    windows: int
    panes: int
    created: int
    activity: int


@frozen_model
class Summary(Frozen):
    """The `tmuxorch.summary/1` document."""

    tmux: TmuxInfo
    counts: Counts
    attached_sessions: tuple[str, ...]
    recent_windows: tuple[WindowActivity, ...]
    sessions: tuple[SessionActivity, ...]

    def to_document(self) -> dict[str, object]:
        return {"schema": SUMMARY_SCHEMA, **self.model_dump(mode="json")}


def summarize(snapshot: Snapshot, recent: int = 5) -> Summary:
    """Counts, attached sessions, the `recent` latest active windows, per-session activity (the
    latest of its windows'). The snapshot should be taken with activity times."""
    windows = [
        WindowActivity(
            id=w.id, session=s.name, index=w.index, name=w.name, activity=w.activity or 0
        )
        for s in snapshot.sessions
        for w in s.windows
    ]
    sessions = tuple(
        SessionActivity(
            id=s.id,
            name=s.name,
            attached=s.attached,
            windows=len(s.windows),
            panes=sum(len(w.panes) for w in s.windows),
            created=s.created,
            activity=max([0, *(w.activity or 0 for w in s.windows)]),
        )
        for s in snapshot.sessions
    )
    panes = snapshot.panes()
    return Summary(
        tmux=snapshot.tmux,
        counts=Counts(
            sessions=len(snapshot.sessions),
            windows=len(snapshot.windows()),
            panes=len(panes),
            attached_sessions=sum(s.attached for s in snapshot.sessions),
            dead_panes=sum(p.dead for p in panes),
        ),
        attached_sessions=tuple(s.name for s in snapshot.sessions if s.attached),
        recent_windows=tuple(sorted(windows, key=lambda w: w.activity, reverse=True)[:recent]),
        sessions=tuple(sorted(sessions, key=lambda s: s.activity, reverse=True)),
    )
