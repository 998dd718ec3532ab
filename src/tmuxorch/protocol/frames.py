"""The frames the server sends, their encoding (server) and their decoding (client).

The server sends `hello` (first), `response` (one per request: a result or an error) and
`event` frames; a `resync` is an event frame whose data carries the whole fleet. Both ends use
these models: the server builds a frame and encodes it once (an event frame is shared by every
subscriber), the client decodes it with `decode_frame`, which accepts keys a newer server may add
(core's LENIENT validation context) and refuses frames that lack what this version needs.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Discriminator, Tag, TypeAdapter

from tmuxorch import __version__
from tmuxorch.core.events import EVENT_TYPES, Event, Resynced
from tmuxorch.core.frozen import LENIENT, Frozen, frozen_model
from tmuxorch.core.models import Snapshot
from tmuxorch.protocol.errors import ErrorCode
from tmuxorch.protocol.results import StatusDocument
from tmuxorch.protocol.scopes import Scope

PROTOCOL_VERSION = 1
"""The version this tmuxorch speaks; the server says its own in the hello, the client checks it."""
SERVER_NAME = f"tmuxorch {__version__}"
RESYNC = "resync"
"""The event name of a resync frame."""
_LENIENT = {LENIENT: True}


@frozen_model
class Hello(Frozen):
    """The server's first frame. `instance` identifies this run of the server (seqs restart at
    1 in each run); `seq` is the last event seq so far."""

    type: Literal["hello"] = "hello"
    protocol: int = PROTOCOL_VERSION
    server: str = SERVER_NAME
    scope: Scope
    instance: str
    seq: int


@frozen_model
class ErrorInfo(Frozen):
    code: ErrorCode
    message: str


@frozen_model
class ResultResponse(Frozen):
    """The answer to the request with the same `id`: it ran, and `result` is the op's result
    model (see `results` in the schema)."""

    type: Literal["response"] = "response"
    id: int | None
    ok: Literal[True] = True
    result: dict[str, Any]
    audit: str | None = None
    """Present only when the change ran but could not be written to the server's audit log:
    why. `result` still says what happened in tmux (a send it reports delivered was typed);
    do not repeat the request because of this."""


@frozen_model
class ErrorResponse(Frozen):
    """The answer to the request with the same `id` (null when the id could not be read): it
    did not run, `error` says why."""

    type: Literal["response"] = "response"
    id: int | None
    ok: Literal[False] = False
    error: ErrorInfo


@frozen_model
class EventFrame(Frozen):
    """An event; `data` is the core event without its `event` key (see `events` in the schema),
    or for `resync`, a ResyncData."""

    type: Literal["event"] = "event"
    seq: int
    event: str
    data: dict[str, Any]


@frozen_model
class ResyncData(Frozen):
    """The data of a `resync` event: the fleet now, replacing whatever the client had; events
    with higher seqs follow (some may repeat changes the snapshot already shows: apply them by
    id)."""

    reason: str
    status: StatusDocument


def _frame_kind(frame: Any) -> str | None:
    """Which frame model a decoded frame is: a response by its `ok`."""
    if isinstance(frame, dict):
        kind, ok = frame.get("type"), frame.get("ok")
    else:
        kind, ok = getattr(frame, "type", None), getattr(frame, "ok", None)
    if kind == "response":
        return "result" if ok is True else "error"
    return kind if isinstance(kind, str) else None


ServerFrame = Annotated[
    Annotated[Hello, Tag("hello")]
    | Annotated[ResultResponse, Tag("result")]
    | Annotated[ErrorResponse, Tag("error")]
    | Annotated[EventFrame, Tag("event")],
    Discriminator(_frame_kind),
]
SERVER_FRAME_ADAPTER: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)

# -- encoding (server) ----------------------------------------------------------------------------


def encode(frame: dict[str, Any]) -> bytes:
    """One frame as compact UTF-8 JSON (sent as a text frame)."""
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate (undecodable pane text): escape it instead
        return json.dumps(frame, separators=(",", ":"), allow_nan=False).encode()


_SERIALIZERS: dict[type[Frozen], TypeAdapter[Any]] = {}


def _dumped(model: Frozen, exclude: set[str] | None = None) -> dict[str, Any]:
    """`model` as JSON values by pydantic's serializer: the same values as `Frozen.plain()`
    (a test holds the two together), in a third less time for a big snapshot, and the server
    has pydantic loaded anyway."""
    adapter = _SERIALIZERS.get(type(model))
    if adapter is None:
        adapter = _SERIALIZERS[type(model)] = TypeAdapter(type(model))
    dumped: dict[str, Any] = adapter.dump_python(model, mode="json", exclude=exclude)
    return dumped


def _carrying(frame: Frozen, key: str, payload: Frozen | dict[str, Any]) -> bytes:
    """`frame` (built with an empty `key`) encoded with `payload` dumped under `key`: the
    payload, a whole snapshot perhaps, is walked once instead of again inside the frame."""
    dumped = _dumped(frame)
    dumped[key] = payload if isinstance(payload, dict) else _dumped(payload)
    return encode(dumped)


def hello_frame(scope: Scope, instance: str, seq: int) -> bytes:
    return encode(_dumped(Hello(scope=scope, instance=instance, seq=seq)))


def response_frame(request_id: int | None, result: Frozen, audit: str | None = None) -> bytes:
    """The response carrying an op's result model (and, when it could not be audited, why)."""
    dumped = _dumped(ResultResponse.model_construct(id=request_id, result={}))
    if audit is None:
        del dumped["audit"]  # said only when there is something to say
    else:
        dumped["audit"] = audit
    dumped["result"] = _dumped(result)
    return encode(dumped)


def error_frame(request_id: int | None, code: ErrorCode, message: str) -> bytes:
    error = ErrorInfo(code=code, message=message)
    return encode(_dumped(ErrorResponse(id=request_id, error=error)))


def event_frame(seq: int, event: Event) -> bytes:
    """The frame of a core event; a core `Resynced` becomes a resync frame."""
    if isinstance(event, Resynced):
        return resync_frame(seq, event.reason, event.snapshot)
    frame = EventFrame.model_construct(seq=seq, event=event.event, data={})
    return _carrying(frame, "data", _dumped(event, exclude={"event"}))


def resync_frame(seq: int, reason: str, snapshot: Snapshot) -> bytes:
    """A resync event: the fleet as `snapshot` shows it, covering events up to `seq`."""
    data = ResyncData.model_construct(reason=reason, status=StatusDocument.of(snapshot))
    return _carrying(EventFrame.model_construct(seq=seq, event=RESYNC, data={}), "data", data)


# -- decoding (client) ----------------------------------------------------------------------------

M = TypeVar("M", bound=Frozen)


def decode_frame(message: str | bytes) -> ServerFrame:
    """A frame from the server (ValueError, e.g. pydantic's ValidationError, if it is not one);
    keys this version does not know are dropped. Parsed by `json` rather than pydantic's parser,
    which refuses the `\\udXXX` escapes of a lone surrogate in pane text (see `encode`)."""
    return SERVER_FRAME_ADAPTER.validate_python(json.loads(message), context=_LENIENT)


def read_result(model: type[M], result: dict[str, Any]) -> M:
    """A response's result as the op's result model, keys this version does not know dropped."""
    return model.model_validate(result, context=_LENIENT)


def read_event(frame: EventFrame) -> Event | None:
    """The core event an event frame carries (a resync: `Resynced` with its snapshot), or None
    for an event this version does not know."""
    if frame.event == RESYNC:
        data = read_result(ResyncData, frame.data)
        return Resynced(reason=data.reason, snapshot=data.status.snapshot())
    cls = EVENT_TYPES.get(frame.event)
    if cls is None:
        return None
    event: Event = cls.model_validate(frame.data, context=_LENIENT)  # type: ignore[assignment]
    return event
