"""Enter: show the user the pane under the cursor, the one way that works from where the TUI
runs. Outside tmux, a new client in this terminal (the TUI suspended until it detaches); inside
the tmux server it shows, the user's client switched over, told there how to come back; inside
another tmux server, nothing can switch (a client of one server cannot show another's pane), so
it says so, with the command to run from outside tmux."""

from __future__ import annotations

import os
import shlex
import subprocess

from textual.app import App

from tmuxorch.core.backend import Backend
from tmuxorch.core.models import Pane, Snapshot
from tmuxorch.tui.targeting import tmux_socket


def way_back(fleet: Snapshot, own: str | None, pane: Pane) -> str:
    """How the user's tmux client comes back to this TUI once Enter switched it to `pane`:
    the default keys for the last session, the last window or the last pane."""
    here = fleet.panes_by_id.get(own) if own is not None else None
    if here is None or here.session_id != pane.session_id:
        return "prefix L (switch-client -l)"
    if here.window_id != pane.window_id:
        return "prefix l (last-window)"
    return "prefix ; (last-pane)"


def attach(app: App[None], backend: Backend, fleet: Snapshot, pane: Pane, own: str | None) -> None:
    """Attach to `pane`, or say why not (`own`: the TUI's own pane, if it is in `fleet`)."""
    inside = tmux_socket(os.environ)
    if inside and inside != fleet.tmux.socket:
        argv = backend.attach_argv(pane.id)
        how = f": {shlex.join(argv)}" if argv else ""
        app.notify(
            f"This TUI runs inside another tmux server ({inside}) than the one it shows: "
            f"attach from a terminal outside tmux{how}",
            severity="warning", timeout=15,
        )  # fmt: skip
        return
    argv = backend.attach_argv(pane.id, switch=bool(inside))
    if argv is None:
        app.notify("Attaching works on the tmux host itself (run tmuxorch there)")
        return
    if inside:  # the detach key would leave tmux: the message names the key that comes back
        back = f"tmuxorch: {way_back(fleet, own, pane)} comes back"
        subprocess.run([*argv, ";", "display-message", "-d", "5000", back], check=False)
        return
    with app.suspend():  # what changes meanwhile comes as events once we are back
        subprocess.run(argv, check=False)
