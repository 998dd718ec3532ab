"""Reading a fleet file: what `up` makes of it, and each mistake as one FILE:LINE: key: problem
line (ConfigError, exit 2), found before anything is started. No tmux here."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmuxorch.core.restart_policy import RestartPolicy
from tmuxorch.core.store.config import ConfigError
from tmuxorch.usecases.fleet_file import Fleet, read_fleet
from tmuxorch.usecases.toml_lines import KeyLines

KINDS = {"claude", "sim", "codex"}


def read(tmp_path: Path, text: str) -> Fleet:
    path = tmp_path / "tmuxorch.toml"
    path.write_text(text)
    return read_fleet(path, KINDS)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        read(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message
    return message.removeprefix(str(tmp_path / "tmuxorch.toml"))


def test_sessions_windows_and_their_defaults(tmp_path: Path) -> None:
    (tmp_path / "proj" / "api").mkdir(parents=True)
    fleet = read(
        tmp_path,
        """
[sessions.proj]
cwd = "proj"
env = { LOG = "info", MODE = "a" }

[sessions.proj.windows.api]
kind = "claude"
command = ["claude", "--model", "x"]
cwd = "api"
env.MODE = "b"
message = "start"

[sessions.proj.windows."web ui"]
shell = "npm run dev; echo done"

[sessions.home.windows.notes]
command = ["vim"]
cwd = "~"
""",
    )
    assert fleet.label == str((tmp_path / "tmuxorch.toml").resolve())
    api, web, notes = fleet.windows
    assert (api.target, api.command, api.kind) == ("proj:api", ("claude", "--model", "x"), "claude")
    assert api.cwd == str(tmp_path.resolve() / "proj" / "api")  # relative to the session's
    assert api.env == {"LOG": "info", "MODE": "b"}  # the window's own win
    assert api.message == "start"
    assert web.target == "proj:web ui"
    assert web.command == ("sh", "-c", "npm run dev; echo done")
    assert web.cwd == str(tmp_path.resolve() / "proj")  # the session's
    assert (web.kind, web.message, web.env) == (None, None, {"LOG": "info", "MODE": "a"})
    assert notes.cwd == "~"  # expanded by the host that spawns it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\ncolour = "red"\n',
            ":3: sessions.p.windows.w.colour: unknown key (the keys are command, shell, kind, "
            "cwd, env, message, restart, max_restarts, schedules)",
        ),
        (
            '[sessions.p]\nwindow = {}\n[sessions.p.windows.w]\ncommand = ["x"]\n',
            ":2: sessions.p.window: unknown key (the keys are cwd, env, windows)",
        ),
        (
            'version = 1\n[sessions.p.windows.w]\ncommand = ["x"]\n',
            ":1: version: unknown key (the keys are sessions)",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nrestart = "sometimes"\n',
            ":3: sessions.p.windows.w.restart: ",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nmax_restarts = 3\n',
            ":3: sessions.p.windows.w.max_restarts: goes with `restart`",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nrestart = "always"\nmax_restarts = -2\n',
            ":4: sessions.p.windows.w.max_restarts: -2: from 0 to 1000",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\n\n[[sessions.p.windows.w.schedules]]\n'
            'every = "1h"\n',
            ":4: sessions.p.windows.w.schedules[0].message: required key is missing",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\n\n[[sessions.p.windows.w.schedules]]\n'
            'cron = "61 * * * *"\nmessage = "m"\n',
            ":4: sessions.p.windows.w.schedules[0]: cron '61 * * * *': not a cron line",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\n\n[[sessions.p.windows.w.schedules]]\n'
            'after = "1h"\ntimeout = "2h"\nmessage = "m"\n',
            ":4: sessions.p.windows.w.schedules[0]: timeout goes with when_idle",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\ncwd = "/nonexistent/dir"\n',
            ":3: sessions.p.windows.w.cwd: not a directory ('/nonexistent/dir')",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\ncwd = "/tmp/a#(touch x)"\n',
            ":3: sessions.p.windows.w.cwd: contains '#', which tmux reads as format syntax "
            "('/tmp/a#(touch x)')",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nkind = "nosuch"\n',
            ":3: sessions.p.windows.w.kind: unknown agent kind 'nosuch' (known: claude, codex, "
            "sim)",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\n\n[sessions.p.windows.w]\ncommand = ["y"]\n',
            ":4: invalid TOML: Cannot declare ('sessions', 'p', 'windows', 'w') twice (column 22)",
        ),
        ('[sessions.p.windows.w]\ncommand = ["x",,]\n', ":2: invalid TOML: "),
        ('[sessions.p.windows.w]\ncommand = ["x"\n', ": invalid TOML: Unclosed array (at end"),
        (
            '[sessions.p.windows.w]\ncommand = "claude --model x"\n',
            ':2: sessions.p.windows.w.command: an argv: a list of words, e.g. ["claude", '
            '"--model", "opus"] (a shell line goes in `shell`)',
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nshell = "x"\n',
            ":3: sessions.p.windows.w.shell: give `command` (an argv) or `shell` (a line), not "
            "both",
        ),
        ('[sessions.p.windows.w]\nkind = "sim"\n', ":1: sessions.p.windows.w: no command"),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nmessage = "go"\n',
            ":3: sessions.p.windows.w.message: needs `kind`",
        ),
        (
            '[sessions."a:b".windows.w]\ncommand = ["x"]\n',
            ":1: sessions[\"a:b\"]: session name 'a:b' contains ':', which is tmux target syntax",
        ),
        (
            '[sessions.p.windows."-x"]\ncommand = ["x"]\n',
            ":1: sessions.p.windows.-x: window name '-x' starts with '-'",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nenv = { "1A" = "v" }\n',
            ":3: sessions.p.windows.w.env.1A: env name '1A' is not valid",
        ),
        (
            '[sessions.p.windows.w]\ncommand = ["x"]\nenv = { PORT = 8080 }\n',
            ":3: sessions.p.windows.w.env.PORT: Input should be a valid string (got 8080)",
        ),
        ('[sessions.p]\ncwd = "/"\n', ":1: sessions.p.windows: required key is missing"),
        ("", ": sessions: required key is missing"),
    ],
)
def test_each_mistake_is_one_line_with_file_line_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error(tmp_path, text).startswith(expected)


def test_the_first_mistake_in_the_file_is_told_and_the_others_counted(tmp_path: Path) -> None:
    text = '[sessions.p.windows.w]\ncommand = ["x", ""]\ncolour = "red"\n[sessions.p.windows.v]\n'
    assert error(tmp_path, text + 'size = 1\ncommand = ["x"]\n').startswith(
        ":2: sessions.p.windows.w.command: an argv"
    )
    assert error(tmp_path, text + "size = 1\n").endswith("(and 2 more)")
    assert error(tmp_path, text).endswith("goes in `shell`) (and 1 more)")
    two = '[sessions.p.windows.w]\ncolour = "red"\nsize = 1\n'
    assert error(tmp_path, two).endswith("max_restarts, schedules) (and 1 more)")
    assert "the keys are" not in error(tmp_path, '[sessions.p]\nenv = ["A=1"]\n')
    assert "more" not in error(tmp_path, "[sessions.p.windows.w]\ncommand = [1]\n")


def test_an_unreadable_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such fleet file"):
        read_fleet(tmp_path / "nope.toml", KINDS)
    with pytest.raises(ConfigError, match="cannot read it"):
        read_fleet(tmp_path, KINDS)  # a directory
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[sessions.p.windows.w]\ncommand = ["caf\xe9"]\n')
    with pytest.raises(ConfigError, match="cannot read it"):
        read_fleet(latin, KINDS)
    odd = tmp_path / "new\nline.toml"
    odd.write_text('[sessions.p.windows.w]\ncommand = ["x"]\n')
    with pytest.raises(ConfigError, match="its path must be printable"):
        read_fleet(odd, KINDS)


def test_over_connect_kinds_and_directories_are_left_to_the_server(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text('[sessions.p.windows.w]\ncommand = ["x"]\nkind = "theirs"\ncwd = "/srv/x"\n')
    (window,) = read_fleet(path, None, directory_exists=None).windows
    assert (window.kind, window.cwd) == ("theirs", "/srv/x")


def test_key_lines_reads_keys_as_toml_does() -> None:
    lines = KeyLines(
        '# comment\n[a]\nx = 1\n"q.k" = """\nb = 2\n"""\n[a . "b.c"]\nd.e = [1,\n 2]\n'
        "[[arr]]\nf = 'g'\n"
    )
    assert lines.line(["a", "x"]) == 3
    assert lines.line(["a", "q.k"]) == 4
    assert lines.line(["a", "b"]) is None or lines.line(["a", "b"]) != 5  # text, not a key
    assert lines.line(["a", "b.c", "d", "e", 1]) == 8
    assert lines.line(["a", "b.c", "nope"]) == 7  # the enclosing table
    assert lines.line(["arr", 0, "f"]) == 11
    assert lines.line(["zzz"]) is None


def test_a_windows_restart_policy_is_spawns(tmp_path: Path) -> None:
    path = tmp_path / "tmuxorch.toml"
    path.write_text(
        '[sessions.p.windows.w]\ncommand = ["x"]\nrestart = "on-failure"\nmax_restarts = 3\n'
        '[sessions.p.windows.v]\ncommand = ["y"]\n'
    )
    fleet = read_fleet(path, None, directory_exists=None)
    first, second = fleet.windows
    assert first.restart == RestartPolicy(when="on-failure", max_restarts=3)
    assert second.restart is None
