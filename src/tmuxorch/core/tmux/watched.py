"""How tmux tells a watching engine that something changed: the notifications that mean the
structure changed, and a subscription over what no notification reports.

Measured on tmux 3.3a with a control client attached to its own hidden session: a pane's
foreground command, its directory and its size (`resize-pane`, `resize-window` in another
session) send nothing; a pane made, killed or swapped in another session only changes the
subscription; `select-pane` sends `%window-pane-changed`, `select-window` and `move-window`
`%session-window-changed`, a client attaching or leaving `%client-session-changed` /
`%client-detached`. tmux checks a subscription's value about once a second and reports it when
it changed; at 501 panes this one costs the tmux server ~16 ms of CPU per second, ~12 ms more
than pane ids and dead flags alone.
"""

from __future__ import annotations

STRUCTURE_NOTIFICATIONS = frozenset(
    {
        "sessions-changed", "session-renamed", "session-window-changed", "window-add",
        "window-close", "window-renamed", "unlinked-window-add", "unlinked-window-close",
        "unlinked-window-renamed", "layout-change", "window-pane-changed",
        "subscription-changed", "client-session-changed", "client-detached",
    }
)  # fmt: skip
_RAW = "#{s/\n/?/:%s}"
"""A field a pane's program chooses (its argv[0], its directory's name) with any newline made a
`?`: tmux writes a subscription's value raw, and a newline would start a forged line."""
WATCHED = (
    "#{S:#{W:#{P:#{pane_id}#{?pane_dead,x,}:#{pane_pid}:#{pane_width}x#{pane_height}:"
    f"{_RAW % 'pane_current_command'}:{_RAW % 'pane_current_path'} }}}}}}"
)
"""What the subscription watches of every pane: fields the fleet listing has too, in the order
`list-panes -a` walks them, so the snapshot parser rebuilds the value a listing implies
(`SnapshotParser.watched`). A `%subscription-changed` that brings the value the last listing
saw (tmux's timer reporting a change that listing took in already) needs no second listing."""
SUBSCRIPTION = ["refresh-client", "-B", f"tmuxorch-panes::{WATCHED}"]
