"""Resolving a user's TARGET string to exactly one session, window or pane.

Unlike tmux's own `-t`, which prefix-matches and globs (`-t vic` hits `victim`), names match
exactly, and a string that could mean two things is refused with the ids to choose from. The
result is always addressed by id afterwards.

Grammar (DESIGN.md): `%N` `@N` `$N`, or `session`, `session:window`, `session:window.pane`, where
window and pane are a name or an index. Session names cannot contain `:` or `.` (tmux replaces
them), so the session part ends at the first `:`; a window name may contain `.`, so both readings
of the rest are tried.
"""

from __future__ import annotations

from tmuxorch.core.errors import AmbiguousTargetError, TargetNotFoundError, TmuxUnavailableError
from tmuxorch.core.ids import id_kind
from tmuxorch.core.models import Pane, Session, Snapshot, Window

Target = Session | Window | Pane


def resolve_target(snapshot: Snapshot, target: str) -> Target:
    """The one object TARGET names, or TargetNotFoundError / AmbiguousTargetError
    (TmuxUnavailableError when there is no server to name anything on)."""
    if not snapshot.tmux.running:
        raise TmuxUnavailableError(f"no tmux server running on {snapshot.tmux.socket}")
    by_id = _lookup_id(snapshot, target)
    if by_id is not None:
        return by_id
    if id_kind(target) is not None:
        raise TargetNotFoundError(target, _suggest(snapshot, target))
    matches = _matches(snapshot, target)
    unique = list({match.id: match for match in matches}.values())
    if not unique:
        raise TargetNotFoundError(target, _suggest(snapshot, target))
    if len(unique) > 1:
        raise AmbiguousTargetError(target, [match.id for match in unique])
    return unique[0]


def panes_of(target: Target) -> list[Pane]:
    """Every pane a resolved target covers (a session's or window's panes, or the pane)."""
    if isinstance(target, Pane):
        return [target]
    if isinstance(target, Window):
        return list(target.panes)
    return [pane for window in target.windows for pane in window.panes]


def input_panes(target: Target) -> list[Pane]:
    """The panes a message to `target` goes to: a pane itself; for a window or session, its
    agent panes, or when it has none, the pane a person would be typing into (the active pane
    of the active window)."""
    if isinstance(target, Pane):
        return [target]
    panes = panes_of(target)
    agents = [pane for pane in panes if pane.agent is not None]
    if agents:
        return agents
    windows = [target] if isinstance(target, Window) else list(target.windows)
    window = next((w for w in windows if w.active), windows[0] if windows else None)
    if window is None:
        return []
    return [next((p for p in window.panes if p.active), window.panes[0])]


def subtree(snapshot: Snapshot, target: Target) -> Snapshot:
    """The snapshot cut down to what `target` covers, keeping the session/window nesting."""
    sessions: tuple[Session, ...]
    if isinstance(target, Session):
        sessions = (target,)
    else:
        window_ids = {target.id} if isinstance(target, Window) else {target.window_id}
        pane_ids = None if isinstance(target, Window) else {target.id}
        sessions = tuple(
            session.model_copy(
                update={
                    "windows": tuple(
                        window.model_copy(
                            update={
                                "panes": tuple(
                                    p for p in window.panes if pane_ids is None or p.id in pane_ids
                                )
                            }
                        )
                        for window in session.windows
                        if window.id in window_ids
                    )
                }
            )
            for session in snapshot.sessions
            if session.id == target.session_id
        )
    # A new model, not model_copy(): the copy would carry the cached id lookups of the original.
    return Snapshot.model_construct(
        tmux=snapshot.tmux, sessions=sessions, taken_at=snapshot.taken_at
    )


def _lookup_id(snapshot: Snapshot, target: str) -> Target | None:
    kind = id_kind(target)
    if kind == "pane":
        return snapshot.panes_by_id.get(target)
    if kind == "window":
        return snapshot.windows_by_id.get(target)
    if kind == "session":
        return snapshot.sessions_by_id.get(target)
    return None


def _matches(snapshot: Snapshot, target: str) -> list[Target]:
    session_name, colon, rest = target.partition(":")
    sessions = [session for session in snapshot.sessions if session.name == session_name]
    if not colon:
        return list(sessions)
    found: list[Target] = []
    for session in sessions:
        found += _windows_named(session, rest)
        window_part, dot, pane_part = rest.rpartition(".")
        if dot and pane_part.isdigit():
            for window in _windows_named(session, window_part):
                found += [pane for pane in window.panes if pane.index == int(pane_part)]
    return found


def _windows_named(session: Session, spec: str) -> list[Window]:
    """Windows whose index is `spec` (when numeric) or whose name is exactly `spec`."""
    if spec.isdigit():
        by_index = [window for window in session.windows if window.index == int(spec)]
        if by_index:
            return by_index
    return [window for window in session.windows if window.name == spec]


def _all_target_names(snapshot: Snapshot) -> list[str]:
    names: list[str] = []
    for session in snapshot.sessions:
        names.append(session.name)
        for window in session.windows:
            names.append(f"{session.name}:{window.name}")
            names.append(f"{session.name}:{window.index}")
    return names


def _suggest(snapshot: Snapshot, target: str) -> list[str]:
    if target[:1] in ("%", "@", "$"):
        return []
    import difflib  # only for a target that was not found

    return difflib.get_close_matches(target, _all_target_names(snapshot), n=3, cutoff=0.6)
