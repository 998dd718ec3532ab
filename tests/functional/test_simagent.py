"""The simulated agent, end to end in a real private tmux server, plus its input parser.

The agent stands in for real agent CLIs in every other agent test, so its screen strings and its
log ("received exactly these bytes, exactly once") must be trustworthy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tmuxorch.simagent.keys import Event, InputParser
from tmuxorch.simagent.screen import box_area

from ..conftest import TmuxFixture, wait_for
from ..simfleet import BOX_PROMPT
from ..simfleet import SimAgent as Agent


def exit_status(agent: Agent) -> str | None:
    """The pane's exit status once its process has exited and been reaped (remain-on-exit on).

    tmux (linked with libutempter) sets SIGCHLD to SIG_DFL while its utempter helper runs on pane
    close; a pane process exiting in that window stays a zombie, its status unknown, until another
    child of the server exits. `run-shell true` is such a child: the status then appears.
    """
    fmt = "#{pane_dead}:#{pane_dead_status}"
    dead, _, status = (
        agent.tmux.tmux("display-message", "-p", "-t", agent.pane, fmt).strip().partition(":")
    )
    if dead == "1" and not status:
        agent.tmux.tmux("run-shell", "true")
    return status if dead == "1" and status else None


async def start(running_tmux: TmuxFixture, tmp_path: Path, *options: str) -> Agent:
    agent = Agent(running_tmux, tmp_path / "received.jsonl", *options)
    await wait_for(agent.idle)
    return agent


async def test_idle_box_message_busy_then_reply(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0.8", "--name", "alpha")
    assert "✻ simagent (alpha) — tmuxorch simulated agent" in agent.screen()
    assert "╭─" in agent.screen()
    assert "╰─" in agent.screen()
    agent.type("hello")
    await wait_for(lambda: agent.cursor_line().startswith(BOX_PROMPT + "hello "))
    assert agent.entries() == []
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    assert agent.shows("> hello")
    assert agent.cursor_line().rstrip(" │") == BOX_PROMPT.rstrip()  # submitted: the box is empty
    await wait_for(lambda: agent.shows("● Received: hello"))
    await wait_for(agent.idle)
    assert agent.entries() == ["hello"]


async def test_approval_then_reply(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0.3")
    agent.type("deploy it APPROVE")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    screen = agent.screen()
    assert "Do you want to proceed with this action?" in screen
    assert "❯ 1. Yes" in screen
    assert "  2. No, and tell the agent what to do differently" in screen
    assert BOX_PROMPT not in screen  # the prompt box is replaced by the question
    agent.type("ignored text")  # text is not an answer
    agent.type("1")
    await wait_for(lambda: agent.shows("● Received: deploy it APPROVE"))
    await wait_for(agent.idle)
    assert "ignored" not in agent.screen()
    assert agent.entries() == ["deploy it APPROVE"]


async def test_approval_reads_each_key_of_a_read(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    """A menu takes keys one by one: an answer that comes in one read with other text (as it
    does for a slow reader) still answers, and the keys after it go to the prompt."""
    agent = await start(running_tmux, tmp_path, "--busy", "30")
    agent.type("deploy it APPROVE")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    agent.type("no 1later")  # one send-keys: one write to the terminal, read in one go
    await wait_for(lambda: agent.shows("esc to interrupt"))  # approved: at work
    await wait_for(lambda: agent.cursor_line().startswith(BOX_PROMPT + "later "))
    assert agent.entries() == ["deploy it APPROVE"]


async def test_approval_declined_with_escape(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0.3", "--approval-cue", "CUE")
    agent.type("rm -rf CUE")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    agent.keys("Escape")
    await wait_for(lambda: agent.shows("● Declined."))
    await wait_for(agent.idle)
    assert "● Received" not in agent.screen()


async def test_ctrl_c_interrupts_busy(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "30")
    agent.type("long job")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    agent.type("later")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("(queued)"))
    agent.keys("C-c")
    await wait_for(lambda: agent.shows("⎿ Interrupted by user"))
    await wait_for(agent.idle)
    assert "● Received" not in agent.screen()  # neither the job nor the queued one ran
    assert agent.entries() == ["long job", "later"]


async def test_queued_messages_run_in_order(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0.4")
    for text in ("one", "two", "three"):
        agent.type(text)
        agent.keys("Enter")
    await wait_for(lambda: agent.shows("● Received: three"))
    lines = agent.screen().split("\n")
    replies = [line for line in lines if line.startswith("● Received: ")]
    assert replies == ["● Received: one", "● Received: two", "● Received: three"]
    assert agent.entries() == ["one", "two", "three"]


async def test_drop_enter_loses_enter_sent_with_text(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0", "--drop-enter")
    # One send-keys command: tmux writes "abc\r" to the pty in one go, the agent reads one chunk.
    agent.keys("-H", "61", "62", "63", "0d")
    agent.type("d")  # a separate read: once it shows, the chunk above has been handled
    await wait_for(lambda: agent.cursor_line().startswith(BOX_PROMPT + "abcd "))
    assert agent.entries() == []
    agent.keys("Enter")  # an Enter on its own works
    await wait_for(lambda: agent.shows("● Received: abcd"))
    assert agent.entries() == ["abcd"]


async def test_without_drop_enter_same_chunk_submits(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0")
    agent.keys("-H", "61", "62", "63", "0d")
    await wait_for(lambda: agent.shows("● Received: abc"))
    assert agent.entries() == ["abc"]


async def test_drop_first_enters_loses_that_many_whenever_they_come(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0", "--drop-first-enters", "2")
    for typed in ("a", "ab", "abc"):  # each Enter comes on its own, and the first two are lost
        agent.type(typed[-1])
        # once the next character shows, the Enter before it has been read (and lost)
        await wait_for(lambda typed=typed: agent.cursor_line().startswith(BOX_PROMPT + typed + " "))
        assert agent.entries() == []
        agent.keys("Enter")
    await wait_for(lambda: agent.shows("● Received: abc"))
    assert agent.entries() == ["abc"]


async def test_show_submits_makes_an_empty_submit_visible(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Without it an Enter on the empty prompt does nothing (a second Enter is invisible)."""
    agent = await start(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    agent.keys("Enter")
    await wait_for(lambda: agent.entries() == [""])
    await wait_for(lambda: "● Received:" in agent.screen().splitlines())  # the empty reply
    agent.type("x")
    agent.keys("Enter")
    await wait_for(lambda: agent.entries() == ["", "x"])
    plain = Agent(running_tmux, tmp_path / "plain.jsonl", "--busy", "0")
    await wait_for(plain.idle)
    plain.keys("Enter")
    plain.type("y")
    plain.keys("Enter")
    await wait_for(lambda: plain.entries() == ["y"])  # the empty Enter before it left no trace


async def test_read_delay_reads_what_arrived_meanwhile_in_one_read(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Text and an Enter sent apart arrive in one read of a slow reader: with --drop-enter
    that Enter is lost, as a busy agent CLI loses it."""
    agent = await start(
        running_tmux, tmp_path, "--busy", "0", "--drop-enter", "--read-delay", "0.5"
    )
    running_tmux.tmux("send-keys", "-t", agent.pane, "-l", "late", ";", "send-keys", "-t",
                      agent.pane, "Enter")  # fmt: skip
    await wait_for(lambda: agent.cursor_line().startswith(BOX_PROMPT + "late "))
    agent.type("r")  # read after the chunk above: once it shows, that chunk was handled
    await wait_for(lambda: agent.cursor_line().startswith(BOX_PROMPT + "later "))
    assert agent.entries() == []
    agent.keys("Enter")
    await wait_for(lambda: agent.entries() == ["later"])


async def test_bracketed_paste_multiline(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path, "--busy", "0")
    text = "line1\nline2 ; -x \\ $HOME"
    running_tmux.tmux("set-buffer", "-b", "b1", "--", text)
    running_tmux.tmux("paste-buffer", "-p", "-d", "-b", "b1", "-t", agent.pane)
    await wait_for(lambda: agent.cursor_line().startswith("│   line2 ; -x \\ $HOME "))
    assert agent.entries() == []  # the newline inside the paste did not submit
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("● Received:\n  line1\n  line2 ; -x \\ $HOME"))
    assert agent.entries() == [text]


async def test_crash_exits_with_status_1(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path)
    running_tmux.tmux("set-option", "-w", "-t", agent.pane, "remain-on-exit", "on")
    agent.type("please --crash now")
    agent.keys("Enter")

    await wait_for(lambda: exit_status(agent) is not None)
    assert exit_status(agent) == "1"
    assert agent.shows("Error: simulated crash")
    assert agent.entries() == ["please --crash now"]


async def test_double_ctrl_c_exits_cleanly(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start(running_tmux, tmp_path)
    running_tmux.tmux("set-option", "-w", "-t", agent.pane, "remain-on-exit", "on")
    agent.keys("C-c")
    await wait_for(lambda: agent.shows("(press Ctrl-C again to exit)"))
    agent.keys("C-c")
    await wait_for(lambda: exit_status(agent) is not None)
    assert exit_status(agent) == "0"


# --- the input parser, without a terminal ---------------------------------------------------------


def feed_all(parser: InputParser, *chunks: bytes) -> list[Event]:
    return [event for chunk in chunks for event in parser.feed(chunk)]


def test_parser_utf8_split_across_reads_and_invalid_bytes() -> None:
    data = "é世🚀".encode()
    parser = InputParser()
    events = feed_all(parser, *(data[i : i + 1] for i in range(len(data))), b"\xff!")
    assert "".join(e.text for e in events) == "é世🚀\ufffd!"


def test_parser_paste_split_across_reads() -> None:
    parser = InputParser()
    events = feed_all(parser, b"\x1b[20", b"0~a\rb\r\nc\x1b[2", b"01", b"~\r")
    assert events == [Event("paste", "a\nb\nc"), Event("enter")]


def test_parser_paste_keeps_escapes_and_controls() -> None:
    parser = InputParser()
    events = parser.feed(b"\x1b[200~\x1b[A\x03\x7f\x1b[201~")
    assert events == [Event("paste", "\x1b[A\x03\x7f")]


def test_parser_lone_escape_waits_for_more() -> None:
    parser = InputParser()
    assert parser.feed(b"ab\x1b") == [Event("text", "ab")]
    assert parser.pending
    assert parser.feed(b"[A") == [Event("up")]
    assert parser.feed(b"\x1b") == []
    assert parser.flush() == [Event("escape")]
    assert not parser.pending
    assert parser.feed(b"\x1bx\x03\x08\x7f") == [
        Event("escape"),
        Event("text", "x"),
        Event("interrupt"),
        Event("backspace"),
        Event("backspace"),
    ]


def test_box_wraps_long_and_multiline_text_with_cursor_after_it() -> None:
    area = box_area("a" * 30 + "\nxy", 20)
    assert all(len(line) == 20 for line in area.lines[:-1])
    assert area.lines[1] == "│ > " + "a" * 14 + " │"
    assert area.lines[area.cursor_row] == "│   xy" + " " * 12 + " │"
    assert area.cursor_col == len("│   xy")


@pytest.mark.parametrize(("text", "width"), [("", 0), ("abc", 3), ("世界", 4)])
def test_box_cursor_sits_on_prompt_line(text: str, width: int) -> None:
    area = box_area(text, 40)
    assert area.lines[area.cursor_row].startswith(BOX_PROMPT + text)
    assert area.cursor_col == len(BOX_PROMPT) + width
