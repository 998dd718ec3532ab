"""A pane's restarts (its restart policy started it again) show where its state does: the TUI's
detail strip and `tmuxorch status`; none shows for a pane never restarted."""

from __future__ import annotations

from tmuxorch.cli.render import _pane_brief
from tmuxorch.core.models import Pane
from tmuxorch.tui.widgets.detail_strip import _pane_line


def pane(restarts: int) -> Pane:
    return Pane(
        id="%4", index=0, active=True, pid=10, command="claude", cwd="/src", dead=True,
        dead_status=7, width=80, height=24, window_id="@1", session_id="$0", restarts=restarts,
    )  # fmt: skip


def test_restarts_are_shown_with_the_death() -> None:
    assert "dead (exit 7)  ·  restarted 3x  ·  /src" in _pane_line(pane(3), 0.0).plain
    assert "restarted 3x" in _pane_brief(pane(3))
    assert "restarted" not in _pane_line(pane(0), 0.0).plain
    assert "restarted" not in _pane_brief(pane(0))
