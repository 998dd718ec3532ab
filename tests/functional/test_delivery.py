"""Delivery end to end: exact bytes, submitted once, only where meant, receipts per target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent, start_agents

CODE = "\n".join(
    [
        "def parse(tokens):",
        "    result = []",
        "    for token in tokens:",
        "        if token.startswith('#'):",
        "            continue  # comments; C-c; Enter",
        "        elif token == ';':",
        "            result.append(Separator())",
        "        else:",
        '            result.append(Word(f"{token!r}"))',
        "    return result",
        "",
        "class Word:",
        "    def __init__(self, text):",
        "        self.text = text",
        "",
        "\tdef tabbed(self):",
        "\t\treturn '\\t'",
        "",
        "# end",
        "    trailing indentation kept",
    ]
)
CORPUS = [
    ";", "x;", "\\;", "-R", "-t", "--", "C-c", "Enter", "#{host}", "#(touch PWNED)",
    "$HOME", "'single' \"double\" `back`", "tab\there", "emoji 🚀 and 漢字 日本語",
    "x" * 5000, CODE, "-leading dash", "semi ; colon ; end;",
]  # fmt: skip


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:20]))
async def test_corpus_arrives_exact_once_and_nowhere_else(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path, text: str
) -> None:
    target, bystander = await start_agents(running_tmux, tmp_path, 2, "--busy", "0")
    text = text.replace("PWNED", str(tmp_path / "pwned"))
    receipts = await backend.send([target.pane], text)
    assert [(r.target, r.status) for r in receipts] == [(target.pane, "delivered")]
    await wait_for(lambda: target.entries() == [text])
    await wait_for(target.idle)
    assert target.entries() == [text]  # submitted exactly once
    await bystander.read_all()
    assert bystander.entries() == []
    assert not (tmp_path / "pwned").exists()


async def test_many_targets_one_batch(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agents = await start_agents(running_tmux, tmp_path, 4, "--busy", "0")
    receipts = await backend.send([a.pane for a in agents[:3]], "to three")
    assert {r.status for r in receipts} == {"delivered"}
    await wait_for(lambda: all(a.entries() == ["to three"] for a in agents[:3]))
    await agents[3].read_all()
    assert agents[3].entries() == []


async def test_send_reads_only_its_targets_screens(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The CLI resolves targets with a snapshot (which sweeps every agent); the send itself
    then reads only its targets' screens, not every agent's again."""
    agents = await start_agents(running_tmux, tmp_path, 3, "--busy", "0")
    await backend.snapshot()
    captured: list[str] = []
    run = backend.engine.connection.run  # every batch goes through it

    async def recording(commands: Sequence[Sequence[str]], **options: bool) -> object:
        captured.extend(c[c.index("-t") + 1] for c in commands if c[0] == "capture-pane")
        return await run(commands, **options)

    monkeypatch.setattr(backend.engine.connection, "run", recording)
    receipts = await backend.send([agents[0].pane], "only me")
    assert receipts[0].status == "delivered"
    assert captured
    assert set(captured) == {agents[0].pane}


async def test_agent_dropping_enter_with_text_still_gets_it_once(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--drop-enter")
    receipts = await backend.send([agent.pane], "drop-enter agent")
    assert receipts[0].status == "delivered"
    await wait_for(lambda: agent.entries() == ["drop-enter agent"])
    await wait_for(agent.idle)
    assert agent.entries() == ["drop-enter agent"]


@pytest.mark.parametrize("text", ["q quits copy mode", "multi\nline"])
async def test_pane_in_copy_mode_still_gets_the_text(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path, text: str
) -> None:
    """Keys sent to a pane in copy mode drive copy mode (`q` leaves it, Enter copies): the
    user scrolling back in an agent's pane must not eat the message."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    running_tmux.tmux("copy-mode", "-t", agent.pane)
    receipts = await backend.send([agent.pane], text)
    assert receipts[0].status == "delivered"
    await wait_for(lambda: agent.entries() == [text])
    # One line is pasted as typed bytes, past copy mode; a bracketed paste needs the program's
    # own screen showing, so the pane leaves copy mode for it.
    in_mode = running_tmux.tmux("display", "-p", "-t", agent.pane, "#{pane_in_mode}").strip()
    assert in_mode == ("0" if "\n" in text else "1")


async def test_synchronized_panes_get_nothing_they_were_not_sent(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """With `synchronize-panes` on, keys typed into one pane of a window go to all of them:
    a message for one agent must still reach that agent only."""
    target = await start_agent(running_tmux, tmp_path, "--busy", "0")
    sibling = SimAgent(running_tmux, tmp_path / "sibling.jsonl", "--busy", "0", beside=target.pane)
    await wait_for(sibling.idle, timeout=10)
    running_tmux.tmux("set-option", "-w", "-t", target.pane, "synchronize-panes", "on")
    receipts = await backend.send([target.pane], "for the target only")
    assert receipts[0].status == "delivered"
    await wait_for(lambda: target.entries() == ["for the target only"])
    await wait_for(target.idle)
    await sibling.read_all()
    assert sibling.entries() == []
    assert "for the target only" not in sibling.screen()


async def test_pane_with_input_switched_off_fails_instead_of_claiming_delivery(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """tmux drops input to a pane after `select-pane -d` without an error."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    running_tmux.tmux("select-pane", "-d", "-t", agent.pane)
    receipts = await backend.send([agent.pane], "lost?")
    assert receipts[0].status == "failed"
    assert "switched off" in receipts[0].detail
    for other in (
        await backend.keys([agent.pane], ["Enter"]),
        await backend.interrupt([agent.pane]),
    ):
        assert [(r.status, "switched off" in r.detail) for r in other] == [("failed", True)]
    running_tmux.tmux("select-pane", "-e", "-t", agent.pane)
    receipts = await backend.send([agent.pane], "arrives")
    assert receipts[0].status == "delivered"
    await wait_for(lambda: agent.entries() == ["arrives"])


async def test_waiting_agent_is_skipped(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    agent.type("please APPROVE this")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    receipts = await backend.send([agent.pane], "should not arrive")
    assert receipts[0].status == "skipped_waiting"
    assert "approval" in receipts[0].detail
    assert agent.entries() == ["please APPROVE this"]
    assert "should not arrive" not in agent.screen()


async def test_busy_agent_gets_it_queued(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "1.5")
    agent.type("first")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    receipts = await backend.send([agent.pane], "second")
    assert receipts[0].status == "queued"
    await wait_for(lambda: agent.entries() == ["first", "second"], timeout=8)


async def test_target_vanishing_mid_batch_fails_alone(
    backend: LocalBackend, engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    keep, gone = await start_agents(running_tmux, tmp_path, 2, "--busy", "0")
    snapshot = await backend.snapshot()
    running_tmux.tmux("kill-pane", "-t", gone.pane)  # after the snapshot, before the send
    from tmuxorch.core.ops.delivery import deliver

    receipts = await deliver(engine, snapshot, [gone.pane, keep.pane, "%999"], "still")
    by_target = {r.target: r for r in receipts}
    assert by_target[keep.pane].status == "delivered"
    assert by_target[gone.pane].status == "failed"
    assert by_target["%999"].status == "failed"
    await wait_for(lambda: keep.entries() == ["still"])


async def test_no_enter_types_without_submitting(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    receipts = await backend.send([agent.pane], "draft", enter=False)
    assert receipts[0].status == "delivered"
    await wait_for(lambda: "draft" in agent.cursor_line())
    await agent.read_all()  # an Enter sent after the text has been read too
    assert agent.entries() == []


async def test_shell_pane_submission_is_recognised(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "env", "PS1=$ ", "sh"
    )
    pane = pane.strip()
    await wait_for(lambda: "$" in running_tmux.tmux("capture-pane", "-p", "-t", pane))
    receipts = await backend.send([pane], f"touch {marker}")
    assert receipts[0].status == "delivered", receipts[0]
    await wait_for(marker.exists)


@pytest.mark.parametrize("text", ["", " \n\t", "nul\x00byte"])
async def test_bad_messages_are_refused(backend: LocalBackend, engine: Engine, text: str) -> None:
    from tmuxorch.core.errors import BadInputError

    pane = (await engine.snapshot()).panes()[0].id
    with pytest.raises(BadInputError):
        await backend.send([pane], text)


def test_sim_agent_helper_reads_logs(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text('{"n": 1, "text": "a\\nb", "t": 0}\n', "utf-8")
    agent = SimAgent.__new__(SimAgent)
    agent.log = log
    assert agent.entries() == ["a\nb"]


@pytest.mark.parametrize(
    ("text", "bracketed"),
    [("one line", False), ("tab\there", True), ("two\nlines", True), ("x" * 513, True)],
)
def test_what_goes_as_one_bracketed_paste(text: str, bracketed: bool) -> None:
    """Unbracketed, a Tab is the completion key of shells and agent CLIs, not text."""
    from tmuxorch.core.ops.delivery import typing_batch

    pastes = [c for _, c in typing_batch(["%1"], text, "b") if c[0] == "paste-buffer"]
    assert [("-p" in c) for c in pastes] == [bracketed]
