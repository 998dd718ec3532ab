"""The rule that weighs an agent's own reports against its screen (core/agents/reports.py)."""

from __future__ import annotations

from tmuxorch.core.agents.reports import PaneSources, Report


def _pane(screen: str = "idle", since: float | None = 10.0) -> PaneSources:
    return PaneSources("claude", screen, "screen rule", since)  # type: ignore[arg-type]


def test_the_screen_decides_with_no_report() -> None:
    verdict, began = _pane().decide()
    assert (verdict.state, verdict.source, began) == ("idle", "screen", 10.0)


def test_a_hook_newer_than_the_screen_wins_an_older_one_has_aged_out() -> None:
    pane = _pane()
    pane.note(Report("busy", "hook", "hook UserPromptSubmit", 11.0), "hook")
    verdict, began = pane.decide()
    assert (verdict.state, verdict.source, verdict.reason, began) == (
        "busy", "hook", "hook UserPromptSubmit", 11.0,
    )  # fmt: skip
    pane.note(Report("busy", "hook", "hook UserPromptSubmit", 9.0), "hook")
    assert pane.decide()[0].source == "screen"


def test_live_sources_count_whatever_their_age_but_not_over_a_question_or_the_unknown() -> None:
    pane = _pane("idle")
    pane.note(Report("busy", "title", "title '⠂ Claude Code'", 1.0), "title")
    assert pane.decide()[0].state == "busy"
    for screen in ("waiting", "unknown"):
        pane.screen = screen  # type: ignore[assignment]
        verdict, _ = pane.decide()
        assert (verdict.state, verdict.source) == (screen, "screen")
    pane.note(Report("waiting", "session-file", "status waiting", 1.0), "session-file")
    pane.screen = "waiting"
    assert pane.decide()[0].source == "session-file"  # says the same, more precisely


def test_the_newest_report_wins_and_a_tie_goes_to_the_most_precise() -> None:
    pane = _pane()
    pane.note(Report("busy", "session-file", "status busy", 12.0), "session-file")
    pane.note(Report("idle", "hook", "hook Stop", 12.0), "hook")
    assert pane.decide()[0].source == "hook"
    pane.note(Report("busy", "session-file", "status busy", 13.0), "session-file")
    assert pane.decide()[0].source == "session-file"
    pane.note(None, "session-file")
    assert pane.decide()[0].source == "hook"


def test_on_a_first_look_a_hook_only_lends_its_reason_to_a_screen_that_agrees() -> None:
    pane = _pane("idle", since=None)
    pane.note(Report("busy", "hook", "hook UserPromptSubmit", 5.0), "hook")
    assert pane.decide()[0].source == "screen"
    pane.note(Report("idle", "hook", "hook Stop", 5.0), "hook")
    verdict, _ = pane.decide()
    assert (verdict.state, verdict.source) == ("idle", "hook")


def test_a_dead_pane_is_exited_whatever_was_reported() -> None:
    pane = _pane("exited")
    pane.note(Report("busy", "hook", "hook PreToolUse", 99.0), "hook")
    verdict, _ = pane.decide()
    assert (verdict.state, verdict.source) == ("exited", "tmux")
