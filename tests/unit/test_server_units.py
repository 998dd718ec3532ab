"""The server's parts on their own: the hub (seq, replay, resync, eviction), the wire protocol
(parsing, error codes, the documented schema), and the handshake checks (tokens: test_tokens.py)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmuxorch.core.events import Event, PaneAdded, Resynced, TmuxDown, TmuxUp
from tmuxorch.core.models import Snapshot, TmuxInfo
from tmuxorch.core.store.store import Store
from tmuxorch.protocol.errors import ProtocolError
from tmuxorch.protocol.requests import SendRequest, read_envelope, validate_request
from tmuxorch.protocol.schema import schema_text
from tmuxorch.protocol.scopes import MUTATING_OPS, OPS, READ_OPS
from tmuxorch.server.auth import FailureLimiter, Gatekeeper, Rejection, host_name, is_loopback_host
from tmuxorch.server.hub import Hub, Outbox
from tmuxorch.server.tokens import TokenStore

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def event(n: int) -> PaneAdded:
    return PaneAdded(pane_id=f"%{n}", window_id="@1", session_id="$1")


def seqs(frames: list[bytes]) -> list[int]:
    return [json.loads(frame)["seq"] for frame in frames]


async def drain(outbox: Outbox) -> list[bytes]:
    if not len(outbox):
        return []
    frames = await outbox.take()
    assert frames is not None
    outbox.drained()
    return frames


# -- hub ------------------------------------------------------------------------------------------


async def test_publish_numbers_contiguously_and_shares_one_frame() -> None:
    hub = Hub()
    a, b = Outbox(), Outbox()
    hub.attach(a)
    hub.attach(b)
    assert [hub.publish(event(n)) for n in range(5)] == [1, 2, 3, 4, 5]
    frames_a, frames_b = await drain(a), await drain(b)
    assert seqs(frames_a) == [1, 2, 3, 4, 5]
    assert all(x is y for x, y in zip(frames_a, frames_b, strict=True))  # encoded once
    first = json.loads(frames_a[0])
    assert first == {"type": "event", "seq": 1, "event": "pane_added", "data": first["data"]}
    assert first["data"]["pane_id"] == "%0"
    assert "event" not in first["data"]


async def test_a_core_resync_goes_out_as_a_resync_frame_and_tmux_state_follows() -> None:
    stopped = Snapshot(tmux=TmuxInfo(socket="/s", version=None, running=False), sessions=(),
                       taken_at=1.0)  # fmt: skip
    hub = Hub()
    outbox = Outbox()
    hub.attach(outbox)
    assert hub.tmux_running
    hub.publish(TmuxDown(reason="gone"))
    assert not hub.tmux_running
    hub.publish(TmuxUp(version="3.3a"))
    assert hub.tmux_running
    hub.publish(event(1))
    assert hub.tmux_running
    hub.publish(Resynced(reason="caught up", snapshot=stopped))
    assert not hub.tmux_running
    frames = [json.loads(frame) for frame in await drain(outbox)]
    assert [(f["seq"], f["event"]) for f in frames] == [
        (1, "tmux_down"), (2, "tmux_up"), (3, "pane_added"), (4, "resync"),
    ]  # fmt: skip
    assert frames[3]["data"] == {"reason": "caught up", "status": stopped.to_status_document()}
    assert hub.replay(3) is not None  # kept for replay like any event


async def test_replay_from_history_and_when_it_is_gone() -> None:
    hub = Hub(history=5)
    for n in range(8):
        hub.publish(event(n))
    assert hub.oldest == 4
    assert seqs(hub.replay(5) or []) == [6, 7, 8]
    assert hub.replay(8) == []
    assert seqs(hub.replay(3) or []) == [4, 5, 6, 7, 8]
    assert hub.replay(2) is None  # seq 3 is gone: resync
    assert hub.replay(9) is None  # from the future (an earlier run of the server): resync
    outbox = Outbox()
    assert hub.attach(outbox, 2) is None
    assert hub.subscribers == 0
    assert len(outbox) == 0
    assert hub.attach(outbox, 6, header=lambda n: [b'{"replayed": %d}' % n]) == 2
    assert next(json.loads(f) for f in await drain(outbox)) == {"replayed": 2}
    hub.publish(event(9))
    assert seqs(await drain(outbox)) == [9]
    longest = max(len(frame) for frame in hub.replay(6) or [])
    small = Outbox(limit=4 * longest + 1)
    assert hub.attach(small, 7) == 2  # two frames fit in half of the outbox
    assert hub.attach(Outbox(limit=small.limit), 6) is None  # three do not: resync instead


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 12), st.booleans(), st.integers(0, 20)), min_size=1, max_size=30
    )
)
async def test_reconnecting_with_since_never_gaps_or_duplicates(
    steps: list[tuple[int, bool, int]],
) -> None:
    """A client that reads some events, drops, and comes back with `since` sees every seq
    exactly once, in order, or is told to resync (and then continues without a gap); it is
    told to resync only when the events it missed are no longer kept."""
    history = 16
    hub = Hub(history=history)
    seen: list[int] = []
    outbox: Outbox | None = Outbox()
    hub.attach(outbox)
    for publish, reconnect, read in steps:
        for n in range(publish):
            hub.publish(event(n))
        if outbox is not None:
            frames = await drain(outbox)
            kept = frames[: read if reconnect else len(frames)]
            seen += seqs(kept)
            if reconnect:
                hub.detach(outbox)
                outbox = None
                continue
        if outbox is None:
            outbox = Outbox()
            since = seen[-1] if seen else 0
            if hub.attach(outbox, since) is None:
                assert hub.seq - since > history, f"resync with {hub.seq - since} missed"
                # resync: a snapshot stands for everything up to now
                seen += list(range(since + 1, hub.seq + 1))
                hub.attach(outbox, hub.seq)
    if outbox is not None:
        seen += seqs(await drain(outbox))
    assert seen == list(range(1, len(seen) + 1))


async def test_outbox_overflow_evicts_only_the_stalled_subscriber() -> None:
    hub = Hub()
    evicted: list[str] = []
    stalled = Outbox(limit=10_000, on_overflow=lambda: evicted.append("stalled"))
    reader = Outbox(limit=10_000, on_overflow=lambda: evicted.append("reader"))
    hub.attach(stalled)
    hub.attach(reader)
    for n in range(1000):
        hub.publish(event(n))
        if n % 10 == 0:
            await drain(reader)
        if evicted:
            assert stalled.queued_bytes == 0  # emptied at once
            break
    assert evicted == ["stalled"]
    assert stalled.closed
    assert stalled.overflowed
    assert hub.subscribers == 1
    assert stalled.peak_bytes > 10_000 > stalled.queued_bytes
    assert await stalled.take() is None
    before = hub.seq
    hub.publish(event(0))
    assert seqs(await drain(reader))[-1] == before + 1


async def test_outbox_counts_bytes_until_drained_and_allows_one_big_frame() -> None:
    outbox = Outbox(limit=100)
    assert outbox.push(b"x" * 500)  # one big snapshot alone is not "too slow"
    frames = await outbox.take()
    assert frames == [b"x" * 500]
    assert outbox.queued_bytes == 500  # taken, not yet written
    assert not outbox.push(b"y" * 10)  # ... so more on top overflows
    assert outbox.closed


class FakeStream:
    """An engine stream that reports lost events."""

    def __init__(self, events: list[tuple[Event, int]]) -> None:
        self._events = events
        self.dropped = 0
        self.closed = False

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        for item, dropped in self._events:
            self.dropped = dropped
            yield item
        await asyncio.Event().wait()

    async def close(self) -> None:
        self.closed = True


async def test_hub_pump_publishes_and_reports_lost_events() -> None:
    hub = Hub()
    gaps: list[int] = []
    hub.on_gap(lambda: gaps.append(hub.seq))
    stream = FakeStream([(event(1), 0), (event(2), 0), (TmuxUp(version="3.3a"), 5)])
    hub.start(stream)
    for _ in range(100):
        if hub.seq == 3:
            break
        await asyncio.sleep(0)
    assert hub.seq == 3
    assert gaps == [2]  # noticed before the event after the gap was published
    await hub.stop()
    assert stream.closed


# -- protocol -------------------------------------------------------------------------------------


def test_ops_partition_into_read_and_mutating() -> None:
    assert READ_OPS.isdisjoint(MUTATING_OPS)
    assert OPS == READ_OPS | MUTATING_OPS
    assert {"snapshot", "subscribe", "capture"} <= READ_OPS
    assert {"send", "keys", "spawn", "kill", "rename"} <= MUTATING_OPS


def test_requests_parse_into_typed_models() -> None:
    request = validate_request(
        read_envelope('{"type":"request","id":7,"op":"send","targets":["%3"],"text":"hi"}')
    )
    assert isinstance(request, SendRequest)
    assert (request.targets, request.text) == (["%3"], "hi")
    assert (request.enter, request.force) == (True, False)


@pytest.mark.parametrize(
    ("frame", "code", "request_id"),
    [
        ("{", "bad_request", None),
        ('"request"', "bad_request", None),
        ('{"type":"request","id":true,"op":"ping"}', "bad_request", None),
        ('{"type":"request","id":3}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"teleport"}', "unknown_op", 3),
        ('{"type":"request","id":3,"op":"ping","x":1}', "bad_request", 3),
        ('{"type":"request","id":"3","op":"ping"}', "bad_request", None),
        ('{"type":"request","id":3,"op":"capture","target":"%1","lines":"5"}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"capture","target":"%1","lines":0}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"kill","target":"main:0"}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"send","targets":"%1","text":"x"}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"subscribe","since":-1}', "bad_request", 3),
        ('{"type":"request","id":3,"op":"ping","n":NaN}', "bad_request", None),
        ("[" * 10_000 + "]" * 10_000, "bad_request", None),
    ],
)
def test_bad_frames_raise_protocol_errors(frame: str, code: str, request_id: int | None) -> None:
    with pytest.raises(ProtocolError) as info:
        validate_request(read_envelope(frame))
    assert (info.value.code, info.value.request_id) == (code, request_id)


def test_error_messages_are_short_and_do_not_echo_input() -> None:
    secret, key = "s3cr3t" * 10_000, "k" * 10_000
    frame = json.dumps({"type": "request", "id": 1, "op": "kill", "target": secret, key: 1})
    with pytest.raises(ProtocolError) as info:
        validate_request(read_envelope(frame))
    assert "s3cr3t" not in info.value.message  # values are never echoed
    assert "k" * 31 not in info.value.message  # client-chosen names are clipped
    assert len(info.value.message) <= 500
    assert "not a tmux id" in info.value.message


def test_docs_embed_the_current_schema() -> None:
    text = DOCS.read_text()
    assert schema_text() in text, "docs/protocol.md is stale: python -m tmuxorch.protocol"


# -- handshake checks -----------------------------------------------------------------------------


class Headers:
    def __init__(self, **values: str | list[str]) -> None:
        self._values = {
            k.lower().replace("_", "-"): v if isinstance(v, list) else [v]
            for k, v in values.items()
        }

    def get_all(self, key: str) -> list[str]:
        return self._values.get(key.lower(), [])


def test_loopback_hosts() -> None:
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback_host(host), host
    for host in ("0.0.0.0", "", "10.0.0.1", "example.com", "localhost.example.com", "::"):
        assert not is_loopback_host(host), host
    assert host_name("localhost:8765") == "localhost"
    assert host_name("[::1]:8765") == "::1"
    assert host_name("127.0.0.1") == "127.0.0.1"


def test_gatekeeper_checks_in_order(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as store:
        tokens = TokenStore(store)
        token, _ = tokens.create("ok", "read")
        clock = [0.0]
        gate = Gatekeeper(
            tokens, allowed_origins=["https://Dash.example"],
            limiter=FailureLimiter(2, 10.0, clock=lambda: clock[0]), penalty=0.0,
        )  # fmt: skip
        good = {"host": "127.0.0.1:1", "authorization": f"Bearer {token}", "upgrade": "websocket"}

        def admit(address: str = "1.2.3.4", **headers: str | list[str]) -> int:
            verdict = asyncio.run(gate.admit(Headers(**headers), address))
            return verdict.status if isinstance(verdict, Rejection) else 200

        assert admit(**good) == 200
        assert admit(**{**good, "authorization": f"bearer   {token}"}) == 200
        assert admit(**{**good, "upgrade": "WebSocket"}) == 200
        assert admit(**{**good, "origin": "https://dash.example"}) == 200
        assert admit(**{**good, "origin": "https://evil.example"}) == 403
        assert admit(**{**good, "origin": ["https://dash.example", "https://evil"]}) == 403
        assert admit(**{**good, "host": "evil.example"}) == 403
        assert admit(**{**good, "host": ["localhost", "evil.example"]}) == 403
        for _ in range(5):  # none of these is a guess: nothing is counted
            assert admit(**{**good, "upgrade": "h2c"}) == 426
            assert admit(**{k: v for k, v in good.items() if k != "upgrade"}) == 426
            assert admit(**{k: v for k, v in good.items() if k != "authorization"}) == 401
            assert admit(**{**good, "authorization": [f"Bearer {token}"] * 2}) == 401
        assert admit(**{**good, "authorization": "Bearer nope"}) == 401
        assert admit(**{**good, "authorization": "Bearer tmo_x.y"}) == 401  # 2nd guess
        assert admit(**{**good, "authorization": "Bearer tmo_x.z"}) == 429  # throttled
        assert admit(**good) == 200  # a valid token is never refused
        assert admit("5.6.7.8", **{**good, "authorization": "Bearer nope"}) == 401
        clock[0] += 11
        assert admit(**{**good, "authorization": "Bearer nope"}) == 401  # aged out


def test_failure_limiter_forgets_old_addresses() -> None:
    limiter = FailureLimiter(1, 60.0, clock=time.monotonic)
    for n in range(10_050):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) <= 10_000
    assert limiter.blocked("10.0.39.65") > 0
