"""The report a hook leaves in `@tmuxorch-hook`, read back: what counts as one, and what not."""

from __future__ import annotations

import pytest

from tmuxorch.core.agents.hook_events import HOOKED, HookReport, parse_report, report_snippet


def test_a_report_names_the_kind_the_event_its_state_and_when() -> None:
    assert parse_report("claude Stop 1796188865.123") == HookReport(
        "claude", "Stop", "idle", 1796188865.123
    )
    assert parse_report("codex agent-turn-complete 1796188865") == HookReport(
        "codex", "agent-turn-complete", "idle", 1796188865.0
    )
    waiting = parse_report("claude Notification:permission_prompt 1796188865.5")
    assert waiting is not None
    assert (waiting.state, waiting.at) == ("waiting", 1796188865.5)
    assert parse_report("gemini BeforeAgent 1796188865.000000001") is not None


def test_bsd_date_prints_a_literal_N_and_the_integer_part_is_taken() -> None:
    report = parse_report("claude UserPromptSubmit 1796188865.N")
    assert report is not None
    assert (report.state, report.at) == ("busy", 1796188865.0)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "claude",
        "claude Stop",
        "claude Stop 1796188865 extra",
        "claude Stop -1796188865",
        "claude Stop 17961.888.65",
        "claude Stop nan",
        "claude Stop inf",
        "claude Stop 1e9",
        "claude Stop .5",
        "claude Stop 1796188865.M",
        "claude Stop ١٧٩٦١٨٨٨٦٥",  # digits, but not ASCII ones
        "claude Nope 1796188865",  # an event this version does not know
        "claude Notification 1796188865",  # a notification without its type
        "aider Stop 1796188865",  # a kind without hooks
        "codex Stop 1796188865",  # another kind's event
        "claude Stop $(date +%s.%N)",  # the snippet's text, never expanded
    ],
)
def test_anything_else_is_not_a_report(value: str) -> None:
    assert parse_report(value) is None


def test_every_hooked_event_parses_back_to_its_state() -> None:
    for kind, events in HOOKED.items():
        for event in events:
            report = parse_report(f"{kind} {event.reported} 1796188865.25")
            assert report is not None
            assert report.state == event.state


def test_the_snippet_is_one_short_line_that_always_ends_well() -> None:
    line = report_snippet("claude", "Stop")
    assert "\n" not in line
    assert len(line) < 200
    assert line.endswith("; exit 0")
    assert '"claude Stop $(date +%s.%N)"' in line
    assert report_snippet("codex", "agent-turn-complete", 'exec "$@"').endswith('; exec "$@"')
