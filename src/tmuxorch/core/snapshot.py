"""The one command that lists the whole server, and the parser that turns its output into a
Snapshot.

Fields are separated by the unit separator (0x1f): tmux writes names through vis(3), so a name
holding a control byte comes out as `\\037`, never as the raw byte. The current path, the one field
tmux does not escape, comes last and keeps any separator or newline it contains.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from tmuxorch.core.control import HIDDEN_SESSION
from tmuxorch.core.models import Pane, Session, Snapshot, TmuxInfo, Window

SEPARATOR = "\x1f"
_FIELDS = (
    "session_id",
    "session_name",
    "session_attached",
    "session_created",
    "session_activity",
    "window_id",
    "window_index",
    "window_name",
    "window_active",
    "window_activity",
    "pane_id",
    "pane_index",
    "pane_active",
    "pane_pid",
    "pane_dead",
    "pane_dead_status",
    "pane_width",
    "pane_height",
    "pane_current_command",
    "pane_current_path",
)
LIST_PANES = ["list-panes", "-a", "-F", SEPARATOR.join(f"#{{{f}}}" for f in _FIELDS)]
"""`list-panes -a` with every field the models need: the whole server in one command."""


_RECORD_START = re.compile(r"\$[0-9]+\x1f")


def _records(lines: Iterable[str]) -> Iterable[list[str]]:
    """Split output into records; a line that does not start a record (`$N` then the separator)
    continues the path of the one before (a directory name may contain a newline)."""
    pending: str | None = None
    for line in lines:
        if pending is not None and not _RECORD_START.match(line):
            pending += "\n" + line
            continue
        if pending is not None:
            yield pending.split(SEPARATOR, len(_FIELDS) - 1)
        pending = line
    if pending is not None:
        yield pending.split(SEPARATOR, len(_FIELDS) - 1)


def parse_snapshot(lines: Iterable[str], tmux: TmuxInfo) -> Snapshot:
    """Build the Snapshot from `LIST_PANES` output, leaving out tmuxorch's hidden session."""
    sessions: dict[str, dict[str, Any]] = {}
    windows: dict[tuple[str, str], dict[str, Any]] = {}
    panes: dict[tuple[str, str], list[Pane]] = {}
    for (
        sid, sname, sattached, screated, sactivity,
        wid, windex, wname, wactive, wactivity,
        pid_, pindex, pactive, ppid, pdead, pdead_status, pwidth, pheight, pcommand, pcwd,
    ) in _records(lines):  # fmt: skip
        if sname == HIDDEN_SESSION:
            continue
        if sid not in sessions:
            attached = int(sattached or 0)
            sessions[sid] = {
                "id": sid, "name": sname, "attached": attached > 0,
                "attached_clients": attached, "created": int(screated or 0),
                "activity": int(sactivity or 0),
            }  # fmt: skip
        key = (sid, wid)
        if key not in windows:
            windows[key] = {
                "id": wid, "index": int(windex), "name": wname, "active": wactive == "1",
                "activity": int(wactivity or 0), "session_id": sid,
            }  # fmt: skip
            panes[key] = []
        panes[key].append(
            Pane.model_construct(
                id=pid_,
                index=int(pindex),
                active=pactive == "1",
                pid=int(ppid or 0),
                command=pcommand,
                cwd=pcwd,
                dead=pdead == "1",
                dead_status=int(pdead_status) if pdead_status else None,
                width=int(pwidth),
                height=int(pheight),
                agent=None,
                window_id=wid,
                session_id=sid,
            )
        )
    by_session: dict[str, list[Window]] = {sid: [] for sid in sessions}
    for key, fields in windows.items():
        by_session[key[0]].append(
            Window.model_construct(kind="other", panes=tuple(panes[key]), **fields)
        )
    built = tuple(
        Session.model_construct(
            windows=tuple(sorted(by_session[sid], key=lambda w: w.index)), **fields
        )
        for sid, fields in sessions.items()
    )
    return Snapshot.model_construct(
        tmux=tmux, sessions=tuple(sorted(built, key=_session_order)), taken_at=time.time()
    )


def _session_order(session: Session) -> tuple[str, int]:
    return (session.name, int(session.id[1:]) if session.id[1:].isdigit() else 0)


def empty_snapshot(tmux: TmuxInfo) -> Snapshot:
    """The snapshot of a server that is not running."""
    return Snapshot(tmux=tmux, sessions=(), taken_at=time.time())
