"""Splitting tmux control-mode output into reply blocks and notifications.

Kept apart from the process plumbing in control.py so it can be fed any chunking of any bytes
in tests. A reply block is `%begin T N F`, the reply's lines, then `%end T N F` or `%error T N F`
with the *same* tag: captured pane text inside a block may hold a line that looks like `%end`.

Why not line by line: a 500-pane listing is a 500-line block, and per-line Python work (a call,
prefix checks, a decode) cost about as much as parsing the listing. Inside a block the framer
only searches the buffer for the block's own end line, then decodes and splits the whole reply
at once; it remembers how far it searched, so a reply arriving in many chunks is scanned once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_BEGIN = b"%begin "
_END_PREFIXES = (b"%end", b"%error")


@dataclass(frozen=True, slots=True)
class Notification:
    """A control-mode notification line: `%name args...`."""

    name: str
    args: str


BlockHandler = Callable[[bool, bool, list[str]], None]
"""Called with (ours, ok, lines) for each complete reply block. `ours` is tmux's flag for a
reply to a command this client sent (as opposed to the reply to its own attach)."""


class ControlFramer:
    """Feed it bytes as they arrive; it calls back once per block and once per notification."""

    def __init__(
        self, on_block: BlockHandler, on_notification: Callable[[Notification], None]
    ) -> None:
        self._on_block = on_block
        self._on_notification = on_notification
        self._buffer = bytearray()
        self._tag_suffix: bytes | None = None  # b" T N F\n" while inside a block
        self._ours = False
        self._scanned = 0  # inside a block: bytes already searched for its end line

    def feed(self, data: bytes) -> None:
        """Consume `data`, dispatching everything it completes; keeps any partial line."""
        self._buffer += data
        while self._step():
            pass

    def _step(self) -> bool:
        """Dispatch one block or one line from the buffer; False when more bytes are needed."""
        if self._tag_suffix is not None:
            return self._finish_block(self._tag_suffix)
        newline = self._buffer.find(b"\n")
        if newline < 0:
            return False
        line = bytes(self._buffer[:newline])
        del self._buffer[: newline + 1]
        if line.startswith(_BEGIN):
            self._tag_suffix = b" " + line[len(_BEGIN) :] + b"\n"
            self._ours = line.endswith(b" 1")
            self._scanned = 0
        elif line.startswith(b"%"):
            name, _, args = line[1:].decode("utf-8", "replace").partition(" ")
            self._on_notification(Notification(name, args))
        return True

    def _finish_block(self, suffix: bytes) -> bool:
        buffer = self._buffer
        start = self._scanned
        while (hit := buffer.find(suffix, start)) >= 0:
            line_start = buffer.rfind(b"\n", 0, hit) + 1
            if bytes(buffer[line_start:hit]) in _END_PREFIXES:
                ok = buffer[line_start + 1 : line_start + 4] == b"end"
                body = buffer[: line_start - 1].decode("utf-8", "replace") if line_start else None
                del buffer[: hit + len(suffix)]
                self._tag_suffix = None
                self._on_block(self._ours, ok, [] if body is None else body.split("\n"))
                return True
            start = hit + 1
        # Resume where a suffix could still start once more bytes arrive.
        self._scanned = max(0, len(buffer) - len(suffix) + 1)
        return False
