"""The protocol's JSON schema, generated from the models both ends use; docs/protocol.md embeds
it (a test fails when that copy is stale) and `python -m tmuxorch.protocol` prints it."""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import TypeAdapter

from tmuxorch.core.events import Event, Resynced
from tmuxorch.protocol.frames import PROTOCOL_VERSION, SERVER_FRAME_ADAPTER, ResyncData
from tmuxorch.protocol.requests import REQUEST_ADAPTER
from tmuxorch.protocol.results import results_schema


def _wire_events_schema() -> dict[str, Any]:
    """The core events as event frames carry them: a resync has its own data (ResyncData)."""
    choices = tuple(cls for cls in get_args(Event) if cls is not Resynced)
    union: Any = choices[0]
    for cls in choices[1:]:
        union = union | cls
    return TypeAdapter(union).json_schema()


def json_schema() -> dict[str, Any]:
    """The whole protocol: requests, server frames, each op's result, events and resync."""
    return {
        "protocol": PROTOCOL_VERSION,
        "request": REQUEST_ADAPTER.json_schema(),
        "server_frame": SERVER_FRAME_ADAPTER.json_schema(),
        "results": results_schema(),
        "events": _wire_events_schema(),
        "resync": TypeAdapter(ResyncData).json_schema(mode="serialization"),
    }


def schema_text() -> str:
    """json_schema() formatted as it appears in docs/protocol.md."""
    return json.dumps(json_schema(), indent=2, sort_keys=True)
