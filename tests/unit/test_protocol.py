"""The wire protocol on its own (no server, no socket): every frame survives a round trip from
the server's encoder to the client's decoder, keys a newer server adds are accepted by the client
but a request with an unknown key is refused, the error table maps both ways, and the client's
reconnect backoff follows its schedule."""

from __future__ import annotations

import copy
import json
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from tmuxorch.client.link import backoff_delay
from tmuxorch.core.errors import (
    BadInputError,
    TargetNotFoundError,
    TmuxCommandError,
    TmuxorchError,
    TmuxUnavailableError,
)
from tmuxorch.core.events import (
    AgentStateChanged,
    Event,
    PaneAdded,
    PaneChanged,
    PaneClosed,
    PaneDied,
    Resynced,
    SessionAdded,
    SessionChanged,
    SessionClosed,
    SessionRenamed,
    TmuxDown,
    TmuxUp,
    WindowAdded,
    WindowChanged,
    WindowClosed,
    WindowRenamed,
)
from tmuxorch.core.models import (
    AgentInfo,
    Explanation,
    Pane,
    Receipt,
    Session,
    Snapshot,
    Spawned,
    TmuxInfo,
    Window,
)
from tmuxorch.core.schedules.records import Schedule, ScheduleList
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.core.tasks.records import Task, TaskList
from tmuxorch.protocol.errors import (
    ERROR_TABLE,
    ForbiddenError,
    ProtocolError,
    RemoteOperationError,
    UnsupportedError,
    code_for,
    exception_for,
)
from tmuxorch.protocol.frames import (
    PROTOCOL_VERSION,
    ErrorResponse,
    EventFrame,
    Hello,
    ResultResponse,
    decode_frame,
    error_frame,
    event_frame,
    hello_frame,
    read_event,
    read_result,
    response_frame,
    resync_frame,
)
from tmuxorch.protocol.requests import read_envelope, request_frame, validate_request
from tmuxorch.protocol.results import (
    RESULT_MODELS,
    CaptureResult,
    Empty,
    PingResult,
    ReceiptsResult,
    StatusDocument,
    SubscribeResult,
)


def fleet() -> Snapshot:
    pane = Pane(
        id="%1", index=0, active=True, pid=42, dead=False, dead_status=None, width=80, height=24,
        command="sh", cwd="/", agent=None, window_id="@1", session_id="$1",
    )  # fmt: skip
    window = Window(
        id="@1", index=0, name="w", active=True, kind="shell", panes=(pane,), activity=None,
        session_id="$1",
    )  # fmt: skip
    session = Session(
        id="$1", name="s", attached=False, attached_clients=0, created=1, windows=(window,)
    )
    return Snapshot(tmux=TmuxInfo(socket="/s", version="3.3a", running=True),
                    sessions=(session,), taken_at=1.0)  # fmt: skip


EVENTS: list[Event] = [
    SessionAdded(session_id="$1", name="s"),
    SessionClosed(session_id="$1", name="s"),
    SessionRenamed(session_id="$1", old_name="s", name="t"),
    WindowAdded(window_id="@1", session_id="$1", index=0, name="w"),
    WindowClosed(window_id="@1", session_id="$1", name="w"),
    WindowRenamed(window_id="@1", session_id="$1", old_name="w", name="v"),
    PaneAdded(pane_id="%1", window_id="@1", session_id="$1"),
    PaneClosed(pane_id="%1", window_id="@1", session_id="$1"),
    PaneDied(pane_id="%1", window_id="@1", session_id="$1", status=1),
    AgentStateChanged(
        pane_id="%1",
        window_id="@1",
        session_id="$1",
        kind="claude",
        state="busy",
        previous="idle",
        since=2.0,
    ),
    TmuxDown(reason="gone"),
    TmuxUp(version="3.3a"),
    Resynced(reason="lost events", snapshot=fleet()),
    SessionChanged(session_id="$1", attached=True, attached_clients=1, created=1),
    WindowChanged(
        window_id="@1", session_id="$1", index=1, active=False, kind="agent", activity=None
    ),
    PaneChanged(pane_id="%1", window_id="@1", session_id="$1", pane=fleet().panes_by_id["%1"]),
    # The added events with the objects they carry, as a watching engine sends them.
    SessionAdded(session_id="$1", name="s", session=fleet().sessions[0]),
    WindowAdded(
        window_id="@1", session_id="$1", index=0, name="w", window=fleet().windows_by_id["@1"]
    ),
    PaneAdded(pane_id="%1", window_id="@1", session_id="$1", pane=fleet().panes_by_id["%1"]),
]


def test_every_event_kind_is_covered_here() -> None:
    assert {type(e) for e in EVENTS} == set(get_args(Event))


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.event)
def test_every_event_survives_the_wire(event: Event) -> None:
    frame = decode_frame(event_frame(7, event))
    assert isinstance(frame, EventFrame)
    assert (frame.seq, frame.event) == (7, event.event)
    assert "event" not in frame.data  # the frame names it once
    assert read_event(frame) == event or isinstance(event, Resynced)
    if isinstance(event, Resynced):  # `at` is the client's: the frame carries what it replaces
        got = read_event(frame)
        assert isinstance(got, Resynced)
        assert (got.reason, got.snapshot) == (event.reason, event.snapshot)


def test_a_resync_frame_carries_the_status_document_and_reads_as_resynced() -> None:
    raw = json.loads(resync_frame(12, "the server restarted", fleet()))
    assert raw["event"] == "resync"
    assert raw["data"]["status"]["schema"] == "tmuxorch.status/1"
    assert raw["data"]["status"] == fleet().to_status_document()
    event = read_event(EventFrame.model_validate(raw))
    assert isinstance(event, Resynced)
    assert event.snapshot == fleet()
    assert type(event.snapshot) is Snapshot  # not the wire's subclass


def test_hello_round_trip_and_version() -> None:
    frame = decode_frame(hello_frame("read", "abc", 41))
    assert frame == Hello(scope="read", instance="abc", seq=41)
    assert isinstance(frame, Hello)
    assert frame.protocol == PROTOCOL_VERSION


SCHEDULE = Schedule(
    id=4, server="/tmp/tmux-1/default", targets=("%1", "%2"), text="status report, please",
    trigger=Trigger(kind="every", due=100.0, every=1800.0), created=50.0, next_due=1900.0,
    fires=1, last_fired=100.5, receipts=(Receipt(target="%1", status="delivered"),),
    remaining=("%2",),
)  # fmt: skip
TASK = Task(
    id=2, server="/tmp/tmux-1/default", text="write the docs", created=50.0, kind="claude",
    session="$1", agents=("%1",), priority=3, state="running", agent="%1", dispatched=60.0,
    receipts=(Receipt(target="%1", status="delivered", confirmed="screen"),),
)  # fmt: skip
RESULTS: dict[str, Any] = {
    "snapshot": StatusDocument.of(fleet()),
    "subscribe": SubscribeResult(seq=3, replayed=1, resync=False),
    "unsubscribe": Empty(),
    "send": ReceiptsResult(receipts=[Receipt(target="%1", status="delivered")]),
    "keys": ReceiptsResult(receipts=[Receipt(target="%1", status="failed", detail="gone")]),
    "interrupt": ReceiptsResult(receipts=[]),
    "capture": CaptureResult(target="%1", lines=5, text="hello\n\ud800"),  # a lone surrogate
    "explain": Explanation(
        pane_id="%1",
        agent=AgentInfo(kind="claude", state="busy", source="hook", reason="hook Stop"),
        screen_state="idle",
        screen_reason="no screen rule matched",
        region=("❯ ",),
        title="✳ Claude Code",
        hook="claude Stop 5.0",
    ),
    "spawn": Spawned(session_id="$1", window_id="@1", pane_id="%1"),
    "kill": Empty(),
    "rename": Empty(),
    "ping": PingResult(time=5.0, seq=12),
    "schedule.add": SCHEDULE,
    "schedule.list": ScheduleList(schedules=(SCHEDULE,), running=True),
    "schedule.cancel": SCHEDULE.model_copy(update={"state": "cancelled", "ended": 9.0}),
    "queue.add": TASK,
    "queue.list": TaskList(tasks=(TASK,), paused=False, running=True),
    "queue.cancel": TASK.model_copy(update={"state": "cancelled", "finished": 9.0}),
    "queue.pause": TaskList(tasks=(), paused=True, running=False),
    "queue.resume": TaskList(tasks=(), paused=False, running=False),
}


@pytest.mark.parametrize("op", sorted(RESULT_MODELS))
def test_every_result_survives_the_wire(op: str) -> None:
    result = RESULTS[op]
    assert type(result) is RESULT_MODELS[op]
    frame = decode_frame(response_frame(9, result))
    assert isinstance(frame, ResultResponse)
    assert frame.id == 9
    assert read_result(RESULT_MODELS[op], frame.result) == result


def test_the_snapshot_result_is_the_status_document() -> None:
    raw = json.loads(response_frame(1, StatusDocument.of(fleet())))
    assert raw["result"] == fleet().to_status_document()
    assert read_result(StatusDocument, raw["result"]).snapshot() == fleet()


def test_error_frames_round_trip_with_or_without_an_id() -> None:
    for request_id in (3, None):
        frame = decode_frame(error_frame(request_id, "forbidden", "no"))
        assert isinstance(frame, ErrorResponse)
        assert (frame.id, frame.ok, frame.error.code, frame.error.message) == (
            request_id, False, "forbidden", "no",
        )  # fmt: skip


def test_keys_from_a_newer_server_are_accepted_by_the_client() -> None:
    hello = json.loads(hello_frame("control", "i", 0)) | {"tmux_version": "3.9"}
    assert decode_frame(json.dumps(hello)) == Hello(scope="control", instance="i", seq=0)

    document = fleet().to_status_document()
    newer = copy.deepcopy(document)
    newer["future"] = 1
    newer["tmux"]["pid"] = 7
    newer["sessions"][0]["windows"][0]["panes"][0]["colour"] = "red"
    given = copy.deepcopy(newer)
    response = {"type": "response", "id": 1, "ok": True, "result": newer, "elapsed": 0.1}
    frame = decode_frame(json.dumps(response))
    assert isinstance(frame, ResultResponse)
    assert read_result(StatusDocument, frame.result).snapshot() == fleet()
    assert newer == given  # the document itself is left as it was

    event = {"type": "event", "seq": 4, "event": "tmux_up", "data": {"at": 1.0,
             "version": "3.3a", "pid": 9}, "origin": "x"}  # fmt: skip
    frame = decode_frame(json.dumps(event))
    assert isinstance(frame, EventFrame)
    assert read_event(frame) == TmuxUp(at=1.0, version="3.3a")

    receipts = {"receipts": [{"target": "%1", "status": "delivered", "detail": "", "ms": 3}]}
    assert read_result(ReceiptsResult, receipts).receipts == [
        Receipt(target="%1", status="delivered")
    ]


def test_an_unknown_event_name_is_skipped_and_a_bad_frame_refused() -> None:
    frame = decode_frame('{"type":"event","seq":1,"event":"from_the_future","data":{}}')
    assert isinstance(frame, EventFrame)
    assert read_event(frame) is None
    with pytest.raises(ValidationError):
        decode_frame('{"type":"event","seq":"one","event":"tmux_up","data":{}}')
    with pytest.raises(ValidationError):
        read_result(StatusDocument, {**fleet().to_status_document(), "sessions": "nope"})


def test_the_same_unknown_keys_are_refused_everywhere_but_the_client() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        StatusDocument.model_validate({**fleet().to_status_document(), "future": 1})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Receipt.model_validate({"target": "%1", "status": "delivered", "ms": 3})
    request = '{"type": "request", "id": 4, "op": "kill", "target": "%1", "force": true}'
    with pytest.raises(ProtocolError) as info:
        validate_request(read_envelope(request))
    assert (info.value.code, info.value.request_id) == ("bad_request", 4)
    assert "force: unknown parameter" in info.value.message


def test_the_client_sends_only_requests_the_server_would_parse() -> None:
    frame = request_frame(5, "send", {"targets": ["%1"], "text": "hi", "enter": False})
    request = validate_request(read_envelope(frame))
    assert (request.id, request.op) == (5, "send")
    for params, problem in (
        ({"target": "%1", "colour": True}, "colour: unknown parameter"),
        ({"target": "main"}, "target: not a pane id"),
        ({"target": "%1", "lines": 0}, "lines: Input should be greater than or equal to 1"),
    ):
        with pytest.raises(BadInputError, match=problem):
            request_frame(6, "capture", params)
        with pytest.raises(ProtocolError, match=problem):  # the server says the same
            validate_request(read_envelope(json.dumps({"type": "request", "id": 6,
                                                       "op": "capture", **params})))  # fmt: skip


# -- the error table -------------------------------------------------------------------------


@pytest.mark.parametrize("row", ERROR_TABLE, ids=lambda row: row.code)
def test_the_error_table_maps_both_ways(row: Any) -> None:
    raised = exception_for(row.code, "the message")
    assert isinstance(raised, TmuxorchError)
    assert "the message" in str(raised)
    if row.caught is not None:
        assert isinstance(raised, row.caught)  # the client raises what the server caught
        assert code_for(raised) == (row.code, str(raised))  # and it maps back to its code


def test_error_codes_give_the_core_exceptions_and_exit_statuses() -> None:
    cases: list[tuple[str, type[TmuxorchError], int]] = [
        ("bad_request", BadInputError, 2),
        ("unknown_op", BadInputError, 2),
        ("not_found", TargetNotFoundError, 2),
        ("forbidden", ForbiddenError, 1),
        ("tmux_unavailable", TmuxUnavailableError, 3),
        ("unsupported", UnsupportedError, 1),
        ("failed", RemoteOperationError, 1),
        ("internal", RemoteOperationError, 1),
        ("from_a_newer_server", RemoteOperationError, 1),
    ]
    for code, cls, exit_code in cases:
        raised = exception_for(code, "m")
        assert isinstance(raised, cls), code
        assert raised.exit_code == exit_code, code
    assert "scope control" in str(exception_for("forbidden", "kill changes tmux"))
    assert str(exception_for("internal", "x")) == "the server failed: x"


def test_the_server_names_core_errors_and_hides_internal_ones() -> None:
    assert code_for(ProtocolError("unknown_op", "nope", 3)) == ("unknown_op", "nope")
    assert code_for(TargetNotFoundError("%3")) == ("not_found", "no such target: '%3'")
    assert code_for(BadInputError("bad")) == ("bad_request", "bad")
    assert code_for(TmuxUnavailableError("down")) == ("tmux_unavailable", "down")
    assert code_for(TmuxCommandError("kill-window", "can't find window: @9")) == (
        "not_found", "no such window: @9",
    )  # fmt: skip
    assert code_for(TmuxCommandError("kill-pane", "can't find pane: %4")) == (
        "not_found", "no such pane: %4",
    )  # fmt: skip
    assert code_for(TmuxCommandError("new-window", "index in use")) == (
        "failed", "tmux new-window: index in use",
    )  # fmt: skip
    assert code_for(TmuxorchError("it broke")) == ("failed", "it broke")
    code, message = code_for(KeyError("secret internals"))
    assert code == "internal"
    assert "secret" not in message
    assert "KeyError" in message


# -- reconnecting ----------------------------------------------------------------------------


def test_backoff_doubles_from_the_first_delay_up_to_the_cap() -> None:
    assert [backoff_delay(n, 0.2, 5.0) for n in range(7)] == [
        0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0,
    ]  # fmt: skip
    assert backoff_delay(0) == 0.2
    assert backoff_delay(10_000, 0.2, 5.0) == 5.0  # no overflow, however long it has been
    assert [backoff_delay(n, 0.05, 0.3) for n in range(4)] == [0.05, 0.1, 0.2, 0.3]


def test_changes_take_a_request_id_and_a_response_may_say_it_was_not_audited() -> None:
    frame = request_frame(1, "kill", {"target": "%1", "request_id": "3f2a-uuid_1.x:y"})
    assert validate_request(read_envelope(frame)).request_id == "3f2a-uuid_1.x:y"  # type: ignore[union-attr]
    with pytest.raises(BadInputError, match="request_id: 1 to 64 letters, digits or"):
        request_frame(1, "send", {"targets": ["%1"], "text": "x", "request_id": "a b"})
    with pytest.raises(BadInputError, match="request_id: unknown parameter"):
        request_frame(1, "snapshot", {"request_id": "r1"})  # reads need none
    audited = decode_frame(response_frame(4, Empty(), "kill ran but is not in the audit log: x"))
    assert isinstance(audited, ResultResponse)
    assert audited.audit == "kill ran but is not in the audit log: x"
    assert "audit" not in json.loads(response_frame(4, Empty()))
