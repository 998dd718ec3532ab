"""RemoteBackend end to end: one test matrix for the local and the remote backend (the same
Backend interface, the same results), then what only the remote one has: reconnecting without a
gap or a duplicate, resync after a server restart, a refused token, scopes, error codes, and the
CLI with --connect and `tmuxorch monitor` as a user runs them. Real tmux, a real server on
127.0.0.1 port 0, real websockets."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.client.dialing import check_url, load_token
from tmuxorch.client.errors import RefusedError
from tmuxorch.core.backend import Backend, EventSubscription
from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import BadInputError, TargetNotFoundError, TmuxUnavailableError
from tmuxorch.core.events import AgentStateChanged, Event, Resynced
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.tmux.hidden import is_hidden
from tmuxorch.protocol.errors import ForbiddenError
from tmuxorch.server.listener import TmuxorchServer
from tmuxorch.server.options import ServerOptions

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served, local_backends, served, synthetic
from ..simfleet import start_agent, start_login_menu


@pytest.fixture
async def remote(srv: Served) -> AsyncIterator[RemoteBackend]:
    backend = RemoteBackend(srv.url, srv.control, backoff=(0.05, 0.5))
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture(params=["local", "remote"])
async def fleet(
    request: pytest.FixtureRequest, engine: Engine, running_tmux: TmuxFixture
) -> AsyncIterator[Backend]:
    """The same fleet through either backend."""
    if request.param == "local":
        yield LocalBackend(engine)  # the engine fixture closes the engine
        return
    async with served(engine, running_tmux.tmpdir) as s:
        backend = RemoteBackend(s.url, s.control)
        try:
            yield backend
        finally:
            await backend.close()


def tmux_panes(t: TmuxFixture) -> set[str]:
    lines = t.tmux("list-panes", "-a", "-F", "#{session_name} #{pane_id}").splitlines()
    return {line.split()[1] for line in lines if not is_hidden(line.split()[0])}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


async def next_event(
    subscription: EventSubscription, match: Callable[[Event], bool], timeout: float = 5.0
) -> Event:
    async with asyncio.timeout(timeout):
        async for event in subscription:
            if match(event):
                return event
    raise AssertionError("the subscription ended")


PUBLISHED: dict[str, int] = {}
TRUST_SCREEN = (
    Path(__file__).resolve().parent.parent / "fixtures/screens/claude/trust-folder-80x24.txt"
)


def publish(server: TmuxorchServer, n: int) -> int:
    """Publish synthetic event `n` on the server's hub; remember its seq by its pane id."""
    event = synthetic(n)
    seq = server.hub.publish(event)
    PUBLISHED[event.pane_id] = seq
    return seq


async def seqs_of(subscription: EventSubscription, count: int) -> list[int]:
    """The seqs of the next `count` synthetic events, as published."""
    seen: list[int] = []
    async with asyncio.timeout(5):
        async for event in subscription:
            if isinstance(event, AgentStateChanged) and event.pane_id in PUBLISHED:
                seen.append(PUBLISHED.pop(event.pane_id))
                if len(seen) == count:
                    return seen
    raise AssertionError("the subscription ended")


# -- the shared matrix --------------------------------------------------------------------------


async def test_snapshot_shows_every_pane(fleet: Backend, running_tmux: TmuxFixture) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "two", "sleep", "100000")
    snapshot = await fleet.snapshot(activity=True)
    assert {p.id for p in snapshot.panes()} == tmux_panes(running_tmux)
    assert [w.name for w in snapshot.windows()] == ["sleep", "two"]
    assert all(w.activity is not None for w in snapshot.windows())
    assert snapshot.tmux.running


async def test_both_backends_see_the_same_fleet(
    srv: Served, backend: LocalBackend, remote: RemoteBackend
) -> None:
    local, far = await backend.snapshot(), await remote.snapshot()
    assert [p.id for p in far.panes()] == [p.id for p in local.panes()]
    assert far.tmux == local.tmux
    assert [(s.id, s.name) for s in far.sessions] == [(s.id, s.name) for s in local.sessions]
    assert remote.label == srv.url


async def test_send_reaches_an_agent_exactly_once(
    fleet: Backend, running_tmux: TmuxFixture
) -> None:
    agent = await start_agent(running_tmux, running_tmux.tmpdir)
    text = "-n ;echo $HOME #{host}"
    receipts = await fleet.send([agent.pane], text)
    assert [(r.target, r.status) for r in receipts] == [(agent.pane, "delivered")]
    await wait_for(lambda: agent.entries() == [text])
    await wait_for(agent.idle)  # it has replied and is back at its prompt: no second submit
    assert agent.entries() == [text]


async def test_an_agent_on_a_screen_not_understood_is_skipped(
    fleet: Backend, running_tmux: TmuxFixture
) -> None:
    """The rule is the core's: the server's `send` op keeps it, and `force` passes through."""
    pane = await start_login_menu(running_tmux)
    (skipped,) = await fleet.send([pane], "1")
    assert skipped.status == "skipped_unknown"
    (forced,) = await fleet.send([pane], "typed anyway", force=True)
    assert forced.status == "delivered"
    await wait_for(lambda: "typed anyway" in running_tmux.tmux("capture-pane", "-p", "-t", pane))


async def test_keys_and_capture(fleet: Backend, running_tmux: TmuxFixture) -> None:
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "cat", "-"
    ).strip()  # argv form: no shell in between
    current = ("display-message", "-p", "-t", pane, "#{pane_current_command}")
    await wait_for(lambda: running_tmux.tmux(*current).strip() == "cat")
    (typed,) = await fleet.send([pane], "typed here", enter=False)
    assert typed.status == "delivered"
    (pressed,) = await fleet.keys([pane], ["Enter"])
    assert pressed.status == "delivered"

    async def echoed() -> bool:
        return (await fleet.capture(pane, 20)).count("typed here") == 2  # typed, then echoed

    await eventually(echoed)
    (stopped,) = await fleet.interrupt([pane])
    assert stopped.status == "delivered"


async def test_explain_says_why_an_agent_is_in_its_state(
    fleet: Backend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    screen = TRUST_SCREEN
    body = tmp_path / "trust.txt"
    body.write_text(screen.read_text(encoding="utf-8").partition("\n---\n")[2].rstrip())
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main",
        f"cat '{body}'; exec sleep 100000",
    ).strip()  # fmt: skip
    running_tmux.tmux("set-option", "-p", "-t", pane, "@tmuxorch-agent", "claude")
    last = body.read_text(encoding="utf-8").strip().splitlines()[-1].strip()
    await wait_for(lambda: last in running_tmux.tmux("capture-pane", "-p", "-t", pane))
    # The tag set above reaches the engine with its next sweep (under load, after the screen
    # is whole): until then the pane may read `unknown`. What it settles on is the claim.
    deadline = time.monotonic() + 10
    explained = await fleet.explain(pane)
    while explained.agent.state == "unknown" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        explained = await fleet.explain(pane)
    assert (explained.agent.state, explained.agent.source) == ("waiting", "screen")
    assert explained.screen_state == "waiting"
    assert "claude.waiting[" in explained.agent.reason
    assert any("trust" in line for line in explained.region)
    plain = (await fleet.snapshot()).panes()[0].id
    with pytest.raises(BadInputError, match="not an agent pane"):
        await fleet.explain(plain)
    with pytest.raises(TargetNotFoundError):
        await fleet.explain("%999")


async def test_spawn_rename_kill(fleet: Backend, running_tmux: TmuxFixture) -> None:
    spawned = await fleet.spawn("work", ["sleep", "100000"], name="agent", kind="sim")
    assert spawned.pane_id in tmux_panes(running_tmux)
    snapshot = await fleet.snapshot()
    pane = snapshot.panes_by_id[spawned.pane_id]
    assert pane.agent is not None
    assert pane.agent.kind == "sim"
    await fleet.rename(spawned.window_id, "renamed")
    assert "renamed" in running_tmux.tmux("list-windows", "-a", "-F", "#{window_name}")
    await fleet.kill(spawned.session_id)
    assert "work" not in running_tmux.tmux("list-sessions", "-F", "#{session_name}")


async def test_a_new_window_arrives_as_an_event(fleet: Backend, running_tmux: TmuxFixture) -> None:
    subscription = await fleet.subscribe()
    try:
        wid = running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "sleep", "100000"
        ).strip()
        event = await next_event(subscription, lambda e: e.event == "window_added")
        assert event.model_dump()["window_id"] == wid
    finally:
        await subscription.close()


# -- reconnecting -------------------------------------------------------------------------------


async def test_a_dropped_connection_resumes_without_gap_or_duplicate(
    srv: Served, remote: RemoteBackend
) -> None:
    subscription = await remote.subscribe()
    first = [publish(srv.server, n) for n in range(5)]
    assert await seqs_of(subscription, 5) == first
    assert remote.connection_state == "live"

    for session in list(srv.server.sessions):  # the network goes away under the client
        session.ws.transport.abort()
    missed = [publish(srv.server, n) for n in range(5, 10)]  # while nobody listens
    snapshot = await remote.snapshot()  # a read waits for the reconnection and is sent again
    assert snapshot.tmux.running
    assert remote.link.reconnects == 1
    live = [publish(srv.server, n) for n in range(10, 15)]

    got = await seqs_of(subscription, 10)
    assert got == [*missed, *live]
    assert [*first, *got] == list(range(first[0], live[-1] + 1))  # contiguous
    assert (remote.feed.gaps, remote.feed.duplicates, remote.feed.resyncs) == (0, 0, 0)
    assert remote.feed.last_seq == live[-1]
    await subscription.close()


async def test_a_server_restart_resyncs_and_the_stream_goes_on(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    async with served(engine, running_tmux.tmpdir) as s:
        port = s.server.port
        remote = RemoteBackend(s.url, s.control, backoff=(0.05, 0.3))
        try:
            subscription = await remote.subscribe()
            before = [publish(s.server, n) for n in range(3)]
            assert await seqs_of(subscription, 3) == before
            await s.server.close()  # clients get 1001 and start reconnecting
            await wait_for(lambda: remote.connection_state == "reconnecting")

            again = TmuxorchServer(
                local_backends(engine), s.tokens, options=ServerOptions(port=port)
            )
            await again.start()
            try:
                # seqs restarted with the new run: the client cannot be replayed, so it is
                # resynced: subscribers get the fleet as the new run sees it
                event = await next_event(subscription, lambda e: True)
                assert isinstance(event, Resynced)
                assert event.reason == "the server restarted"
                assert remote.feed.resyncs == 1
                assert event.snapshot.tmux.running is True
                assert {p.id for p in event.snapshot.panes()} == tmux_panes(running_tmux)
                assert remote.feed.instance == again.instance
                published = [publish(again, n) for n in range(3, 6)]
                assert await seqs_of(subscription, 3) == published
                assert remote.feed.last_seq == published[-1]  # the new run's seqs
                running_tmux.tmux("new-window", "-d", "-t", "main", "sleep", "100000")
                await next_event(subscription, lambda e: e.event == "window_added")
                assert (remote.feed.gaps, remote.feed.duplicates) == (0, 0)
            finally:
                await subscription.close()
                await again.close()
        finally:
            await remote.close()


async def test_a_resync_of_a_stopped_tmux_says_so_in_its_snapshot(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """Reconnecting to a restarted server whose tmux has stopped meanwhile: the subscriber's
    resync carries a snapshot of a tmux that is not running (it used to arrive as tmux_down)."""
    async with served(engine, running_tmux.tmpdir) as s:
        port = s.server.port
        remote = RemoteBackend(s.url, s.control, backoff=(0.05, 0.3))
        try:
            subscription = await remote.subscribe()
            await s.server.close()
            await wait_for(lambda: remote.connection_state == "reconnecting")
            running_tmux.kill()
            again = TmuxorchServer(
                local_backends(engine), s.tokens, options=ServerOptions(port=port)
            )
            await again.start()
            try:
                event = await next_event(subscription, lambda e: isinstance(e, Resynced))
                assert isinstance(event, Resynced)
                assert event.snapshot.tmux.running is False
                assert event.snapshot.sessions == ()
                assert (await remote.snapshot()).tmux.running is False
            finally:
                await subscription.close()
                await again.close()
        finally:
            await remote.close()


# -- refusals and errors ------------------------------------------------------------------------


async def test_a_wrong_token_is_refused_once_and_fast(srv: Served) -> None:
    limiter = srv.server.gatekeeper.limiter
    remote = RemoteBackend(srv.url, "tmo_" + "w" * 43, backoff=(0.05, 0.1))
    try:
        with pytest.raises(RefusedError) as info:
            await asyncio.wait_for(remote.snapshot(), 10)  # refused for good: no retrying
        assert str(info.value) == (
            "the server refused the token (401): check --token-file / TMUXORCH_TOKEN"
        )
        assert info.value.exit_code == 3
        assert remote.connection_state == "refused"
        for call in (remote.snapshot(), remote.subscribe(), remote.send(["%0"], "x")):
            with pytest.raises(RefusedError):
                await call  # raised again at once, without asking the server
        assert len(limiter._recent("127.0.0.1")) == 1  # one handshake in all
    finally:
        await remote.close()


async def test_a_revoked_token_ends_the_stream_without_retrying(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    async with served(engine, running_tmux.tmpdir, ServerOptions(port=0, token_recheck=0.1)) as s:
        token, _ = s.tokens.create("temp", "control")
        remote = RemoteBackend(s.url, token, backoff=(0.05, 0.1))
        try:
            subscription = await remote.subscribe()
            s.tokens.revoke("temp")  # the server closes the connection (1008)
            with pytest.raises(RefusedError):
                await next_event(subscription, lambda e: False)
            assert remote.connection_state == "refused"
            assert len(s.server.gatekeeper.limiter._recent("127.0.0.1")) == 1
        finally:
            await remote.close()


async def test_a_read_token_may_look_but_not_touch(srv: Served, running_tmux: TmuxFixture) -> None:
    remote = RemoteBackend(srv.url, srv.read)
    try:
        snapshot = await remote.snapshot()
        assert remote.scope == "read"
        pane = snapshot.panes()[0].id
        assert isinstance(await remote.capture(pane), str)
        with pytest.raises(BadInputError, match="not an agent pane"):  # read tokens may ask
            await remote.explain(pane)
        await (await remote.subscribe()).close()
        attempts = {
            "send": remote.send([pane], "echo pwned"),
            "keys": remote.keys([pane], ["C-c"]),
            "interrupt": remote.interrupt([pane]),
            "spawn": remote.spawn("evil", ["sh"], name=None, kind=None),
            "kill": remote.kill(pane),
            "rename": remote.rename(snapshot.sessions[0].id, "owned"),
        }
        for op, call in attempts.items():
            with pytest.raises(ForbiddenError) as info:
                await call
            assert info.value.exit_code == 1
            assert op in str(info.value)
        assert tmux_panes(running_tmux) == {pane}
    finally:
        await remote.close()


async def test_server_errors_become_core_errors(remote: RemoteBackend) -> None:
    with pytest.raises(TargetNotFoundError, match="no such window: @999") as info:
        await remote.kill("@999")
    assert info.value.exit_code == 2
    with pytest.raises(TargetNotFoundError):
        await remote.capture("%999")
    with pytest.raises(BadInputError, match="contains '#', which starts tmux format syntax"):
        await remote.rename("$0", "a#{host}")
    with pytest.raises(BadInputError, match="no command given"):
        await remote.spawn("s", [], name=None, kind=None)
    assert await remote.send([], "nobody") == []


async def test_connection_state_latency_and_close(srv: Served) -> None:
    remote = RemoteBackend(srv.url, srv.control)
    assert (remote.connection_state, remote.latency) == ("disconnected", None)
    started = time.monotonic()
    assert remote.server_seq is None
    assert 0 < await remote.ping() <= time.monotonic() - started  # a round trip, in seconds
    published = [publish(srv.server, n) for n in range(3)]
    await remote.ping()
    assert remote.server_seq == published[-1] == srv.server.hub.seq  # ping's result says it
    assert remote.connection_state == "live"
    await wait_for(lambda: remote.latency is not None)
    assert 0 < (remote.latency or 0) <= time.monotonic() - started  # the WebSocket ping's
    assert srv.control not in repr(remote)
    await remote.close()
    assert remote.connection_state == "closed"
    with pytest.raises(TmuxUnavailableError, match="closed"):
        await remote.snapshot()


async def test_the_token_never_reaches_a_log(srv: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # websockets logs every handshake header at DEBUG, when its logger is that verbose
    caplog.set_level(logging.DEBUG, logger="tmuxorch.remote.websockets")
    accepted = RemoteBackend(srv.url, srv.control)
    assert await accepted.ping() > 0
    await accepted.close()
    refused = RemoteBackend(srv.url, "tmo_" + "z" * 43)
    with pytest.raises(RefusedError):
        await refused.ping()
    await refused.close()
    assert "Authorization" in caplog.text  # the header was logged...
    assert srv.control not in caplog.text  # ...without its value
    assert "zzzz" not in caplog.text


async def test_nothing_listening_is_exit_3_at_once(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    # at once: a backend that waited for the server to come up would wait for 60 s
    remote = RemoteBackend(f"ws://127.0.0.1:{port}", "tmo_x", reconnect_wait=60, open_timeout=60)
    with pytest.raises(TmuxUnavailableError, match=r"cannot connect to ws://127\.0\.0\.1") as info:
        await asyncio.wait_for(remote.snapshot(), 10)
    assert info.value.exit_code == 3
    assert remote.connection_state == "disconnected"
    await remote.close()


def test_urls_and_tokens(tmp_path: Path) -> None:
    assert check_url("wss://fleet.example:8765") == "wss://fleet.example:8765"
    for bad in ("http://x", "ws://", "fleet:8765", "ws://user:tmo_secret@host", "ws://h/?t=tmo_s"):
        with pytest.raises(BadInputError) as info:
            check_url(bad)
        assert "tmo_s" not in str(info.value)
    token_file = tmp_path / "token"
    token_file.write_text("  tmo_abc  \nsecond line\n")
    assert load_token(str(token_file), {}) == "tmo_abc"
    assert load_token(None, {"TMUXORCH_TOKEN": "tmo_env\n"}) == "tmo_env"
    with pytest.raises(BadInputError, match="cannot read the token file"):
        load_token(str(tmp_path / "missing"), {"TMUXORCH_TOKEN": "tmo_env"})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(BadInputError, match="is empty"):
        load_token(str(tmp_path / "empty"), {})
    with pytest.raises(BadInputError, match="--token-file FILE or the TMUXORCH_TOKEN"):
        load_token(None, {})
    with pytest.raises(BadInputError):
        RemoteBackend("ws://127.0.0.1:1", "tmo_x\r\nX-Evil: 1")


# -- the CLI with --connect, and monitor ----------------------------------------------------------


async def run_cli(
    t: TmuxFixture, *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, without blocking the event loop the server runs in."""
    environment = {k: v for k, v in t.env.items() if k != "TMUXORCH_TOKEN"}
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tmuxorch", *args, env=environment,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


async def test_cli_over_connect(srv: Served, running_tmux: TmuxFixture) -> None:
    token_file = running_tmux.tmpdir / "token"
    token_file.write_text(srv.control + "\n")
    connect = ("--connect", srv.url, "--token-file", str(token_file))
    agent = await start_agent(running_tmux, running_tmux.tmpdir)

    far = await run_cli(running_tmux, *connect, "status", "--json")
    assert far.returncode == 0, far.stderr
    near = await run_cli(running_tmux, "-S", str(running_tmux.socket_path), "status", "--json")
    assert near.returncode == 0, near.stderr

    def pane_ids(document: str) -> list[str]:
        status = json.loads(document)
        assert status["schema"] == "tmuxorch.status/1"
        return [p["id"] for s in status["sessions"] for w in s["windows"] for p in w["panes"]]

    assert pane_ids(far.stdout) == pane_ids(near.stdout)
    assert set(pane_ids(far.stdout)) == tmux_panes(running_tmux)

    sent = await run_cli(
        running_tmux, *connect, "send", agent.pane, "-m", "over the wire", "--json"
    )
    assert sent.returncode == 0, sent.stderr
    assert [r["status"] for r in json.loads(sent.stdout)["receipts"]] == ["delivered"]
    await wait_for(lambda: agent.entries() == ["over the wire"])

    by_env = await run_cli(
        running_tmux, "--connect", srv.url, "capture", agent.pane, env={"TMUXORCH_TOKEN": srv.read}
    )
    assert by_env.returncode == 0, by_env.stderr
    assert "over the wire" in by_env.stdout
    for secret in (srv.control, srv.read):
        assert all(secret not in r.stdout + r.stderr for r in (far, sent, by_env))


async def test_a_token_file_others_can_read_is_used_with_a_warning(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    token_file = running_tmux.tmpdir / "token"
    token_file.write_text(srv.read + "\n")
    token_file.chmod(0o644)
    connect = ("--connect", srv.url, "--token-file", str(token_file))
    shared = await run_cli(running_tmux, *connect, "status", "--json")
    assert shared.returncode == 0, shared.stderr
    assert shared.stderr == (
        f"tmuxorch: WARNING: the token file {token_file} is accessible by others (permissions "
        f"0644): anyone who can read it can use the token; run: chmod 600 {token_file}\n"
    )
    token_file.chmod(0o600)
    private = await run_cli(running_tmux, *connect, "status", "--json")
    assert private.returncode == 0, private.stderr
    assert private.stderr == ""
    assert srv.read not in shared.stdout + shared.stderr


async def test_cli_connect_failures(srv: Served, running_tmux: TmuxFixture) -> None:
    wrong = running_tmux.tmpdir / "wrong"
    wrong.write_text("tmo_" + "q" * 43)
    wrong.chmod(0o600)
    refused = await run_cli(
        running_tmux, "--connect", srv.url, "--token-file", str(wrong), "status"
    )
    assert refused.returncode == 3
    assert refused.stderr == (
        "tmuxorch: the server refused the token (401): check --token-file / TMUXORCH_TOKEN\n"
    )
    assert "qqqq" not in refused.stdout + refused.stderr

    missing = await run_cli(running_tmux, "--connect", srv.url, "status")
    assert missing.returncode == 2
    assert "--connect needs a token" in missing.stderr
    unreadable = await run_cli(
        running_tmux, "--connect", srv.url, "--token-file", "/nonexistent/token", "status"
    )
    assert unreadable.returncode == 2
    assert "cannot read the token file /nonexistent/token" in unreadable.stderr
    both = await run_cli(running_tmux, "-L", "x", "--connect", srv.url, "status")
    assert both.returncode == 2
    assert "cannot be used with --connect" in both.stderr
    read_only = await run_cli(
        running_tmux, "--connect", srv.url, "send", "%0", "-m", "x",
        env={"TMUXORCH_TOKEN": srv.read},
    )  # fmt: skip
    assert read_only.returncode == 1
    assert "forbidden" in read_only.stderr
    for result in (refused, missing, unreadable, both, read_only):
        assert "Traceback" not in result.stderr


async def _read_until(fd: int, needle: bytes, seen: bytearray, timeout: float = 15) -> None:
    """Read a pty's output into `seen` until it contains `needle`."""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        assert time.monotonic() < deadline, f"{needle!r} never showed: {bytes(seen[-500:])!r}"
        ready, _, _ = await asyncio.to_thread(select.select, [fd], [], [], 0.1)
        if ready:
            with contextlib.suppress(OSError):  # EIO once the child has exited
                seen += os.read(fd, 65536)


async def test_monitor_shows_the_stream_and_exits_0_on_ctrl_c(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    """On a terminal (a pty here) the dashboard redraws live: wait until the new window's event
    is on screen, then Ctrl-C."""
    environment = {**running_tmux.env, "TMUXORCH_TOKEN": srv.read, "TERM": "xterm-256color"}
    environment.pop("NO_COLOR", None)
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tmuxorch", "--connect", srv.url, "monitor", "--interval", "0.5",
        env=environment, stdin=subprocess.DEVNULL, stdout=child, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(child)
    seen = bytearray()
    try:
        await _read_until(main, b"agents by state", seen)
        await wait_for(lambda: srv.server.hub.subscribers >= 1, timeout=10)
        running_tmux.tmux("new-window", "-d", "-t", "main", "sleep", "100000")
        await _read_until(main, b"window_added", seen)
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, err.decode()
        for part in (b"tmuxorch monitor", srv.url.encode(), b"/s (last 10 s)", b"by type"):
            assert part in seen
        assert b"Traceback" not in err
    finally:
        os.close(main)
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(("text", "why"), [("", "is empty"), (" \n\t \n", "is only whitespace")])
async def test_an_empty_message_reads_the_same_locally_and_over_connect(
    srv: Served, running_tmux: TmuxFixture, text: str, why: str
) -> None:
    local = await run_cli(running_tmux, "send", "%0", "-m", text)
    remote = await run_cli(
        running_tmux, "--connect", srv.url, "send", "%0", "-m", text,
        env={"TMUXORCH_TOKEN": srv.control},
    )  # fmt: skip
    for result in (local, remote):
        assert result.returncode == 2
        assert result.stderr == f"tmuxorch: the message {why}\n"


async def test_monitor_piped_prints_its_header_at_once(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    environment = {**running_tmux.env, "TMUXORCH_TOKEN": srv.read}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tmuxorch", "--connect", srv.url, "monitor",
        env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        header = await asyncio.wait_for(process.stdout.readline(), 15)
        assert header.decode().startswith(f"tmuxorch monitor {srv.url}")
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0, err.decode()
        assert b"recent events" in out  # the last frame, written as the monitor ends
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_tui_header_follows_the_remote_connection(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    from textual.widgets import Static

    from tmuxorch.tui.app import TmuxorchApp

    from ..conftest import until
    from .test_tui_pilot import running

    async with served(engine, running_tmux.tmpdir) as s:
        port = s.server.port
        app = TmuxorchApp(RemoteBackend(s.url, s.control, backoff=(0.05, 0.2)))
        async with running(app) as pilot:
            header = app._header
            banner = app._main.query_one("#banner", Static)
            await until(pilot, lambda: header.label == s.url and app.fleet is not None)
            await until(pilot, lambda: header.connection.endswith(" ms"))  # "live 0 ms"
            assert header.connection.startswith("live ")
            await s.server.close()
            await until(pilot, lambda: header.connection == "reconnecting…")
            assert "reconnecting" in str(banner.content)
            again = TmuxorchServer(
                local_backends(engine), s.tokens, options=ServerOptions(port=port)
            )
            await again.start()
            try:
                await until(pilot, lambda: header.connection.startswith("live"))
                await until(pilot, lambda: not banner.display)
            finally:
                await again.close()
