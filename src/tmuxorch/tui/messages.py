"""Every message the TUI's widgets and dialogs post up to the app, in one place.

Widgets never call the backend: they say what the user asked for, the app acts, and sets the
results back down as attributes ("attributes down, messages up").
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class RowHighlighted(Message):
    """The cursor of the fleet table moved to the row of this session, window or pane id."""

    row_id: str


class AttachRequested(Message):
    """The user pressed Enter on the row under the cursor: attach to it."""


@dataclass
class SendRequested(Message):
    """The send dialog wants `text` sent to these panes."""

    targets: list[str]
    text: str


@dataclass
class BroadcastRequested(Message):
    """The broadcast dialog wants `text` sent to the agents its filters chose."""

    targets: list[str]
    text: str


@dataclass
class FilterChanged(Message):
    """The tree filter text changed."""

    text: str
