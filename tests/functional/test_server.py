"""`tmuxorch serve` end to end: a real server on 127.0.0.1 port 0 over a private tmux server, real
websockets clients. Handshake (401/403/503; 426 and 429: test_server_lockout), scopes, requests
and their errors, events with replay and resync, tmux going away and coming back, limits (1009,
eviction, handshake timeout)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tmuxorch.core.engine import Engine
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.protocol.errors import ProtocolError
from tmuxorch.protocol.requests import read_envelope, validate_request
from tmuxorch.protocol.scopes import MUTATING_OPS
from tmuxorch.server.options import ServerOptions
from tmuxorch.server.tokens import TokenStore

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served, bearer, served, synthetic


async def refused(url: str, **kwargs: object) -> int:
    """The HTTP status of a refused handshake."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return info.value.response.status_code


def panes(t: TmuxFixture) -> str:
    return t.tmux("list-panes", "-a", "-F", "#{session_name} #{window_name} #{pane_id}")


# -- handshake ------------------------------------------------------------------------------------


async def test_bad_tokens_get_401_before_the_handler_runs(srv: Served) -> None:
    revoked, _ = srv.tokens.create("gone", "control")
    srv.tokens.revoke("gone")
    past = TokenStore(srv.store, clock=lambda: time.time() - 3600)
    expired, _ = past.create("old", "control", expires_in=60)
    attempts: list[dict[str, str] | None] = [
        None, bearer("tmo_" + "x" * 43), bearer(revoked), bearer(expired),
        {"Authorization": f"Basic {srv.control}"}, bearer(""),
    ]  # fmt: skip
    for headers in attempts:
        assert await refused(srv.url, additional_headers=headers) == 401
    assert srv.server.sessions_started == 0
    async with srv.client() as client:  # the right token still works
        assert client.hello["scope"] == "control"
    assert srv.server.sessions_started == 1


async def test_foreign_origin_gets_403(engine: Engine, running_tmux: TmuxFixture) -> None:
    options = ServerOptions(port=0, allowed_origins=("https://dash.example",))
    async with served(engine, running_tmux.tmpdir, options) as s:
        headers = bearer(s.control)
        status = await refused(s.url, additional_headers=headers, origin="https://evil.example")
        assert status == 403
        async with s.client(origin="https://dash.example") as client:
            assert client.hello["protocol"] == 1
        assert s.server.sessions_started == 1


async def raw_handshake(port: int, host_header: str, token: str) -> bytes:
    """The status line the server answers a hand-written handshake with."""
    reader, writer = await raw_connection(port, host_header, token)
    status = await reader.readline()
    writer.close()
    return status


async def raw_connection(
    port: int, host_header: str, token: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: {host_header}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    return reader, writer


async def test_host_must_be_loopback_on_a_loopback_bind(srv: Served) -> None:
    port = srv.server.port
    assert b" 403 " in await raw_handshake(port, "evil.example", srv.control)
    assert b" 403 " in await raw_handshake(port, f"rebind.example:{port}", srv.control)
    assert b" 101 " in await raw_handshake(port, f"localhost:{port}", srv.control)
    assert b" 101 " in await raw_handshake(port, "[::1]:9000", srv.control)  # an ssh -L tunnel


async def test_compression_is_never_negotiated(srv: Served) -> None:
    async with connect(srv.url, additional_headers=bearer(srv.read), compression="deflate") as ws:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers  # the offer was declined


async def test_keepalive_pings(engine: Engine, running_tmux: TmuxFixture) -> None:
    options = ServerOptions(port=0, ping_interval=0.1, ping_timeout=5)
    async with served(engine, running_tmux.tmpdir, options) as s:
        reader, writer = await raw_connection(s.server.port, "localhost", s.control)
        assert b" 101 " in await reader.readline()
        await reader.readuntil(b"\r\n\r\n")
        opcodes = []
        while 0x9 not in opcodes:  # frames from the server are not masked
            head = await asyncio.wait_for(reader.readexactly(2), 2)
            opcodes.append(head[0] & 0x0F)
            await reader.readexactly(head[1] & 0x7F)
        assert opcodes[0] == 0x1  # hello first, then a ping
        writer.close()


async def test_connection_cap_answers_503(engine: Engine, running_tmux: TmuxFixture) -> None:
    async with served(engine, running_tmux.tmpdir, ServerOptions(port=0, max_connections=2)) as s:
        async with s.client(), s.client():
            assert await refused(s.url, additional_headers=bearer(s.control)) == 503
        # the slots are free again once those clients are gone
        await wait_for(lambda: s.server.connections == 0)
        async with s.client() as client:
            assert (await client.ok("ping"))["time"] > 0


async def test_handshake_timeout_drops_a_silent_connection(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    options = ServerOptions(port=0, handshake_timeout=0.3)
    async with served(engine, running_tmux.tmpdir, options) as s:
        reader, writer = await asyncio.open_connection("127.0.0.1", s.server.port)
        # closed without a word, by the 0.3 s timeout: websockets' own (10 s) would miss this
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()


async def test_tokens_never_reach_the_logs(srv: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ws_logger = logging.getLogger("tmuxorch.server.websockets")
    ws_logger.setLevel(logging.DEBUG)  # websockets then logs every request header
    try:
        async with srv.client() as client:
            await client.ok("ping")
            assert await client.error("kill", target="@1", token=srv.read) == "bad_request"
        assert await refused(srv.url, additional_headers=bearer(srv.read + "x")) == 401
    finally:
        ws_logger.setLevel(logging.WARNING)
    server_log = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("tmuxorch")
    )  # (the test's own websockets client logs its headers: not the server's business)
    assert "Authorization: [redacted]" in server_log  # the header was logged, not its value
    for secret in (srv.control, srv.read, srv.read[4:30]):
        assert secret not in server_log
    assert "token ctl" in server_log  # the token's name is what identifies a client


# -- requests -------------------------------------------------------------------------------------


async def test_read_token_is_forbidden_every_mutating_op(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    before = panes(running_tmux)
    pane = srv.engine.last_snapshot.panes()[0].id  # type: ignore[union-attr]
    params: dict[str, dict[str, object]] = {
        "send": {"targets": [pane], "text": "echo pwned"},
        "keys": {"targets": [pane], "keys": ["C-c"]},
        "interrupt": {"targets": [pane]},
        "spawn": {"session": "evil", "command": ["sh"]},
        "kill": {"target": pane},
        "rename": {"target": "$0", "name": "owned"},
        "schedule.add": {},
        "schedule.cancel": {},
        "queue.add": {"text": "x"},
        "queue.cancel": {"task": 1},
        "queue.pause": {},
        "queue.resume": {},
    }
    assert set(params) == MUTATING_OPS
    async with srv.client(srv.read) as client:
        assert client.hello["scope"] == "read"
        for op, p in params.items():
            assert await client.error(op, **p) == "forbidden"
            # whatever its parameters: the scope is checked first
            assert await client.error(op, targets="nonsense", bogus=1) == "forbidden"
        # what a read token may do
        assert (await client.ok("snapshot"))["schema"] == "tmuxorch.status/1"
        assert "text" in await client.ok("capture", target=pane, lines=5)
        assert (await client.ok("subscribe"))["resync"] is False
        assert (await client.ok("schedule.list"))["schedules"] == []
        assert (await client.ok("queue.list"))["tasks"] == []
    assert panes(running_tmux) == before
    assert AuditLog(srv.store).entries() == []


async def test_control_token_drives_tmux_and_is_audited_by_name(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    async with srv.client() as client:
        spawned = await client.ok(
            "spawn", session="work", name="agent", kind="sim", command=["sleep", "100000"]
        )
        pane = spawned["pane_id"]
        # `sleep` shows no screen a sim agent would: unforced, the send is held back.
        receipts = (await client.ok("send", targets=[pane], text="hello", enter=False))["receipts"]
        assert [r["status"] for r in receipts] == ["skipped_unknown"]
        forced = await client.ok("send", targets=[pane], text="hello", enter=False, force=True)
        assert [r["status"] for r in forced["receipts"]] == ["delivered"]
        await client.ok("keys", targets=[pane], keys=["C-u"])
        await client.ok("rename", target=spawned["window_id"], name="renamed")
        assert "renamed" in running_tmux.tmux("list-windows", "-a", "-F", "#{window_name}")
        await client.ok("kill", target=spawned["session_id"])
        assert "work" not in running_tmux.tmux("list-sessions", "-F", "#{session_name}")
    entries = AuditLog(srv.store).entries()
    assert {e.op for e in entries} == {"spawn", "send", "keys", "rename", "kill"}
    assert {e.actor for e in entries} == {"ctl"}


async def test_schedules_over_the_wire_are_checked_stored_listed_and_cancelled(
    srv: Served,
) -> None:
    pane = srv.engine.last_snapshot.panes()[0].id  # type: ignore[union-attr]
    soon = {"kind": "in", "due": time.time() + 3600}
    async with srv.client() as client:
        added = await client.ok("schedule.add", targets=[pane], text="report", trigger=soon)
        assert added["state"] == "pending"
        assert added["targets"] == [pane]
        listed = await client.ok("schedule.list")
        assert [s["id"] for s in listed["schedules"]] == [added["id"]]
        past = {"kind": "at", "due": time.time() - 5}
        assert await client.error("schedule.add", targets=[pane], text="x", trigger=past) == (
            "bad_request"
        )
        mixed = {"kind": "in", "due": time.time() + 60, "cron": "* * * * *"}
        assert await client.error("schedule.add", targets=[pane], text="x", trigger=mixed) == (
            "bad_request"
        )
        assert await client.error("schedule.add", targets=["%999"], text="x", trigger=soon) == (
            "bad_request"
        )
        cancelled = await client.ok("schedule.cancel", schedule=added["id"])
        assert cancelled["state"] == "cancelled"
        assert await client.error("schedule.cancel", schedule=added["id"]) == "bad_request"
    ops = [e.op for e in AuditLog(srv.store).entries()]
    assert sorted(ops) == ["schedule.add", "schedule.cancel"]


async def test_errors_are_responses_with_codes(srv: Served) -> None:
    async with srv.client() as client:
        assert await client.error("frobnicate") == "unknown_op"
        assert await client.error("kill", target="main") == "bad_request"  # a name, not an id
        assert await client.error("kill", target="@999") == "not_found"
        assert await client.error("capture", target="%999") == "not_found"
        assert await client.error("send", targets=["%0"], text="") == "bad_request"
        assert await client.error("send", targets=["%0"], text=" \n ") == "bad_request"
        assert await client.error("keys", targets=["%0"], keys=["Nope-X"]) == "bad_request"
        assert await client.error("rename", target="$0", name="a#{host}") == "bad_request"
        assert await client.error("rename", target="%0", name="x") == "bad_request"
        assert await client.error("snapshot", extra=True) == "bad_request"
        assert await client.error("schedule.add", when="1h") == "bad_request"
        for raw in ("not json", "[1, 2]", '{"type": "event"}', '{"type": "request", "id": 5}'):
            await client.send_raw(raw)
            response = await client.response(None if "id" not in raw else 5)
            assert response["error"]["code"] == "bad_request"
        await client.send_raw(b'{"type": "request", "id": 6, "op": "ping"}')  # binary frame
        assert (await client.response(None))["error"]["code"] == "bad_request"
        assert (await client.ok("ping"))["time"] > 0  # still alive after all that


async def test_send_reaches_the_pane(srv: Served, running_tmux: TmuxFixture) -> None:
    async with srv.client() as client:
        spawned = await client.ok("spawn", session="main", command=["cat"])
        pane = spawned["pane_id"]
        receipts = (await client.ok("send", targets=[pane], text="-x ;echo hi"))["receipts"]
        assert receipts[0]["status"] == "delivered"  # `cat` is no agent: never busy, never queued

        def lines() -> list[str]:
            return running_tmux.tmux("capture-pane", "-p", "-t", pane).splitlines()

        # the echo of what was typed, then cat's copy of the submitted line
        await wait_for(lambda: lines()[:2] == ["-x ;echo hi", "-x ;echo hi"])


async def test_a_send_is_finished_when_its_client_goes_away(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    async with srv.client() as client:
        pane = (await client.ok("spawn", session="main", command=["cat"]))["pane_id"]
        await client.send_raw(
            json.dumps(
                {"type": "request", "id": 50, "op": "send", "targets": [pane], "text": "bye"}
            )
        )
    # the connection is closed before the answer; the message still arrives, once, audited
    await wait_for(lambda: any(e.op == "send" for e in AuditLog(srv.store).entries()))
    (entry,) = [e for e in AuditLog(srv.store).entries() if e.op == "send"]
    assert (entry.actor, entry.text, entry.receipts[0]["status"]) == ("ctl", "bye", "delivered")
    screen = running_tmux.tmux("capture-pane", "-p", "-t", pane)
    assert screen.count("bye") == 2  # typed, then echoed by cat after Enter


# -- events ---------------------------------------------------------------------------------------


async def test_tmux_change_reaches_a_subscribed_client(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    async with srv.client(srv.read) as client:
        await client.ok("subscribe")
        wid = running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{window_id}", "-t", "main", "sleep", "100000"
        ).strip()
        added = await client.event("window_added")
        assert added["data"]["window_id"] == wid
        assert added["seq"] == srv.server.hub.seq


async def test_subscribe_since_replays_without_gap_or_duplicate(srv: Served) -> None:
    hub = srv.server.hub
    async with srv.client() as client:
        await client.ok("subscribe")
        first = [hub.publish(synthetic(n)) for n in range(5)]
        seen = [(await client.event("agent_state"))["seq"] for _ in first]
        assert seen == first
        assert await client.error("subscribe") == "bad_request"  # already subscribed
        instance = client.hello["instance"]
    missed = [hub.publish(synthetic(n)) for n in range(5, 12)]
    async with srv.client() as client:
        result = await client.ok("subscribe", since=seen[-1], instance=instance)
        assert result == {"seq": seen[-1], "replayed": len(missed), "resync": False}
        live = hub.publish(synthetic(12))
        got = [(await client.event("agent_state"))["seq"] for _ in range(len(missed) + 1)]
        assert got == [*missed, live]
        assert client.events == []
        await client.ok("unsubscribe")
        hub.publish(synthetic(13))
        await client.ok("ping")
        assert client.events == []


async def test_subscribe_resyncs_when_history_is_gone_or_server_restarted(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    async with served(engine, running_tmux.tmpdir, ServerOptions(port=0, history=3)) as s:
        hub = s.server.hub
        for n in range(10):
            hub.publish(synthetic(n))
        for params in ({"since": 2}, {"since": 99}, {"since": 9, "instance": "an-older-run"}):
            async with s.client(s.read) as client:
                covered = hub.seq
                result = await client.ok("subscribe", **params)
                assert result == {"seq": covered, "replayed": 0, "resync": True}
                resync = await client.event("resync")
                assert resync["seq"] == covered
                assert resync["data"]["status"]["schema"] == "tmuxorch.status/1"
                nxt = hub.publish(synthetic(10))
                assert (await client.event("agent_state"))["seq"] == nxt == covered + 1
        async with s.client(s.read) as client:  # within the history: replayed
            assert (await client.ok("subscribe", since=hub.seq - 2))["replayed"] == 2


async def test_a_subscriber_is_resynced_when_the_server_lost_events(srv: Served) -> None:
    hub = srv.server.hub
    async with srv.client(srv.read) as client:
        await client.ok("subscribe")
        first = hub.publish(synthetic(1))
        assert (await client.event("agent_state"))["seq"] == first
        for session in srv.server.sessions:  # what the hub's gap callback does
            session.resync_soon("events were lost on the server")
        resync = await client.event("resync")
        assert resync["seq"] == hub.seq
        assert resync["data"]["reason"] == "events were lost on the server"
        nxt = hub.publish(synthetic(2))
        assert (await client.event("agent_state"))["seq"] == nxt == resync["seq"] + 1


async def test_tmux_killed_then_back_without_reconnecting(running_tmux: TmuxFixture) -> None:
    async with (
        Engine(running_tmux.server, timeout=30.0) as engine,  # a request that waited for tmux
        served(engine, running_tmux.tmpdir) as srv,  # would take 30 s: far past the deadline
        srv.client() as client,
    ):
        await client.ok("subscribe")
        pane = (await client.ok("snapshot"))["sessions"][0]["windows"][0]["panes"][0]["id"]
        running_tmux.kill()
        await client.event("tmux_down")
        async with asyncio.timeout(10):  # answered at once, not after a tmux timeout
            for op, params in (
                ("send", {"targets": [pane], "text": "x"}),
                ("keys", {"targets": [pane], "keys": ["Enter"]}),
                ("capture", {"target": pane}),
                ("kill", {"target": pane}),
                ("spawn", {"session": "s", "command": ["sh"]}),
            ):
                assert await client.error(op, **params) == "tmux_unavailable"
        assert (await client.ok("snapshot"))["tmux"]["running"] is False

        running_tmux.start(session="back")
        await client.event("tmux_up")
        added = await client.event("session_added")
        assert added["data"]["name"] == "back"
        snapshot = await client.ok("snapshot")
        assert [s["name"] for s in snapshot["sessions"]] == ["back"]


# -- limits ---------------------------------------------------------------------------------------


async def test_oversize_frame_closes_with_1009(engine: Engine, running_tmux: TmuxFixture) -> None:
    options = ServerOptions(port=0, max_frame=4096)
    async with served(engine, running_tmux.tmpdir, options) as s, s.client() as client:
        await client.ok("ping")
        text = "x" * 5000
        await client.send_raw(json.dumps({"type": "request", "id": 1, "op": "ping", "t": text}))
        with pytest.raises(ConnectionClosed) as info:
            await client.frame()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1009


async def test_a_stalled_client_is_evicted_and_others_lose_nothing(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    limit = 64 * 1024
    async with served(engine, running_tmux.tmpdir, ServerOptions(port=0, outbox_limit=limit)) as s:
        hub = s.server.hub
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before the window is set
        sock.connect(("127.0.0.1", s.server.port))
        async with (
            s.client() as reader,
            connect(
                s.url,
                sock=sock,
                additional_headers=bearer(s.control),
                max_queue=1,
                close_timeout=0.5,
            ) as stalled,  # fmt: skip
        ):
            await stalled.send('{"type": "request", "id": 1, "op": "subscribe"}')
            await wait_for(lambda: hub.subscribers == 1)  # the stalled client's subscribe
            await reader.ok("subscribe")
            published: list[int] = []
            received: list[int] = []
            while s.server.evictions == 0:
                published += [hub.publish(synthetic(n)) for n in range(20)]
                while len(received) < len(published):
                    received.append((await reader.event("agent_state"))["seq"])
                assert len(published) < 50_000, "the stalled client was never evicted"
            await wait_for(lambda: len(s.server.sessions) == 1, timeout=10)
            # from passing the limit to the connection's end: the server's own 1 s cut-off for
            # a peer that takes no close frame, not websockets' 10 s close timeout
            assert s.server.eviction_delays[-1] <= 5.0
            assert hub.subscribers == 1
            published += [hub.publish(synthetic(n)) for n in range(5)]
            while len(received) < len(published):
                received.append((await reader.event("agent_state"))["seq"])
            assert received == published  # in order, nothing lost, nothing twice


async def test_revoked_token_closes_its_open_connection(srv: Served) -> None:
    name = "temp"
    token, _ = srv.tokens.create(name, "control")
    async with srv.client(token) as client:
        await client.ok("ping")
        srv.tokens.revoke(name)
        await client.send_raw(json.dumps({"type": "request", "id": 9, "op": "ping"}))
        with pytest.raises(ConnectionClosed) as info:
            await client.frame()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1008


async def test_server_close_sends_1001(engine: Engine, running_tmux: TmuxFixture) -> None:
    async with served(engine, running_tmux.tmpdir) as s, s.client() as client:
        await client.ok("subscribe")
        await s.server.close()
        with pytest.raises(ConnectionClosed) as info:
            await client.frame()
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1001


# -- fuzz -----------------------------------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # no lone surrogates
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=30,
)
ops = st.sampled_from(
    ["snapshot", "subscribe", "send", "keys", "capture", "spawn", "kill", "rename", "ping", "x"]
)
request_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["request", "request", "event", 1]), "op": ops | json_values},
    optional={
        "id": json_values,
        "targets": json_values,
        "text": json_values,
        "keys": json_values,
        "target": json_values,
        "lines": json_values,
        "command": json_values,
        "session": json_values,
        "name": json_values,
        "since": json_values,
        "enter": json_values,
    },
)
nested = st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth)
deep_objects = st.integers(1, 3000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth)
huge = st.integers(10_000, 200_000).map(
    lambda n: json.dumps(
        {"type": "request", "id": 1, "op": "send", "targets": ["%0"] * 3, "text": 7, "pad": "y" * n}
    )
)
frames = (
    json_values.map(json.dumps)
    | request_like.map(json.dumps)
    | nested
    | deep_objects
    | huge
    | texts
)


ENGINE_TASKS = ("tmuxorch-engine-watcher", "tmuxorch-agent-sweeper")


@pytest.fixture
async def fuzz_target() -> AsyncIterator[tuple[Served, list[int]]]:
    """One server for every example, counting the tmux commands run for requests (the engine's
    own watcher and sweeper tasks re-snapshot on tmux's notifications, whatever clients do)."""
    fixture = TmuxFixture(Path(tempfile.mkdtemp(prefix="tmo-")))
    fixture.start()
    try:
        async with Engine(fixture.server, timeout=3.0) as eng:
            calls = [0]
            original = eng.connection.run

            async def counting(*args: object, **kwargs: object) -> object:
                task = asyncio.current_task()
                if task is None or task.get_name() not in ENGINE_TASKS:
                    calls[0] += 1  # not the engine's own watcher or sweeper: a request did it
                return await original(*args, **kwargs)  # type: ignore[arg-type]

            async with served(eng, fixture.tmpdir) as s:
                assert eng.last_snapshot is not None
                await eng.agents.sweep(eng.last_snapshot)  # every pane seen: sweeps go quiet
                eng.connection.run = counting  # type: ignore[method-assign]
                yield s, calls
    finally:
        fixture.kill()
        shutil.rmtree(fixture.tmpdir, ignore_errors=True)


@settings(
    max_examples=150, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(frame=frames)
async def test_fuzzed_frames_get_error_responses_and_never_reach_tmux(
    fuzz_target: tuple[Served, list[int]], frame: str
) -> None:
    s, calls = fuzz_target
    assume(not _valid(frame))  # a valid request may call tmux; everything else must not
    async with s.client() as client:
        await client.send_raw(frame)
        response = await client.response(_id_of(frame))
        assert response["ok"] is False
        assert response["error"]["code"] in ("bad_request", "unknown_op")
        assert (await client.ok("ping"))["time"] > 0
    assert calls[0] == 0


def _valid(frame: str) -> bool:
    try:
        validate_request(read_envelope(frame))
    except ProtocolError:
        return False
    return True


def _id_of(frame: str) -> int | None:
    try:
        value = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    candidate = value.get("id") if isinstance(value, dict) else None
    return candidate if type(candidate) is int and 0 <= candidate < 2**53 else None
