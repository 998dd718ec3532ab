"""Where a message goes, through the CLI as a user runs it: a window or session TARGET means its
agent panes (or, with none, the pane a person would type into), never a shell beside an agent;
and `--force` types into an agent waiting for approval, which `send` alone never does."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent

SHELL = ["env", "PS1=$ ", "sh"]


def receipts(tmux: TmuxFixture, *args: str) -> tuple[int, list[tuple[str, str]]]:
    """Exit status and (target, status) of each receipt of one CLI run (`--json` added)."""
    result = tmux.cli(*args, "--json")
    assert result.stdout, result.stderr
    document = json.loads(result.stdout)
    return result.returncode, [(r["target"], r["status"]) for r in document["receipts"]]


async def shell(tmux: TmuxFixture, *where: str) -> str:
    """A shell pane made by `where` (`split-window -t %N`, `new-window -t S`…), once it prompts."""
    pane = tmux.tmux(*where, "-d", "-P", "-F", "#{pane_id}", *SHELL).strip()
    await wait_for(lambda: "$" in tmux.tmux("capture-pane", "-p", "-t", pane))
    return pane


async def typed_nothing_before(tmux: TmuxFixture, pane: str, text: str) -> None:
    """Run an echo in a shell pane as a user would; once its output shows, anything typed into
    the pane before it shows too: `text` must not."""
    tmux.tmux("send-keys", "-t", pane, "-l", "echo DONE-$((6*7))")
    tmux.tmux("send-keys", "-t", pane, "Enter")
    await wait_for(lambda: "DONE-42" in tmux.tmux("capture-pane", "-p", "-t", pane))
    assert text not in tmux.tmux("capture-pane", "-p", "-t", pane)


def window_of(tmux: TmuxFixture, pane: str) -> str:
    """`session:index` of the window holding `pane`: a TARGET as a user writes it."""
    return tmux.tmux("display-message", "-p", "-t", pane, "#{session_name}:#{window_index}").strip()


async def test_a_window_means_its_agent_not_the_shell_beside_it(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    beside = await shell(running_tmux, "split-window", "-t", agent.pane)
    text = "for the agent of this window"
    status, got = receipts(running_tmux, "send", window_of(running_tmux, agent.pane), "-m", text)
    assert (status, got) == (0, [(agent.pane, "delivered")])
    await wait_for(lambda: agent.entries() == [text])
    await typed_nothing_before(running_tmux, beside, text)


async def test_a_session_means_its_agents_not_its_shells(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    running_tmux.tmux("new-session", "-d", "-s", "proj", *SHELL)
    first_shell = running_tmux.tmux("display-message", "-p", "-t", "=proj:", "#{pane_id}").strip()
    agent = SimAgent(running_tmux, tmp_path / "agent.jsonl", "--busy", "0", session="proj")
    await wait_for(agent.idle, timeout=10)
    beside = await shell(running_tmux, "split-window", "-t", agent.pane)
    text = "for the agents of this session"
    assert receipts(running_tmux, "send", "proj", "-m", text) == (0, [(agent.pane, "delivered")])
    await wait_for(lambda: agent.entries() == [text])
    for pane in (first_shell, beside):
        await typed_nothing_before(running_tmux, pane, text)


async def test_a_window_without_agents_means_its_active_pane_only(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    active = await shell(running_tmux, "new-window", "-t", "main")
    other = await shell(running_tmux, "split-window", "-t", active)  # -d: `active` stays active
    marker = tmp_path / "ran"
    text = f"touch {marker}"
    status, got = receipts(running_tmux, "send", window_of(running_tmux, active), "-m", text)
    assert (status, got) == (0, [(active, "delivered")])
    await wait_for(marker.exists)
    await typed_nothing_before(running_tmux, other, text)


async def test_force_types_into_an_approval_prompt_and_send_alone_never_does(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    agent.type("deploy it APPROVE")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    # "2" answers the question (No); the Enter after it lands on the prompt that follows.
    assert receipts(running_tmux, "send", agent.pane, "-m", "2") == (
        1, [(agent.pane, "skipped_waiting")]
    )  # fmt: skip
    assert agent.shows("1. Yes")
    assert receipts(running_tmux, "send", agent.pane, "--force", "-m", "2") == (
        0, [(agent.pane, "delivered")]
    )  # fmt: skip
    await wait_for(lambda: agent.shows("● Declined."))
    await wait_for(agent.idle)
    assert agent.entries() == ["deploy it APPROVE"]
