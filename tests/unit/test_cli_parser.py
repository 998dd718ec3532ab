"""The parser of one command (cli/parser.py `build_parser(only)`, taken when argv names the
command plainly) reads, helps and fails exactly as the whole parser does: it only leaves the
other commands' parsers unbuilt (issue 17)."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from tmuxorch.cli.main import command_at, main
from tmuxorch.cli.parser import COMMANDS, build_parser

SAMPLES = [
    ["status"], ["status", "--json"], ["status", "main:1", "--format", "tmux"],
    ["-S", "/tmp/s", "send", "%1", "--no-enter", "--stdin"], ["-Lx", "capture", "%0", "-n", "5"],
    ["--connect=ws://h:1", "keys", "%1", "C-c"], ["kinds", "show", "claude", "--toml"],
    ["token", "create", "bob", "--scope", "control"], ["hooks", "status", "--json"],
    ["spawn", "s", "--shell", "ls"], ["tui"], ["watch"],
    ["status", "--bogus"], ["send"], ["capture"], ["status", "--format", "xml"],
    ["answer", "%1", "0"], ["serve", "--port", "70000"], ["hooks"], ["status", "-L", "x"],
]  # fmt: skip
"""Command lines that parse, and (from `status --bogus` on) ones that are usage errors."""


def plainly_named(argv: list[str]) -> str | None:
    """The command cli/main.py builds the parser of alone."""
    at = command_at(argv)
    return argv[at] if at is not None and argv[at] in COMMANDS else None


def outcome(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
    """What parsing `argv` gives: the namespace or the exit status, and stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result: object = vars(parser.parse_args(argv))
        except SystemExit as exit:
            result = exit.code
    return result, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", SAMPLES, ids=" ".join)
def test_one_commands_parser_parses_and_fails_as_the_whole_one(argv: list[str]) -> None:
    name = plainly_named(argv)
    assert name == next(a for a in argv if not a.startswith("-") and a != "/tmp/s")
    assert outcome(build_parser(name), argv) == outcome(build_parser(), argv)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_commands_help_is_the_same(name: str) -> None:
    assert outcome(build_parser(name), [name, "--help"]) == outcome(
        build_parser(), [name, "--help"]
    )


@pytest.mark.parametrize(
    "argv", [[], ["-h"], ["-h", "status"], ["--conn", "ws://h", "status"], ["nosuch"], ["-S"]]
)
def test_what_names_no_command_plainly_gets_the_whole_parser(argv: list[str]) -> None:
    assert plainly_named(argv) is None


def test_the_whole_parser_still_answers_help_and_unknown_commands() -> None:
    _, usage, _ = outcome(build_parser(), ["--help"])
    assert all(name in usage for name in COMMANDS)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit:
        main(["nosuchcmd"])
    assert exit.value.code == 2
    assert "invalid choice: 'nosuchcmd' (choose from 'tui', 'status'," in err.getvalue()


@pytest.mark.parametrize(
    ("options", "socket"),
    [
        ([], (None, None)), (["-S", "/s"], (None, "/s")), (["-S/s"], (None, "/s")),
        (["-L", "x"], ("x", None)), (["-Lx"], ("x", None)), (["-S", "-x"], None),
        (["-S=/s"], None), (["-L", "a", "-S", "b"], None), (["--connect", "ws://h"], None),
    ],
)  # fmt: skip
def test_a_status_bar_read_takes_only_the_socket_options_argparse_would_read_so(
    options: list[str], socket: tuple[str | None, str | None] | None
) -> None:
    from tmuxorch.cli.status_bar import plain_socket

    assert plain_socket(options) == socket


def test_a_cut_before_the_command_is_still_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["-S", "--", "status"])  # `--` is split off before parsing: argv is ["-S"] then
    assert exit.value.code == 2
    assert "argument -S: expected one argument" in capsys.readouterr().err
