"""The commands that list the whole server in one round trip, and the parser that turns their
output into a Snapshot.

Cost is dominated by tmux: about 0.35 ms per field at 501 panes (each lookup walks six option
trees first), 2.2 ms for `pane_current_command` and 1.4 ms for `pane_current_path` (they read
/proc), plus about 0.35 ms for every 16 KiB of reply (tmux writes at most that much per pass of
its event loop, and each pass walks every pane). So each field is asked once where it lives:
session fields in a small `list-sessions` (which also gives the index of each session's current
window, so `window_active` need not be asked per pane), pane and window fields in one
`list-panes -a`, `pane_dead`/`pane_dead_status` merged into one conditional. Window activity
times are asked only when a caller wants them (`summary`).

Pane lines do not carry their session: both listings walk the same sessions in the same order
within one pass of tmux's command queue, so the first `session_windows` window runs of the pane
listing belong to the first session, and so on. A window run ends where the window id changes or
the pane index stops rising (the same window linked twice in a row). Listings that disagree
(which tmux's single-threaded queue rules out) raise an error rather than guess.

Fields are separated by the unit separator (0x1f): tmux stores names through vis(3), so a name
holding a control byte comes out as `\\037`, never as the raw byte. Two pane fields are printed
raw: the current path (a directory name may hold any byte but `/`) and the current command
(argv[0] of the foreground process, which that process chooses). Either may hold a newline
followed by text shaped like a whole pane record, so every record starts with a marker drawn at
random for each parser: a line that does not start with it continues the previous record. The
path comes last and keeps any separator or newline it contains; a command holding a separator
can only push text into the path of its own record, never into another one.

Parsing reuses the model objects of lines that did not change since the previous snapshot: in a
steady fleet almost every line is unchanged, and building them again would otherwise cost
as much as tmux's answer. When no line changed at all (the usual case between two looks at a
quiet server), the previous sessions are reused whole: comparing 500 lines costs microseconds,
walking them costs most of a millisecond.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence

from tmuxorch.core.errors import TmuxCommandError
from tmuxorch.core.models import Pane, Session, Snapshot, TmuxInfo, Window
from tmuxorch.core.tmux.hidden import PLACEHOLDER, is_hidden

SEPARATOR = "\x1f"
_MARKER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
"""64 characters, so a random byte's low six bits pick one evenly (the URL-safe base64 set)."""


def _format(*fields: str) -> str:
    return SEPARATOR.join(f if f.startswith("#{") else f"#{{{f}}}" for f in fields)


_SESSION_FIELDS = 6
LIST_SESSIONS = [
    "list-sessions", "-F",
    _format(
        "session_id", "session_name", "session_attached", "session_created", "window_index",
        "session_windows",
    ),
]  # fmt: skip
_PANE_FIELDS = 14
FLEET_OPTION = "@tmuxorch-fleet"
"""The window option `tmuxorch up` labels its windows with (a pane's lookup of a user option
falls back to its window's): `Window.fleet`. Before the command, so a value holding a separator
can only push text into the raw fields after it, of its own record."""
_PANE_FORMAT = _format(
    "window_id", "window_index", "window_name",
    "pane_id", "pane_index", "pane_active", "pane_pid", "#{?pane_dead,#{pane_dead_status},-}",
    "pane_width", "pane_height", FLEET_OPTION, "@tmuxorch-restarts", "pane_current_command",
    "pane_current_path",
)  # fmt: skip
WINDOW_ACTIVITY = ["list-windows", "-a", "-F", _format("window_id", "window_activity")]
"""Optional third command: when each window last had output."""


def _records(lines: Iterable[str], marker: str) -> Iterable[str]:
    """Whole pane records without their marker; a line that does not start with the marker
    continues the record before it (a raw field held a newline)."""
    pending: str | None = None
    for line in lines:
        if not line.startswith(marker):
            if pending is not None:
                pending += "\n" + line
            continue
        if pending is not None:
            yield pending
        pending = line[len(marker) :]
    if pending is not None:
        yield pending


class SnapshotParser:
    """Turns listing output into Snapshots, reusing unchanged objects from the previous one."""

    def __init__(self) -> None:
        # Six characters (36 bits) tmux prints verbatim and no pane can predict; every byte of
        # a pane line costs (see above), and a guess gets no feedback. Drawn from os.urandom
        # as `secrets` does, without `secrets` itself: it loads hashlib (OpenSSL's library),
        # ~6 ms of every one-shot `status`.
        self._marker = "".join(_MARKER_ALPHABET[byte & 63] for byte in os.urandom(6))
        self.list_panes = ["list-panes", "-a", "-F", self._marker + _PANE_FORMAT]
        """The pane listing this parser reads (its format carries the record marker)."""
        self._panes: dict[tuple[str, str], tuple[list[str], Pane]] = {}
        self._windows: dict[tuple[object, ...], Window] = {}
        self._last: tuple[tuple[tuple[str, ...], ...], tuple[Session, ...]] | None = None
        self.watched = ""
        """What `core.tmux.watched.WATCHED` said when tmux made the last listing parsed,
        rebuilt from its lines (the same fields of the same panes in the same order)."""

    def parse(
        self,
        session_lines: Sequence[str],
        pane_lines: Sequence[str],
        tmux: TmuxInfo,
        activity_lines: Sequence[str] = (),
    ) -> Snapshot:
        """Build the Snapshot, leaving out tmuxorch's hidden session."""
        listing = (tuple(session_lines), tuple(pane_lines), tuple(activity_lines))
        if self._last is not None and self._last[0] == listing:
            return Snapshot.model_construct(tmux=tmux, sessions=self._last[1], taken_at=time.time())
        sessions: dict[str, list[str]] = {}
        for line in session_lines:
            fields = line.split(SEPARATOR, _SESSION_FIELDS - 1)
            if len(fields) == _SESSION_FIELDS:
                sessions[fields[0]] = fields
        activity = dict(line.split(SEPARATOR, 1) for line in activity_lines if SEPARATOR in line)

        panes: dict[str, Pane] = {}
        window_fields: dict[tuple[str, str, str], list[str]] = {}
        window_panes: dict[tuple[str, str, str], list[Pane]] = {}
        reused: dict[tuple[str, str], tuple[list[str], Pane]] = {}
        watched: list[str] = []
        owners = _window_owners(sessions.values())
        sid, run_window, run_index = "", "", -1
        for record in _records(pane_lines, self._marker):
            fields = record.split(SEPARATOR, _PANE_FIELDS - 1)
            if len(fields) != _PANE_FIELDS or not fields[4].isdigit():
                raise TmuxCommandError("list-panes", f"unexpected line: {record[:80]!r}")
            index = int(fields[4])
            if fields[0] != run_window or index <= run_index:
                sid = next(owners, "")  # a new window run: the next slot of the session order
                if not sid:
                    raise TmuxCommandError("list-panes", "the session and pane listings disagree")
            run_window, run_index = fields[0], index
            watched.append(_watched(fields))
            cached = self._panes.get((sid, record))
            if cached is None:
                cached = (fields, panes.get(fields[3]) or _pane(fields, sid))
            pane = cached[1]
            if fields[2] == PLACEHOLDER and is_hidden(sessions[sid][1]):
                continue  # tmuxorch's own placeholder window
            key = (sid, fields[0], fields[1])  # a window linked twice is two entries
            if key not in window_fields:
                window_fields[key] = fields
                window_panes[key] = []
            reused[(sid, record)] = cached
            panes[pane.id] = pane
            window_panes[key].append(pane)
        if next(owners, ""):
            raise TmuxCommandError("list-panes", "the session and pane listings disagree")
        self._panes = reused
        self.watched = "".join(watched)

        by_session: dict[str, list[Window]] = {sid: [] for sid in sessions}
        windows: dict[tuple[object, ...], Window] = {}
        for key, fields in window_fields.items():
            sid, wid, _index = key
            pane_tuple = tuple(window_panes[key])
            active = sessions[sid][4] == fields[1]  # the session's current window, by index
            window_activity = int(activity[wid]) if wid in activity else None
            cache_key = (
                sid,
                wid,
                fields[1],
                fields[2],
                fields[10],
                active,
                window_activity,
                *map(id, pane_tuple),
            )
            window = self._windows.get(cache_key) or Window.model_construct(
                id=wid,
                index=int(fields[1]),
                name=fields[2],
                active=active,
                kind="other",
                panes=pane_tuple,
                activity=window_activity,
                fleet=fields[10] or None,
                session_id=sid,
            )
            windows[cache_key] = window
            by_session[sid].append(window)
        self._windows = windows

        built = [
            Session.model_construct(
                id=sid,
                name=fields[1],
                attached=int(fields[2] or 0) > 0,
                attached_clients=int(fields[2] or 0),
                created=int(fields[3] or 0),
                windows=tuple(sorted(by_session[sid], key=lambda w: w.index)),
            )
            for sid, fields in sessions.items()
            if by_session[sid] or not is_hidden(fields[1])
        ]
        built.sort(key=lambda s: (s.name, int(s.id[1:]) if s.id[1:].isdigit() else 0))
        self._last = (listing, tuple(built))
        return Snapshot.model_construct(tmux=tmux, sessions=self._last[1], taken_at=time.time())


def _watched(fields: list[str]) -> str:
    """One pane's part of `core.tmux.watched.WATCHED`, from its listing fields."""
    dead = "" if fields[7] == "-" else "x"
    command, path = (field.replace("\n", "?") for field in fields[12:14])
    return f"{fields[3]}{dead}:{fields[6]}:{fields[8]}x{fields[9]}:{command}:{path} "


def _window_owners(sessions: Iterable[list[str]]) -> Iterator[str]:
    """Session ids in listing order, each repeated once per window it has (`session_windows`)."""
    for fields in sessions:
        yield from [fields[0]] * int(fields[5] or 0)


def _pane(fields: list[str], session_id: str) -> Pane:
    dead = fields[7]  # "-" alive, "" dead with no status yet, else the exit status
    return Pane.model_construct(
        id=fields[3], index=int(fields[4]), active=fields[5] == "1", pid=int(fields[6] or 0),
        dead=dead != "-", dead_status=int(dead) if dead.isdigit() else None,
        width=int(fields[8]), height=int(fields[9]), command=fields[12], cwd=fields[13],
        agent=None, window_id=fields[0], session_id=session_id,
        restarts=int(fields[11]) if fields[11].isdigit() else 0,
    )  # fmt: skip


def empty_snapshot(tmux: TmuxInfo) -> Snapshot:
    """The snapshot of a server that is not running."""
    return Snapshot(tmux=tmux, sessions=(), taken_at=time.time())
