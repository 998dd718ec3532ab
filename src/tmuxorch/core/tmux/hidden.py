"""The hidden sessions our control clients attach to: one per client, created by it, gone with it.

A tmux control client must be attached to a session. Each of ours creates its own,
`_tmuxorch-<pid>-<n>`, with a placeholder window that runs `sleep`, in the same command list
that sets `destroy-unattached on` (so the session goes when the client leaves, even when we are
SIGKILLed) and `detach-on-destroy off` (tmux 3.3a's subscription timer crashes on a control
client left with no session; if someone destroys ours, tmux moves the client instead and the
engine reconnects). `new-session` without `-A` fails on an existing name, so `destroy-unattached`
is never given to a session tmuxorch did not create, whatever it is called.

Why a session can still catch a user's window: tmux sends a command run outside tmux without
`-t` (`tmux new-window`, `tmux split-window`) to the session with the latest activity, and
attaching is activity, so just after an attach that is ours. tmux offers no way to attach
without it. So the engine moves anything that lands here into the user's most recently active
session as soon as tmux reports it (`rescue_commands`), and once more before it leaves: nothing
a user puts here is ever destroyed with it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

from tmuxorch.core.frozen import Frozen, frozen_record

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from tmuxorch.core.tmux.results import Runner

PLACEHOLDER = "_tmuxorch"
"""Name of the window each hidden session is created with."""
_serial = itertools.count(1)
SEPARATOR = "\x1f"


def new_name() -> str:
    """A name no session has yet: this process's PID and a counter (one per control client)."""
    return f"_tmuxorch-{os.getpid()}-{next(_serial)}"


def is_hidden(session_name: str) -> bool:
    """Is this the name of one of tmuxorch's hidden sessions (of any tmuxorch process):
    `_tmuxorch-<digits>-<digits>`, as `new_name` makes them? Read without `re`, which a status
    bar's read of a watcher's segment would import for this alone."""
    parts = session_name.split("-")
    return (
        len(parts) == 3
        and parts[0] == "_tmuxorch"
        and all(part.isascii() and part.isdigit() for part in parts[1:])
    )


def attach_argv(name: str) -> list[str]:
    """The control client's command list: create the session, attach, set its options."""
    target = f"={name}:"
    return [
        "new-session", "-s", name, "-n", PLACEHOLDER, "-x", "80", "-y", "24",
        "-f", "no-output,ignore-size", "sleep", "2147483647",
        ";", "set-option", "-t", target, "destroy-unattached", "on",
        ";", "set-option", "-t", target, "detach-on-destroy", "off",
    ]  # fmt: skip


IDENTIFY_FORMAT = SEPARATOR.join(
    ("#{session_id}", "#{window_id}", "#{pane_id}", "#{destroy-unattached}")
)


@frozen_record
class HiddenSession(Frozen):
    """The hidden session of one control client, by id: what it may hold and nothing else."""

    name: str
    session_id: str
    window_id: str
    pane_id: str

    @classmethod
    def parse(cls, name: str, line: str) -> HiddenSession | None:
        """From the IDENTIFY_FORMAT line of the attached client; None unless it is really our
        freshly created session with `destroy-unattached` on."""
        fields = line.split(SEPARATOR)
        if len(fields) != 4 or fields[3] not in ("1", "on"):
            return None
        return cls(name, fields[0], fields[1], fields[2])

    def listing(self) -> list[str]:
        """Lists every pane of the session: window id, pane id."""
        return [
            "list-panes", "-s", "-t", self.session_id, "-F",
            f"#{{window_id}}{SEPARATOR}#{{pane_id}}",
        ]  # fmt: skip


USER_SESSIONS = [
    "list-sessions", "-F",
    SEPARATOR.join(("#{session_activity}", "#{session_id}", "#{session_name}")),
]  # fmt: skip
"""Where rescued windows go: the user's session with the latest activity."""


def foreign(hidden: HiddenSession, panes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The windows, and the panes of the placeholder window, that someone else put in the
    hidden session (from `hidden.listing()`)."""
    windows: list[str] = []
    strays: list[str] = []
    for line in panes:
        window_id, _, pane_id = line.partition(SEPARATOR)
        if window_id != hidden.window_id:
            if window_id not in windows:
                windows.append(window_id)
        elif pane_id != hidden.pane_id:
            strays.append(pane_id)
    return windows, strays


def best_user_session(sessions: Sequence[str]) -> str | None:
    """The id of the user's session with the latest activity (from USER_SESSIONS)."""
    best: tuple[int, int, str] | None = None
    for line in sessions:
        fields = line.split(SEPARATOR, 2)
        if len(fields) != 3 or is_hidden(fields[2]) or not fields[0].isdigit():
            continue
        key = (int(fields[0]), int(fields[1][1:] or 0), fields[1])
        if best is None or key > best:
            best = key
    return best[2] if best else None


def rescue_commands(
    destination: str, windows: Sequence[str], strays: Sequence[str]
) -> list[list[str]]:
    """Move foreign windows, and break foreign panes out of the placeholder window, into the
    session `destination`, each at its next free index, leaving them running and untouched."""
    target = f"{destination}:"
    return [
        *(["move-window", "-d", "-s", window, "-t", target] for window in windows),
        *(["break-pane", "-d", "-s", pane, "-t", target] for pane in strays),
    ]


async def rescue(run: Runner, hidden: HiddenSession) -> bool:
    """Move whatever someone else put in `hidden` into the user's most recently active session
    (or a new one when there is none), untouched and running; True when anything moved."""
    panes, sessions = await run([hidden.listing(), USER_SESSIONS])
    windows, strays = foreign(hidden, panes.check().lines)
    if not windows and not strays:
        return False
    destination = best_user_session(sessions.check().lines)
    made: list[str] = []
    if destination is None:  # only our session: give the windows a session of their own
        (created,) = await run(
            [["new-session", "-d", "-P", "-F", "#{session_id} #{window_id}"]],
            idempotent=False,
        )
        destination, _, placeholder = created.check().lines[0].partition(" ")
        made.append(placeholder)
    moves = rescue_commands(destination, windows, strays)
    for result in await run(moves, idempotent=False):
        result.check()
    if made:  # the window new-session made, now that the session holds the rescued ones
        await run([["kill-window", "-t", made[0]]], idempotent=False)
    return True
