"""`tmuxorch hooks`: install then uninstall leaves a user's file byte-identical, twice is once,
bad files are refused untouched (exit 2, one line); and the snippet, run by sh and bash in a
real pane, reports on that pane and rings the doorbell, and does nothing outside tmux.
Real CLI processes, a private tmux server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tmuxorch.core.agents.hook_events import parse_report, report_snippet

from ..conftest import TmuxFixture

CLAUDE_FILE = (
    b'{\n\t"model" : "opus",\r\n\t"hooks": {"Stop": [{"hooks": [{"type": "command",'
    b' "command": "say done"}]}]},\n\t"env": {"X": "\xc3\xa9"}\n}'  # tabs, a CRLF, no final newline
)


def hooks(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `tmuxorch hooks ARGS` with HOME (and no CLI directory variables) pointing at HOME."""
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME"):
        env.pop(name, None)
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "tmuxorch", "hooks", *args],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("kind", "relative", "original"),
    [
        ("claude", ".claude/settings.json", CLAUDE_FILE),
        ("gemini", ".gemini/settings.json", b'{"general": {"vimMode": true}}\n'),
        ("codex", ".codex/config.toml", b'# mine\nnotify = ["say", "turn over"]\n\n[tui]\n'),
    ],
)
def test_install_then_uninstall_leaves_the_file_byte_identical(
    tmp_path: Path, kind: str, relative: str, original: bytes
) -> None:
    settings = tmp_path / relative
    settings.parent.mkdir()
    settings.write_bytes(original)
    settings.chmod(0o640)
    said = ok(hooks(tmp_path, "install", kind))
    backup = settings.with_name(settings.name + ".tmuxorch-backup")
    assert str(backup) in said
    assert backup.read_bytes() == original
    assert settings.read_bytes() != original
    assert settings.stat().st_mode & 0o777 == 0o640
    installed = settings.read_bytes()
    assert "already installed" in ok(hooks(tmp_path, "install", kind))
    assert settings.read_bytes() == installed  # twice is once
    assert f"{kind:<7} installed" in ok(hooks(tmp_path, "status", kind))
    assert "exact bytes" in ok(hooks(tmp_path, "uninstall", kind))
    assert settings.read_bytes() == original
    assert not backup.exists()
    assert "not installed" in ok(hooks(tmp_path, "uninstall", kind))


@pytest.mark.parametrize("kind", ["claude", "gemini", "codex"])
def test_a_missing_file_is_created_and_removed_again(tmp_path: Path, kind: str) -> None:
    ok(hooks(tmp_path, "install", kind))
    status = json.loads(ok(hooks(tmp_path, "status", kind, "--json")))
    [entry] = status["hooks"]
    assert (entry["status"], entry["exists"]) == ("installed", True)
    assert "deleted again" in ok(hooks(tmp_path, "uninstall", kind))
    assert not Path(entry["path"]).exists()
    assert list(Path(entry["path"]).parent.iterdir()) == []


def test_edits_made_between_install_and_uninstall_are_kept(tmp_path: Path) -> None:
    settings = tmp_path / "s.json"
    settings.write_bytes(CLAUDE_FILE)
    ok(hooks(tmp_path, "install", "claude", "--settings", str(settings)))
    data = json.loads(settings.read_text())
    data["theme"] = "light"
    settings.write_text(json.dumps(data, indent=2))
    said = ok(hooks(tmp_path, "uninstall", "claude", "--settings", str(settings)))
    assert "your other edits kept" in said
    assert "s.json.tmuxorch-backup" in said  # kept, and said where
    left = json.loads(settings.read_text())
    assert left == {**json.loads(CLAUDE_FILE), "theme": "light"}


def test_a_symlinked_settings_file_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_bytes(CLAUDE_FILE)
    (tmp_path / ".claude").mkdir()
    link = tmp_path / ".claude" / "settings.json"
    link.symlink_to(real)
    ok(hooks(tmp_path, "install", "claude"))
    assert link.is_symlink()
    assert b"@tmuxorch-hook" in real.read_bytes()
    ok(hooks(tmp_path, "uninstall", "claude"))
    assert link.is_symlink()
    assert real.read_bytes() == CLAUDE_FILE


def test_bad_input_is_one_line_exit_2_and_the_file_untouched(tmp_path: Path) -> None:
    line = refused(hooks(tmp_path, "install", "aider"))
    assert line == "tmuxorch: unknown agent kind 'aider': hooks exist for claude, gemini, codex"
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"hooks": {')
    line = refused(hooks(tmp_path, "install", "claude", "--settings", str(broken)))
    assert line.startswith(f"tmuxorch: {broken}: not valid JSON")
    assert broken.read_bytes() == b'{"hooks": {'
    assert not broken.with_name("broken.json.tmuxorch-backup").exists()
    line = refused(hooks(tmp_path, "install", "codex", "--settings", str(tmp_path)))
    assert line == f"tmuxorch: {tmp_path} is a directory, not a settings file"
    line = refused(hooks(tmp_path, "status", "--settings", str(broken)))
    assert "give its KIND too" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes any file")
def test_a_file_without_permission_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked" / "settings.json"
    locked.parent.mkdir()
    locked.write_bytes(CLAUDE_FILE)
    locked.parent.chmod(0o500)
    try:
        line = refused(hooks(tmp_path, "install", "claude", "--settings", str(locked)))
        assert "permission denied" in line
        assert locked.read_bytes() == CLAUDE_FILE
    finally:
        locked.parent.chmod(0o700)


def test_a_read_only_directory_is_refused_even_for_root(tmp_path: Path) -> None:
    """A file in place of the directory: no one can write there, root neither."""
    (tmp_path / "plain").write_text("")
    line = refused(hooks(tmp_path, "install", "gemini", "--settings", str(tmp_path / "plain/s")))
    assert line.startswith("tmuxorch: cannot")


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_snippet_reports_on_its_pane_and_rings_the_doorbell(
    running_tmux: TmuxFixture, shell: str
) -> None:
    pane = running_tmux.tmux("display-message", "-p", "-t", "main:", "#{pane_id}").strip()
    doorbell = Path(f"{running_tmux.socket_path}.tmuxorch-hook")
    snippet = report_snippet("claude", "PreToolUse")
    # the hook runs as the agent's child: it has the pane's $TMUX and $TMUX_PANE
    socket = running_tmux.socket_path
    pid = running_tmux.tmux("display-message", "-p", "#{pid}").strip()
    env = {**running_tmux.env, "TMUX": f"{socket},{pid},0", "TMUX_PANE": pane}
    before = time.time()
    run = subprocess.run([shell, "-c", snippet], env=env, capture_output=True, timeout=10)
    assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")
    value = running_tmux.tmux("show-options", "-p", "-v", "-t", pane, "@tmuxorch-hook").strip()
    report = parse_report(value)
    assert report is not None, value
    assert (report.kind, report.event, report.state) == ("claude", "PreToolUse", "busy")
    assert before - 1 <= report.at <= time.time() + 1
    assert doorbell.exists()
    assert doorbell.stat().st_mtime >= before - 1


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_the_snippet_does_nothing_outside_tmux_and_never_fails(tmp_path: Path, shell: str) -> None:
    snippet = report_snippet("claude", "PreToolUse")
    outside = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    run = subprocess.run([shell, "-c", snippet], env=outside, capture_output=True, timeout=10)
    assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")
    # a pane of a server that is gone, and a doorbell that cannot be written: still 0, silent
    gone = {**outside, "TMUX": f"{tmp_path}/no/such/socket,1,0", "TMUX_PANE": "%0"}
    run = subprocess.run([shell, "-c", snippet], env=gone, capture_output=True, timeout=10)
    assert (run.returncode, run.stdout, run.stderr) == (0, b"", b"")
    assert list(tmp_path.iterdir()) == []


def test_a_doorbell_that_cannot_be_written_does_not_fail_the_hook(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """dash ends with status 2 when a redirection of `:` fails: the snippet must not use it."""
    pane = running_tmux.tmux("display-message", "-p", "-t", "main:", "#{pane_id}").strip()
    # $TMUX names a socket in a directory that does not exist; tmux itself gets -S the real one
    env = {**running_tmux.env, "TMUX": f"{tmp_path}/missing/sock,1,0", "TMUX_PANE": pane}
    fake = tmp_path / "bin"
    fake.mkdir()
    real = shutil.which("tmux")
    (fake / "tmux").write_text(f'#!/bin/sh\nexec {real} -S "{running_tmux.socket_path}" "$@"\n')
    (fake / "tmux").chmod(0o755)
    env["PATH"] = f"{fake}:{env['PATH']}"
    run = subprocess.run(["sh", "-c", report_snippet("claude", "Stop")], env=env,
                         capture_output=True, timeout=10)  # fmt: skip
    assert (run.returncode, run.stderr) == (0, b"")
    value = running_tmux.tmux("show-options", "-p", "-v", "-t", pane, "@tmuxorch-hook")
    assert value.startswith("claude Stop ")


def test_status_lists_the_panes_that_reported(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    pane = running_tmux.tmux("display-message", "-p", "-t", "main:", "#{pane_id}").strip()
    running_tmux.tmux("set-option", "-p", "-t", pane, "@tmuxorch-hook", "gemini AfterAgent 1.5")
    env = {**running_tmux.env, "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "tmuxorch", "-S", str(running_tmux.socket_path),
         "hooks", "status", "--json"],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )  # fmt: skip
    document = json.loads(ok(result))
    assert [h["kind"] for h in document["hooks"]] == ["claude", "gemini", "codex"]
    assert document["panes"] == [
        {"pane": pane, "kind": "gemini", "event": "AfterAgent", "state": "idle", "at": 1.5}
    ]


def test_the_snippet_command_prints_a_file_to_paste(tmp_path: Path) -> None:
    pasted = json.loads(ok(hooks(tmp_path, "snippet", "claude")))
    assert "UserPromptSubmit" in pasted["hooks"]
    assert ok(hooks(tmp_path, "snippet", "codex")).startswith('notify = ["sh", "-c", ')


def test_codex_s_background_server_does_not_report_for_a_pane(running_tmux: TmuxFixture) -> None:
    """Codex 0.171's shared `app-server --managed-daemon` keeps the $TMUX_PANE of whichever pane
    started it: a notify it runs is not reported (a wrong pane is worse than none); one run by
    the TUI itself (`codex --no-daemon`) is."""
    pane = running_tmux.tmux("display-message", "-p", "-t", "main:", "#{pane_id}").strip()
    pid = running_tmux.tmux("display-message", "-p", "#{pid}").strip()
    env = {**running_tmux.env, "TMUX": f"{running_tmux.socket_path},{pid},0", "TMUX_PANE": pane}
    # the snippet goes through the environment: in the parent's argv it would match itself
    env["SNIPPET"] = report_snippet("codex", "agent-turn-complete")
    as_codex = (
        "import os, subprocess; subprocess.run(['sh', '-c', os.environ['SNIPPET']], check=True)"
    )

    def reported() -> str:
        shown = ["show-options", "-p", "-v", "-t", pane, "@tmuxorch-hook"]
        return running_tmux.tmux(*shown, check=False).strip()

    daemon = [sys.executable, "-c", as_codex, "app-server", "--managed-daemon"]
    assert subprocess.run(daemon, env=env, timeout=10, check=False).returncode == 0
    assert reported() == ""
    tui = [sys.executable, "-c", as_codex, "--no-daemon"]
    assert subprocess.run(tui, env=env, timeout=10, check=False).returncode == 0
    assert reported().startswith("codex agent-turn-complete ")
