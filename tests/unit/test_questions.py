"""A waiting agent's question and choices, read off the real CLIs' screens (fixtures captured
from them) — and nothing read where there is no question we can answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmuxorch.core.agents.questions import read_question

SCREENS = Path(__file__).resolve().parent.parent / "fixtures" / "screens"


def screen(name: str) -> str:
    head, sep, body = (SCREENS / name).read_text(encoding="utf-8").partition("\n---\n")
    return body if sep else head


@pytest.mark.parametrize(
    ("name", "asked", "labels", "keys"),
    [
        ("claude/waiting-approval-120x36.txt", "Do you want to proceed?", ["Yes", None, "No"],
         ["1", "2", "3"]),
        ("codex/waiting-approval-80x24.txt", "Reason: Write hi to f.txt?",
         ["Yes, proceed", None, "No, and tell Codex what to do differently"], ["1", "2", "3"]),
        ("gemini/waiting-approval-120x36.txt", "Allow execution of [Shell]?",
         ["Allow once", "Allow for this session", "No, suggest changes"], ["1", "2", "3"]),
        ("aider/waiting-approval-80x24.txt", "Run shell command?",
         ["Yes", "No", "Don't ask again"], ["y Enter", "n Enter", "d Enter"]),
        ("aider/gitignore-question-120x36.txt", "Add .aider* to .gitignore (recommended)?",
         ["Yes", "No"], ["y Enter", "n Enter"]),
    ],
)  # fmt: skip
def test_an_approval_prompt_reads_as_its_question_and_choices(
    name: str, asked: str, labels: list[str | None], keys: list[str]
) -> None:
    question = read_question(screen(name))
    assert question is not None
    assert question.text == asked
    assert [c.number for c in question.choices] == list(range(1, len(labels) + 1))
    for choice, label in zip(question.choices, labels, strict=True):
        assert label is None or choice.label == label
    assert [" ".join(c.keys) for c in question.choices] == keys


@pytest.mark.parametrize(
    "name",
    [
        "opencode/waiting-approval-120x36.txt",  # a row of buttons: picked with arrows
        "claude/trust-folder-120x36.txt",  # an unnumbered menu
        "claude/idle-after-tool-120x36.txt",
        "codex/busy-streaming-long-120x36.txt",
    ],
)
def test_no_question_is_read_where_none_can_be_answered(name: str) -> None:
    assert read_question(screen(name)) is None


def test_every_non_waiting_fixture_reads_as_no_question() -> None:
    for path in sorted(SCREENS.glob("*/*.txt")):
        head = path.read_text(encoding="utf-8").partition("\n---\n")[0]
        if "state: waiting" not in head:
            assert read_question(screen(f"{path.parent.name}/{path.name}")) is None, path.name


def test_only_the_last_block_of_choices_counts() -> None:
    old = "Proceed?\n❯ 1. Yes\n  2. No\n● answered 1\nAllow this too?\n  1. Allow\n  2. Deny\n"
    question = read_question(old)
    assert question is not None
    assert question.text == "Allow this too?"
    assert [c.label for c in question.choices] == ["Allow", "Deny"]
    assert read_question("1. one thing\n2. another\n") is None  # a list, not a question
