"""What clients send: one request model per op, validated in two steps.

`{"type": "request", "id": 7, "op": "snapshot", ...}`: parameters sit beside `op`; all models
are one discriminated union validated by one TypeAdapter (`REQUEST_ADAPTER`). The server parses
in two steps so that it can check the token's scope on the op *before* anything else about the
request is looked at (`read_envelope`, then `validate_request`). Every problem is a
`ProtocolError` carrying an error code; nothing a client sends can raise anything else out of
this module. Requests are strict: JSON types are taken as they are and unknown parameters are
errors, whatever a newer client might send. The client builds its requests with `request_frame`,
checked against these same models before they are sent.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import from_json

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import MAX_CAPTURE_LINES
from tmuxorch.core.restart_policy import RestartPolicy
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.protocol.errors import ProtocolError
from tmuxorch.protocol.scopes import OPS

MAX_ID = 2**53 - 1
"""Request ids are integers that survive a round trip through a JavaScript number."""
MAX_TARGETS = 1000
MAX_ARGV = 1000
MAX_ENV = 200

_NUMBER = r"(?:0|[1-9][0-9]{0,8})"  # as tmux prints it: no sign, no leading zero
_PANE_ID = rf"^%{_NUMBER}$"
_NAMED_ID = rf"^[@$]{_NUMBER}$"
_ANY_ID = rf"^[%@$]{_NUMBER}$"
_SESSION_ID = rf"^\${_NUMBER}$"
_CLIENT_ID = r"^[A-Za-z0-9._:-]{1,64}$"
_ID_PROBLEMS = {
    _PANE_ID: "not a pane id: give %N (resolve names to ids with a snapshot first)",
    _NAMED_ID: "not a window or session id: give @N or $N",
    _ANY_ID: "not a tmux id: give %N, @N or $N",
    _SESSION_ID: "not a session id: give $N",
    _CLIENT_ID: "1 to 64 letters, digits or . _ : -",
}
PaneId = Annotated[str, StringConstraints(pattern=_PANE_ID)]
"""Targets from clients are tmux ids, checked for their form before tmux sees them."""
NamedId = Annotated[str, StringConstraints(pattern=_NAMED_ID)]
AnyId = Annotated[str, StringConstraints(pattern=_ANY_ID)]
RequestId = Annotated[int, Field(ge=0, le=MAX_ID)]
Targets = Annotated[list[PaneId], Field(min_length=1, max_length=MAX_TARGETS)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
KeyName = Annotated[str, StringConstraints(min_length=1, max_length=32)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")]
ClientRequestId = Annotated[str, StringConstraints(pattern=_CLIENT_ID)]
"""A client's name for one change it asks for (a UUID, say), sent again with a retry."""


class _Model(BaseModel):
    # strict: JSON types are taken as they are (no "7" for 7, no true for 1); extra keys are
    # errors, so a misspelt parameter is reported instead of silently ignored.
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


class _Request(_Model):
    type: Literal["request"]
    id: RequestId


class _Change(_Request):
    """A request that changes tmux. `request_id` makes it safe to send again: a repeat of the
    same `request_id` from the same token within the server's reply window (see docs/protocol.md)
    gets the first one's answer, waiting for it if it is still running, instead of acting
    twice."""

    request_id: ClientRequestId | None = None


class SnapshotRequest(_Request):
    """The whole fleet: the result is the `tmuxorch.status/1` document."""

    op: Literal["snapshot"]
    activity: bool = False


class SubscribeRequest(_Request):
    """Start receiving events. With `since` (the last seq seen), missed events are replayed or,
    when they are no longer kept (or `instance` names an earlier server run), a `resync` event
    carries a fresh snapshot."""

    op: Literal["subscribe"]
    since: Annotated[int, Field(ge=0, le=MAX_ID)] | None = None
    instance: ShortText | None = None


class UnsubscribeRequest(_Request):
    op: Literal["unsubscribe"]


class SendRequest(_Change):
    """Type `text` into each pane and submit it once (`enter`); agents awaiting approval or
    showing a screen tmuxorch does not recognise are skipped unless `force`."""

    op: Literal["send"]
    targets: Targets
    text: Annotated[str, StringConstraints(min_length=1)]
    enter: bool = True
    force: bool = False


class KeysRequest(_Change):
    """Press named keys (`C-c`, `Escape`, `Enter`…) in each pane."""

    op: Literal["keys"]
    targets: Targets
    keys: Annotated[list[KeyName], Field(min_length=1, max_length=100)]


class InterruptRequest(_Change):
    """Interrupt each agent the way its CLI expects (Escape or C-c)."""

    op: Literal["interrupt"]
    targets: Targets


class CaptureRequest(_Request):
    """The last `lines` lines of a pane, sanitised (`colours` keeps SGR colour sequences)."""

    op: Literal["capture"]
    target: PaneId
    lines: Annotated[int, Field(ge=1, le=MAX_CAPTURE_LINES)] = 50
    colours: bool = False


class ExplainRequest(_Request):
    """Why an agent pane is in its state: the verdict's source and reason, the screen region."""

    op: Literal["explain"]
    target: PaneId


class SpawnRequest(_Change):
    """Run `command` (an argv) in a new window of `session`, tagged as an agent of `kind`,
    started in `cwd` (an existing absolute directory on the server's host, `~` its home) with
    `env` added to its environment; `fleet` labels the window as started by that fleet file."""

    op: Literal["spawn"]
    session: ShortText
    name: ShortText | None = None
    kind: ShortText | None = None
    command: Annotated[list[str], Field(min_length=1, max_length=MAX_ARGV)]
    restart: RestartPolicy | None = None
    cwd: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    env: Annotated[dict[EnvName, str], Field(max_length=MAX_ENV)] | None = None
    fleet: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None


class KillRequest(_Change):
    """Kill a pane (%N), window (@N) or session ($N)."""

    op: Literal["kill"]
    target: AnyId


class RenameRequest(_Change):
    """Rename a window (@N) or session ($N)."""

    op: Literal["rename"]
    target: NamedId
    name: ShortText


class ScheduleAddRequest(_Change):
    """Send `text` to each pane later, when `trigger` says (a time, an interval, a cron line,
    an agent being idle); the trigger is checked as `schedule add` checks it."""

    op: Literal["schedule.add"]
    targets: Targets
    text: Annotated[str, StringConstraints(min_length=1)]
    trigger: Trigger


class ScheduleListRequest(_Request):
    """The fleet's schedules: pending and ended in the last day (`everything`: all)."""

    op: Literal["schedule.list"]
    everything: bool = False


class ScheduleCancelRequest(_Change):
    """Cancel a pending schedule by its number."""

    op: Literal["schedule.cancel"]
    schedule: Annotated[int, Field(ge=1, le=MAX_ID)]


class QueueAddRequest(_Change):
    """Queue `text` for the next idle agent of `kind`, in `session`, among `agents` (each
    only when given); higher `priority` first."""

    op: Literal["queue.add"]
    text: Annotated[str, StringConstraints(min_length=1)]
    kind: ShortText | None = None
    session: Annotated[str, StringConstraints(pattern=_SESSION_ID)] | None = None
    agents: Annotated[list[PaneId], Field(max_length=MAX_TARGETS)] = []
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0


class QueueListRequest(_Request):
    """The fleet's queue: open tasks and those ended in the last day (`everything`: all)."""

    op: Literal["queue.list"]
    everything: bool = False


class QueueCancelRequest(_Change):
    """Cancel a pending task by its number."""

    op: Literal["queue.cancel"]
    task: Annotated[int, Field(ge=1, le=MAX_ID)]


class QueuePauseRequest(_Change):
    """Stop (`queue.pause`) or go on (`queue.resume`) handing out tasks."""

    op: Literal["queue.pause", "queue.resume"]


class PingRequest(_Request):
    op: Literal["ping"]


Request = Annotated[
    SnapshotRequest
    | SubscribeRequest
    | UnsubscribeRequest
    | SendRequest
    | KeysRequest
    | InterruptRequest
    | CaptureRequest
    | ExplainRequest
    | SpawnRequest
    | KillRequest
    | RenameRequest
    | ScheduleAddRequest
    | ScheduleListRequest
    | ScheduleCancelRequest
    | QueueAddRequest
    | QueueListRequest
    | QueueCancelRequest
    | QueuePauseRequest
    | PingRequest,
    Field(discriminator="op"),
]
REQUEST_ADAPTER: TypeAdapter[Request] = TypeAdapter(Request)


class Envelope:
    """A frame decoded far enough to know its id and op (and so to check the scope)."""

    __slots__ = ("id", "op", "raw")

    def __init__(self, request_id: int | None, op: str, raw: dict[str, Any]) -> None:
        self.id = request_id
        self.op = op
        self.raw = raw


def _clip(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_envelope(data: str | bytes) -> Envelope:
    """Decode a frame and find its id and op; ProtocolError if it is not a request."""
    if isinstance(data, bytes):
        raise ProtocolError("bad_request", "binary frames are not accepted: send JSON as text")
    try:
        raw = from_json(data, allow_inf_nan=False)
    except ValueError as exc:
        raise ProtocolError("bad_request", f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_request", "a frame must be a JSON object")
    candidate = raw.get("id")
    request_id = (
        candidate
        if type(candidate) is int and 0 <= candidate <= MAX_ID  # not bool, not float
        else None
    )
    if raw.get("type") != "request":
        raise ProtocolError(
            "bad_request", 'clients send requests: {"type": "request", "id": N, "op": ...}',
            request_id,
        )  # fmt: skip
    op = raw.get("op")
    if not isinstance(op, str):
        raise ProtocolError("bad_request", "the request has no op (a string)", request_id)
    if op not in OPS:
        raise ProtocolError(
            "unknown_op", f"unknown op {_clip(op)}: one of {', '.join(sorted(OPS))}", request_id
        )
    return Envelope(request_id, op, raw)


def validate_request(envelope: Envelope) -> Request:
    """The full request, every field checked; ProtocolError(`bad_request`) saying what is
    wrong otherwise."""
    try:
        return REQUEST_ADAPTER.validate_python(envelope.raw)
    except ValidationError as exc:
        raise ProtocolError("bad_request", describe(exc), envelope.id) from None


def request_frame(request_id: int, op: str, params: dict[str, Any]) -> str:
    """A request as the client sends it, checked against the same models the server parses
    with: a parameter this protocol does not state fails here, loudly, as BadInputError with
    the message the server would answer."""
    raw = {"type": "request", "id": request_id, "op": op, **params}
    try:
        REQUEST_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        raise BadInputError(describe(exc)) from None
    return json.dumps(raw)


def describe(exc: ValidationError) -> str:
    """A ValidationError as `field: problem; ...`, short, never echoing the input back."""
    parts: list[str] = []
    errors = exc.errors(include_url=False, include_input=False)
    for error in errors[:5]:
        # The first loc item is the union tag (the op); the rest is the field path, whose names
        # may come from the client: clipped.
        path = ".".join(_clip_name(str(item)) for item in error["loc"][1:]) or "request"
        message = str(error["msg"])
        if error["type"] == "extra_forbidden":
            message = "unknown parameter"
        elif error["type"] == "string_pattern_mismatch":
            message = _ID_PROBLEMS.get(str(error.get("ctx", {}).get("pattern")), message)
        parts.append(f"{path}: {message}")
    if len(errors) > 5:
        parts.append(f"and {len(errors) - 5} more")
    text = "; ".join(parts)
    return text if len(text) <= 500 else text[:497] + "..."


def _clip_name(name: str) -> str:
    return name if len(name) <= 30 else name[:27] + "..."
