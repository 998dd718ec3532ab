"""Arguments reach tmux exactly, through both encodings, proven against a real server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.fallback import run_chained
from tmuxorch.core.tmux.quoting import (
    argv_argument,
    chained_argv,
    control_lines,
    quote_control_argument,
)
from tmuxorch.core.tmux.server import TmuxServer

from ..conftest import TmuxFixture

HAZARDS = [
    ";", "x;", "\\;", "-R", "-t", "--", "#{host}", "#(touch /tmp/tmuxorch-pwned)", "$HOME",
    "~", "'single'", '"double"', "a\tb", "{", "}", "emoji 🚀 and 漢字", "back\\slash", "%end 1 2 1",
    "%12", "%if", "%", "@3",
]  # fmt: skip


def test_control_quoting_escapes_syntax() -> None:
    assert quote_control_argument("~/x") == b"'~'\"/x\""
    assert quote_control_argument('a"b') == b'"a\\"b"'
    assert quote_control_argument("$HOME") == b'"\\$HOME"'
    assert quote_control_argument("a\nb") == b'"a\\012b"'
    assert quote_control_argument("\\") == b'"\\\\"'
    assert quote_control_argument("\x7f") == b'"\\177"'
    assert quote_control_argument("") == b'""'


def test_control_quoting_leaves_plain_words_bare() -> None:
    assert quote_control_argument("send-keys") == b"send-keys"
    assert quote_control_argument("@3") == b"@3"
    assert quote_control_argument("%3") == b"%3"  # tmux reads `%` and digits as a word
    for word in ["%if", "%3x", "%", "a=b", "~x", "$1", "#x", "a b", "x;", "{", "é"]:
        assert quote_control_argument(word).endswith(b'"'), word


def test_control_lines_encode_a_batch_line_by_line() -> None:
    batch = [
        ["send-keys", "-t", "%1", "-l", "--", "a b"],
        ["send-keys", "-t", "%2", "-l", "--", "a b"],
    ]
    assert control_lines(batch) == (b'send-keys -t %1 -l -- "a b"\nsend-keys -t %2 -l -- "a b"\n')
    with pytest.raises(ValueError, match="empty"):
        control_lines([["display-message"], []])


def test_argv_escapes_only_a_trailing_semicolon() -> None:
    assert argv_argument("x;") == "x\\;"
    assert argv_argument(";x") == ";x"
    assert chained_argv([["a", "b;"], ["c"]]) == ["a", "b\\;", ";", "c"]


def _read_buffer(tmux: TmuxFixture, name: str) -> str:
    """The buffer's raw bytes, read by a separate plain client (control mode escapes output)."""
    return tmux.tmux_bytes("show-buffer", "-b", name).decode("utf-8")


async def _roundtrip(engine: Engine, tmux: TmuxFixture, text: str) -> str:
    result = await engine.run([["set-buffer", "-b", "tmuxorch-test", "--", text]])
    assert result[0].ok, result[0].error
    return _read_buffer(tmux, "tmuxorch-test")


@pytest.mark.parametrize("text", HAZARDS)
async def test_hazardous_text_roundtrips_through_control_mode(
    engine: Engine, running_tmux: TmuxFixture, text: str
) -> None:
    assert await _roundtrip(engine, running_tmux, text) == text


@pytest.mark.parametrize("text", HAZARDS)
async def test_hazardous_text_roundtrips_through_fallback(
    running_tmux: TmuxFixture, text: str
) -> None:
    results = await run_chained(
        running_tmux.server, [["set-buffer", "-b", "fb", "--", text]], timeout=5
    )
    assert results[0].ok, results[0].error
    assert _read_buffer(running_tmux, "fb") == text


async def test_format_syntax_in_arguments_never_runs(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    marker = running_tmux.tmpdir / "pwned"
    text = f"#(touch {marker}) #{{host}}"
    assert await _roundtrip(engine, running_tmux, text) == text
    assert not marker.exists()


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=200,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_text)
async def test_any_text_roundtrips(engine: Engine, running_tmux: TmuxFixture, text: str) -> None:
    assert await _roundtrip(engine, running_tmux, text) == text


def test_server_resolution_mirrors_tmux(tmp_path: object) -> None:
    env = {"TMUX_TMPDIR": "/x"}
    assert str(TmuxServer.resolve("n", environ=env).socket_path).endswith(
        "/x/tmux-" + _uid() + "/n"
    )
    assert str(TmuxServer.resolve(None, "/s/p", environ=env).socket_path) == "/s/p"
    inside = {"TMUX": "/tmp/tmux-1/other,123,0"}
    assert str(TmuxServer.resolve(environ=inside).socket_path) == "/tmp/tmux-1/other"
    assert TmuxServer.resolve(environ={}).socket_path.endswith("/default")
    here = os.getcwd()
    assert TmuxServer.resolve(None, "./a//b/", environ={}).socket_path == f"{here}/a/b"
    assert TmuxServer(Path("/s//p/")) == TmuxServer("/s/p")  # a Path is kept as its string


def _uid() -> str:
    import os

    return str(os.getuid())
