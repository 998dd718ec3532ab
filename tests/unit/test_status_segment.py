"""The status-bar segment's wording (core/status_segment.py): what needs a person comes first."""

from __future__ import annotations

from tmuxorch.core.status_segment import OPTION, segment, write_command
from tmuxorch.core.tmux.snapshot import empty_snapshot
from tmuxorch.usecases.labels import STATE_BADGES

from ..tui_fakes import fleet_snapshot


def test_the_segment_counts_waiting_error_busy_idle_with_the_badges_symbols() -> None:
    assert segment(fleet_snapshot()) == "?1 ✗1 ●1 ○1"  # its exited agent asks nothing
    assert [STATE_BADGES[s][0] for s in ("waiting", "error", "busy", "idle")] == list("?✗●○")


def test_no_agent_is_an_empty_segment_which_unsets_the_option() -> None:
    fleet = fleet_snapshot()
    assert segment(empty_snapshot(fleet.tmux)) == ""
    assert write_command("") == ["set-option", "-gqu", OPTION]
    assert write_command("●2") == ["set-option", "-g", OPTION, "●2"]


def test_a_keeper_is_known_by_its_hidden_sessions_name_only() -> None:
    """`read_kept` trusts the option only while such a session is there (core/status_segment)."""
    from tmuxorch.core.tmux.hidden import is_hidden, new_name

    assert is_hidden(new_name())
    assert is_hidden("_tmuxorch-123-4")
    for other in ("_tmuxorch-1", "_tmuxorch-1-2-3", "_tmuxorch--2", "_tmuxorch-a-2", "tmuxorch-1-2",
                  "_tmuxorch-1-2 ", "_tmuxorch-١-2", "_tmuxorch-²-2", "_tmuxorch"):  # fmt: skip
        assert not is_hidden(other), other
