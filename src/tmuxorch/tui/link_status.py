"""What the header's connection word and the banner say about the three things that can fail
under the TUI: the link to a remote fleet, the event stream, and tmux itself.

The app reports what it sees (the stream is up or lost, tmux went down or came back, a snapshot
failed, the link's state on a timer); this keeps which trouble is on and puts the words up. The
words of the link are the monitor's (`usecases.connection`), from the capabilities every Backend
declares, so nothing here asks which backend it holds.
"""

from __future__ import annotations

import contextlib

from textual.css.query import NoMatches

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.tui.screens.main import MainScreen
from tmuxorch.tui.widgets.fleet_header import FleetHeader
from tmuxorch.usecases.connection import connection_text

TMUX_DOWN_BANNER = "tmux server is not running — waiting for it to come back"


class LinkStatus:
    """The header's connection word and the banner of one main screen."""

    def __init__(self, backend: Backend, main: MainScreen) -> None:
        self.backend = backend
        self._main = main
        self._tmux_down = False
        self._link_lost = False
        self._stream_lost = False

    @property
    def _header(self) -> FleetHeader:
        return self._main.query_one(FleetHeader)

    def stream_up(self) -> None:
        """The event stream is followed (again: its banner goes)."""
        self._header.connection = "live"
        if self._stream_lost:
            self._stream_lost = False
            self._restore_banner()

    def stream_lost(self, exc: TmuxorchError) -> bool:
        """The event stream broke; False when retrying cannot help (the server refused us for
        good, e.g. a bad token: the banner says so and stays)."""
        if self.backend.connection_state == "refused":
            self._header.connection = "refused"
            self._main.show_banner(str(exc))
            return False
        self._header.connection = "reconnecting"
        self._stream_lost = True
        self._main.show_banner(f"lost the event stream: {exc} — retrying")
        return True

    def tmux_running(self, running: bool) -> None:
        """tmux went down or came back (its events say so)."""
        self._tmux_down = not running
        self._restore_banner()

    def snapshot_failed(self, exc: TmuxorchError) -> None:
        self._header.connection = f"error: {exc}"

    def snapshot_taken(self) -> None:
        if self._header.connection.startswith("error"):
            self._header.connection = "live"  # a remote backend's timer adds the ms

    def tick(self) -> None:
        """A remote backend's link in the header (`live 3 ms`), and a banner while it is
        reconnecting; run on a timer (connecting, refused, closed: the stream's reports say
        those)."""
        state = self.backend.connection_state
        if state not in ("live", "reconnecting"):
            return
        with contextlib.suppress(NoMatches):  # the app is exiting: the timer outlives widgets
            self._header.connection = connection_text(self.backend) or state
            if state == "reconnecting":
                self._link_lost = True
                self._main.show_banner(
                    f"lost the connection to {self.backend.label} — reconnecting…"
                )
            elif self._link_lost:
                self._link_lost = False
                self._restore_banner()

    def _restore_banner(self) -> None:
        """The banner that the state of tmux calls for, now that no connection trouble does."""
        self._main.show_banner(TMUX_DOWN_BANNER if self._tmux_down else None)
