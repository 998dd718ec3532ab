"""The fleet as a status-bar segment (`?2 ●3 ○1`), kept in the tmux user option
`@tmuxorch-status` so that `status-right` can show `#{@tmuxorch-status}` with no process at all.

Who keeps it: every engine with subscribers (the TUI, `serve`, `watch`, `events`, `monitor`)
writes the segment with one `set-option -g` over its control client whenever the segment
changes (an agent changes state, appears or goes), never on a timer: a quiet fleet costs
nothing. tmux redraws status lines when an option is set, so the bar is current at once. An
empty fleet unsets the option (`#{@tmuxorch-status}` is then empty too).

Several keepers at once all compute the same segment from the same server and write the same
value: harmless (the last write wins and they agree). A keeper that stops cleanly unsets the
option unless another keeper is still attached, so no summary stays behind pretending to be
live. A keeper that is SIGKILLed cannot: its last value stays until the next keeper starts
(its first write replaces it). `tmuxorch status --format tmux` is not fooled by that: it takes
the option only while some tmuxorch control client is attached (each has a hidden session,
`_tmuxorch-<pid>-<n>`, that tmux destroys when it leaves), else it computes the segment itself.
It asks tmux only when a keeper left its mark beside the socket (KEEPER_MARK): with no watcher,
that read would be a tmux process of every status-bar refresh for nothing. The mark is a hint,
never trusted alone: one left by a killed keeper costs that read again, no mark (a socket
directory we cannot write) costs the counting, and either way the segment shown is right.

This module imports neither pydantic nor asyncio at run time, nor contextlib and collections:
`status --format tmux` reads the option with it and should start fast.
"""

from __future__ import annotations

import os

from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.core.tmux.hidden import is_hidden

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState, Snapshot
    from tmuxorch.core.tmux.hidden import HiddenSession
    from tmuxorch.core.tmux.results import Runner
    from tmuxorch.core.tmux.server import TmuxServer

OPTION = "@tmuxorch-status"

STATE_SYMBOLS: dict[AgentState, str] = {
    "busy": "●",
    "waiting": "?",
    "idle": "○",
    "error": "✗",
    "exited": "■",
    "unknown": "·",
}
"""A symbol per state, readable without colour: the TUI's badges (`usecases.labels`) use them
too. They live here because the engine writes the segment and core imports nothing above it."""

SEGMENT_STATES: tuple[AgentState, ...] = ("waiting", "error", "busy", "idle")
"""What the segment counts, what needs a person first: exited and unknown agents ask nothing."""

KEEPER_MARK = ".tmuxorch-keeper"
"""`<socket>.tmuxorch-keeper`: left by a keeper while it writes the option (see the module's
docstring), beside the socket as the hooks' doorbell and the handshake lock are."""

_SESSION_NAMES = ["list-sessions", "-F", "#{session_name}"]
_READ = ["show-options", "-gqv", OPTION]


def segment(snapshot: Snapshot) -> str:
    """`?2 ✗1 ●3 ○1`: how many agents wait, failed, work, idle; states with none left out, and
    '' with no such agent (or no tmux server)."""
    counts: dict[str, int] = dict.fromkeys(SEGMENT_STATES, 0)  # not Counter: see module docstring
    for pane in snapshot.panes():
        if pane.agent is not None and pane.agent.state in counts:
            counts[pane.agent.state] += 1
    return " ".join(f"{STATE_SYMBOLS[s]}{counts[s]}" for s in SEGMENT_STATES if counts[s])


def write_command(value: str) -> list[str]:
    """Set the option to `value` (one argument: only our symbols and digits), or unset it."""
    if value:
        return ["set-option", "-g", OPTION, value]
    return ["set-option", "-gqu", OPTION]


def keeper_mark(server: TmuxServer) -> str:
    """The path of `server`'s KEEPER_MARK."""
    return server.socket_path + KEEPER_MARK


class SegmentKeeper:
    """Keeps `@tmuxorch-status` equal to the live model's segment, writing only on change."""

    def __init__(self, run: Runner, mark: str | None = None) -> None:
        self._run = run
        self._mark = mark
        """KEEPER_MARK's path (None: leave none), made before the first write."""
        self._written: str | None = None
        """What this server's option holds from us; None until we wrote it (or after tmux went
        away: a new server has no option, so the next keep writes whatever the segment is)."""

    async def keep(self, snapshot: Snapshot) -> None:
        """Write the segment of `snapshot` when it differs from what we wrote last. A failed
        write is tried again on the next change or sweep; tmux going away is the watcher's
        business."""
        import contextlib  # here: a status bar's read loads none of it

        if not snapshot.tmux.running:
            self.forget()
            return
        value = segment(snapshot)
        if value == self._written:
            return
        if self._mark is not None and self._written is None:  # once a server: an empty one too
            with contextlib.suppress(OSError):  # no mark: readers count it themselves
                os.close(os.open(self._mark, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        with contextlib.suppress(TmuxorchError):  # a user option: it changes nothing we model
            (await self._run([write_command(value)]))[0].check()
            self._written = value

    def forget(self) -> None:
        """The server went away (or was replaced): what we wrote went with it."""
        self._written = None

    async def leave(self, hidden: HiddenSession | None) -> None:
        """Before our control client (attached to `hidden`) leaves: unset the option, and take
        the mark away, unless another tmuxorch control client stays to keep it (see the module
        docstring)."""
        import contextlib  # here: a status bar's read loads none of it

        if self._written is None or hidden is None:
            return
        (names,) = await self._run([_SESSION_NAMES])
        if not any(is_hidden(n) and n != hidden.name for n in names.check().lines):
            if self._written:
                (await self._run([write_command("")]))[0].check()
            if self._mark is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._mark)
        self._written = None


def read_kept(server: TmuxServer, timeout: float) -> str | None:
    """The segment a live keeper keeps, in one plain `tmux` process (read-only, no control
    client, no event loop); None when no keeper is attached (none runs, or one was killed and
    left its last value behind) or no server runs: the caller computes the segment then. With
    no KEEPER_MARK, None at once: no keeper has written the option."""
    from tmuxorch.core.tmux.chained import run_chained_now

    if not os.path.exists(keeper_mark(server)):
        return None
    try:
        if not server.is_running():
            return None
        names, value = run_chained_now(server, [_SESSION_NAMES, _READ], timeout)
    except TmuxUnavailableError:  # gone as we asked: as good as no server
        return None
    if not names.ok or not value.ok or not any(is_hidden(n) for n in names.lines):
        return None
    return value.lines[0] if value.lines else ""
