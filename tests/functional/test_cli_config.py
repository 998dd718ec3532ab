"""Bad settings are usage errors that say what is wrong, in one line, exit 2: an out-of-range port
for --connect or serve, a config file that is not there, a keymap that cannot work. And a
connection that fails says why. Real CLI processes."""

from __future__ import annotations

import html
import re
import subprocess

import pytest

from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.keymap import BINDINGS, check_keymap, key_rows
from tmuxorch.tui.screens.help import HelpScreen

from ..conftest import TmuxFixture, until
from ..serverkit import Served
from ..tui_fakes import FakeBackend, fleet_snapshot
from .test_remote import run_cli


def usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """The last line of stderr of a run that must be a usage error (exit 2, never a traceback)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return result.stderr.splitlines()[-1]


async def test_a_port_out_of_range_is_a_usage_error(running_tmux: TmuxFixture) -> None:
    far = await run_cli(
        running_tmux, "--connect", "ws://127.0.0.1:99999", "status", env={"TMUXORCH_TOKEN": "t"}
    )
    assert usage_error(far) == "tmuxorch: --connect: port 99999 is out of range (0-65535)"
    assert far.stderr.count("\n") == 1
    here = running_tmux.cli("serve", "--port", "99999")
    assert usage_error(here) == "tmuxorch: argument --port: 99999 is not a port (0-65535)"
    assert running_tmux.cli("serve", "--port", "-1").returncode == 2


async def test_wss_to_a_plain_server_says_why(srv: Served, running_tmux: TmuxFixture) -> None:
    url = srv.url.replace("ws://", "wss://")
    result = await run_cli(
        running_tmux, "--connect", url, "status", env={"TMUXORCH_TOKEN": srv.control}
    )
    assert result.returncode == 3
    reason = result.stderr.removeprefix(f"tmuxorch: cannot connect to {url}: ")
    assert reason != result.stderr
    assert reason == "the TLS handshake failed: is the server serving TLS? (use ws:// if not)\n"


def test_a_config_file_named_but_missing_is_an_error(running_tmux: TmuxFixture) -> None:
    missing = running_tmux.tmpdir / "nonexistent.toml"
    running_tmux.env["TMUXORCH_CONFIG"] = str(missing)
    for command in (["status"], ["log"], ["tui"]):
        result = running_tmux.cli(*command)
        assert usage_error(result) == f"tmuxorch: {missing} ($TMUXORCH_CONFIG): no such file"
        assert result.stderr.count("\n") == 1
    running_tmux.env["TMUXORCH_CONFIG"] = str(running_tmux.tmpdir)
    assert "is not a file" in usage_error(running_tmux.cli("status"))


@pytest.mark.parametrize(
    ("keymap", "error"),
    [
        ('sned = "s"', "keymap.sned: unknown binding id (the ids: help, send, broadcast,"),
        ('send = "ctrl+"', "keymap.send: 'ctrl+' is not a key"),
        ('send = "ctrl+nosuchkey"', "keymap.send: 'ctrl+nosuchkey' is not a key"),
        ('send = "q"', "keymap.send: 'q' is also the key of quit: give quit another key too"),
        ('quit = "question_mark"', "keymap.quit: 'question_mark' is also the key of help"),
    ],
)
def test_a_keymap_that_cannot_work_is_a_config_error(
    running_tmux: TmuxFixture, keymap: str, error: str
) -> None:
    """Checked before the TUI starts (no terminal is needed to see the error)."""
    config = running_tmux.tmpdir / "config.toml"
    config.write_text(f"[keymap]\n{keymap}\n")
    running_tmux.env["TMUXORCH_CONFIG"] = str(config)
    result = running_tmux.cli("tui")
    assert usage_error(result).startswith(f"tmuxorch: {config}: {error}")
    assert result.stderr.count("\n") == 1


def test_a_keymap_that_moves_keys_around_is_fine() -> None:
    check_keymap({})
    check_keymap({"send": "q", "quit": "ctrl+q", "help": "f1", "filter": "question_mark"})


async def test_the_help_lists_every_binding_id() -> None:
    app = TmuxorchApp(FakeBackend(fleet_snapshot()), keymap={"send": "ctrl+s"}, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        svg = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        text = re.sub(r"<[^>]+>", "", svg)  # the screen's text, cell after cell
        assert "Keys and their [keymap] ids" in text
        rows = list(app.key_descriptions())
        ungrouped = {b.id for b in BINDINGS if b.group is None}
        assert {binding_id for _, binding_id, _ in rows} == ungrouped | {"answer_1-5"}
        for keys, binding_id, description in rows:
            row = rf"{re.escape(keys)}\s*{binding_id}\s*{re.escape(description[:30])}"
            assert re.search(row, text), (binding_id, keys)
        assert re.search(r"\^s\s*send\s*Send a message", text)  # the remap (ctrl+s) shows
        assert re.search(r"1-5\s*answer_1-5\s*Answer the question with that choice", text)
        assert "answer_2" not in text  # the five answer keys are one line


def test_a_remapped_answer_key_shows_in_its_line() -> None:
    rows = key_rows({"answer_3": "f3"}, lambda binding: binding.key)
    [answer] = [row for row in rows if row[1].startswith("answer")]
    assert answer == ("1, 2, f3, 4, 5", "answer_1-5", "Answer the question with that choice")
