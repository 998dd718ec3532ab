"""The notification channels against real receivers: a local HTTP server for the webhook, a
script as the hook command, a stand-in notify-send on PATH (usecases/notify_channels.py)."""

from __future__ import annotations

import http.server
import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.usecases import notify_channels
from tmuxorch.usecases.notifier import Notification
from tmuxorch.usecases.notify_channels import (
    ChannelError,
    channels,
    hook_channel,
    redacted,
    webhook_channel,
)

EVENT = Notification(
    server="/tmp/tmux-1/default", pane="%3", window="@2", session="$1", window_name="claude",
    session_name="proj", kind="claude", state="waiting", previous="busy", since=1000.0,
    reason="Do you want to proceed?", at=1004.0,
)  # fmt: skip


class Receiver:
    """A local HTTP server answering each POST with the next status of `statuses` (the last
    one repeats), keeping every body and path it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.got: list[tuple[str, dict[str, object]]] = []
        self.auth: list[str | None] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((self.path, json.loads(body)))
                receiver.auth.append(self.headers.get("Authorization"))
                status = receiver.statuses[min(len(receiver.got), len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    found = Receiver(getattr(request, "param", [200]))
    try:
        yield found
    finally:
        found.close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify_channels, "RETRY_BACKOFF", 0.05)


async def test_the_webhook_posts_the_event_json(receiver: Receiver) -> None:
    await webhook_channel(receiver.url + "/topic?auth=k", 5.0, 0).send(EVENT)
    ((path, body),) = receiver.got
    assert path == "/topic?auth=k"
    assert body["schema"] == "tmuxorch.notify/1"
    assert (body["pane"], body["state"], body["session_name"]) == ("%3", "waiting", "proj")
    assert (
        body["text"]
        == "tmuxorch: claude is waiting: proj:claude (%3) for 4s: Do you want to proceed?"
    )


@pytest.mark.parametrize("receiver", [[500, 200]], indirect=True)
async def test_the_webhook_retries_a_server_error(receiver: Receiver) -> None:
    await webhook_channel(receiver.url, 5.0, 2).send(EVENT)
    assert len(receiver.got) == 2  # the 500, then the 200 it stopped at


@pytest.mark.parametrize("receiver", [[503]], indirect=True)
async def test_a_webhook_that_keeps_failing_says_so_without_its_secrets(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    secret_url = f"http://user:hunter2@127.0.0.1:{port}/T000/B000/sekrit?token=sekrit2"
    with pytest.raises(ChannelError) as failed:
        await webhook_channel(secret_url, 5.0, 2).send(EVENT)
    assert len(receiver.got) == 3
    message = str(failed.value)
    assert message == f"http://127.0.0.1:{port}/…: HTTP 503 after 3 tries"
    for secret in ("user", "hunter2", "sekrit"):
        assert secret not in message
    assert receiver.got[0][0] == "/T000/B000/sekrit?token=sekrit2"
    assert receiver.auth == ["Basic dXNlcjpodW50ZXIy"] * 3  # user:hunter2, as a header


@pytest.mark.parametrize("receiver", [[404]], indirect=True)
async def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    with pytest.raises(ChannelError, match=r"HTTP 404$"):
        await webhook_channel(receiver.url, 5.0, 3).send(EVENT)
    assert len(receiver.got) == 1


async def test_an_unreachable_webhook_fails_within_its_retries(receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()  # nothing listens there any more
    started = time.monotonic()
    with pytest.raises(ChannelError, match="refused after 2 tries"):
        await webhook_channel(url, 1.0, 1).send(EVENT)
    assert time.monotonic() - started < 3


def test_redacted_keeps_only_where_it_goes() -> None:
    assert redacted("https://u:p@hooks.slack.com/services/T/B/X?x=1") == "https://hooks.slack.com/…"
    assert redacted("http://127.0.0.1:8080/t") == "http://127.0.0.1:8080/…"


def script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


async def test_the_hook_command_gets_the_event_on_stdin_and_in_its_environment(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    hook = script(tmp_path / "hook", f'cat > "{out}.json"; env | grep ^TMUXORCH_ > "{out}.env"')
    await hook_channel([str(hook), "an argument"], 5.0).send(EVENT)
    body = json.loads(Path(f"{out}.json").read_text())  # noqa: ASYNC240 (the hook is done)
    assert (body["pane"], body["state"], body["kind"]) == ("%3", "waiting", "claude")
    env = dict(line.split("=", 1) for line in Path(f"{out}.env").read_text().splitlines())  # noqa: ASYNC240
    assert env["TMUXORCH_PANE"] == "%3"
    assert env["TMUXORCH_STATE"] == "waiting"
    assert env["TMUXORCH_KIND"] == "claude"
    assert env["TMUXORCH_SESSION"] == "$1"
    assert env["TMUXORCH_SESSION_NAME"] == "proj"
    assert env["TMUXORCH_WINDOW"] == "@2"
    assert env["TMUXORCH_WINDOW_NAME"] == "claude"
    assert env["TMUXORCH_PREVIOUS"] == "busy"
    assert env["TMUXORCH_SINCE"] == "1000.000"


async def test_a_hook_that_fails_or_hangs_is_reported_in_one_line(tmp_path: Path) -> None:
    failing = script(tmp_path / "failing", "echo 'no route to pager' >&2; exit 3")
    with pytest.raises(ChannelError, match=r"^failing: exited 3: no route to pager$"):
        await hook_channel([str(failing)], 5.0).send(EVENT)
    pid_file = tmp_path / "pid"
    hanging = script(tmp_path / "hanging", f'echo $$ > "{pid_file}"; exec sleep 60')
    started = time.monotonic()
    with pytest.raises(ChannelError, match=r"^hanging: killed after 0.5s$"):
        await hook_channel([str(hanging)], 0.5).send(EVENT)
    assert time.monotonic() - started < 3
    with pytest.raises(ProcessLookupError):  # killed and reaped: nothing left behind
        os.kill(int(pid_file.read_text()), 0)
    with pytest.raises(ChannelError, match=r"^missing: cannot run"):
        await hook_channel([str(tmp_path / "missing")], 5.0).send(EVENT)


async def test_notify_send_runs_where_there_is_a_session_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_file = tmp_path / "argv"
    script(bin_dir / "notify-send", f'printf "%s\\n" "$@" > "{argv_file}"')
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    config = NotifyConfig(desktop=True)
    assert [c.name for c in channels(config)] == []  # no bus: silently skipped
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    (desktop,) = channels(config)
    await desktop.send(EVENT)
    assert argv_file.read_text().splitlines() == [
        "--app-name=tmuxorch", "--urgency=normal", "--", "tmuxorch: claude is waiting",
        "proj:claude (%3) for 4s: Do you want to proceed?",
    ]  # fmt: skip


def test_the_channels_a_watcher_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify_channels, "desktop_available", lambda: True)
    terminal = notify_channels.Channel("terminal", hook_channel(["true"], 1).send)
    everything = NotifyConfig(hook=["true"], webhook="https://example.invalid/x")
    assert [c.name for c in channels(everything)] == ["desktop", "hook", "webhook"]
    assert [c.name for c in channels(everything, terminal=terminal)] == [
        "terminal",
        "hook",
        "webhook",
    ]  # fmt: skip  (desktop "auto": the TUI's terminal notification is the desktop one)
    assert [
        c.name for c in channels(NotifyConfig(desktop=True, bell=False, osc=[]), terminal=terminal)
    ] == ["desktop"]
    assert [c.name for c in channels(NotifyConfig(osc=[]), terminal=terminal)] == [
        "terminal",
        "desktop",
    ]  # fmt: skip  (a bell alone makes no desktop notification)
    assert channels(NotifyConfig(desktop=False)) == []
