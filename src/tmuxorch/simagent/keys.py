"""Keys from the terminal: raw bytes read by the simulated agent, turned into events.

Its own module because the parser keeps state across reads (a UTF-8 sequence, an escape sequence
or a bracketed paste split between two reads) and is tested alone, without a terminal.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Literal

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
MAX_PENDING_SEQUENCE = 64

EventKind = Literal["text", "paste", "enter", "backspace", "escape", "interrupt", "up", "down"]


@dataclass(frozen=True)
class Event:
    """One key (or run of typed text, or one whole bracketed paste) read from the terminal."""

    kind: EventKind
    text: str = ""


def _is_text(ch: str) -> bool:
    return ch == "\t" or ch == "\n" or (ch >= " " and ch != "\x7f")


def _partial_suffix(buf: str, marker: str) -> int:
    """Length of the longest end of `buf` that is the start of `marker` (split across reads)."""
    for size in range(min(len(buf), len(marker) - 1), 0, -1):
        if marker.startswith(buf[-size:]):
            return size
    return 0


def _normalise_paste(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


CONTROL_EVENTS: dict[str, EventKind] = {
    "\r": "enter",
    "\x7f": "backspace",
    "\x08": "backspace",
    "\x03": "interrupt",
}
CSI_EVENTS: dict[str, EventKind] = {"\x1b[A": "up", "\x1b[B": "down"}


class InputParser:
    """Turns raw bytes from the terminal into events.

    Keeps state between reads: an incomplete UTF-8 sequence, an incomplete escape sequence, and a
    bracketed paste that has not ended yet. Invalid UTF-8 becomes U+FFFD.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buf = ""
        self._paste: list[str] | None = None

    @property
    def pending(self) -> bool:
        """True when a lone ESC or a partial sequence waits for more input (outside a paste)."""
        return self._paste is None and (bool(self._buf) or bool(self._decoder.getstate()[0]))

    def feed(self, data: bytes) -> list[Event]:
        self._buf += self._decoder.decode(data)
        return self._parse(final=False)

    def flush(self) -> list[Event]:
        """Nothing followed within ESCAPE_WAIT: a lone ESC is the Escape key; drop partials."""
        self._buf += self._decoder.decode(b"", final=True)
        return self._parse(final=True)

    def _parse(self, final: bool) -> list[Event]:
        events: list[Event] = []
        buf, i = self._buf, 0
        while i < len(buf):
            step = self._step(buf, i, final, events)
            if step == 0:
                break
            i += step
        self._buf = buf[i:]
        return events

    def _step(self, buf: str, i: int, final: bool, events: list[Event]) -> int:
        """Consume input at `buf[i]`; return how many characters were used (0 = wait for more)."""
        if self._paste is not None:
            return self._step_paste(buf, i, events)
        ch = buf[i]
        if ch == ESC:
            return self._step_escape(buf, i, final, events)
        if _is_text(ch):
            end = i
            while end < len(buf) and _is_text(buf[end]):
                end += 1
            events.append(Event("text", buf[i:end]))
            return end - i
        kind = CONTROL_EVENTS.get(ch)
        if kind is not None:
            events.append(Event(kind))
        return 1  # other control characters are ignored

    def _step_paste(self, buf: str, i: int, events: list[Event]) -> int:
        assert self._paste is not None
        end = buf.find(PASTE_END, i)
        if end < 0:
            keep = _partial_suffix(buf[i:], PASTE_END)
            self._paste.append(buf[i : len(buf) - keep])
            return len(buf) - keep - i
        self._paste.append(buf[i:end])
        events.append(Event("paste", _normalise_paste("".join(self._paste))))
        self._paste = None
        return end + len(PASTE_END) - i

    def _step_escape(self, buf: str, i: int, final: bool, events: list[Event]) -> int:
        if i + 1 >= len(buf):
            if final:
                events.append(Event("escape"))
                return 1
            return 0
        if buf[i + 1] != "[":
            events.append(Event("escape"))
            return 1
        end = i + 2
        while end < len(buf) and "\x20" <= buf[end] <= "\x3f":
            end += 1
        if end >= len(buf):  # the sequence has not ended yet
            too_long = end - i > MAX_PENDING_SEQUENCE
            return end - i if (final or too_long) else 0
        if not "\x40" <= buf[end] <= "\x7e":  # malformed: drop the introducer, keep the rest
            return end - i
        self._csi(buf[i : end + 1], events)
        return end + 1 - i

    def _csi(self, sequence: str, events: list[Event]) -> None:
        if sequence == PASTE_START:
            self._paste = []
        elif sequence in CSI_EVENTS:
            events.append(Event(CSI_EVENTS[sequence]))
        # anything else (function keys, focus reports, a stray paste end) is ignored
