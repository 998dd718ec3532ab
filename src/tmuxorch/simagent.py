"""A simulated AI coding agent: a small terminal program that looks and reacts like Claude Code.

Why it exists: tmuxorch's promises (see DESIGN.md) are about agents — telling busy from idle from
waiting-for-approval by reading the screen, and delivering a message so that it is submitted exactly
once. Testing that against real agent CLIs needs network access, accounts and money, and their
behaviour changes from release to release. This program reproduces the parts that matter, on cue
and deterministically, with nothing but the standard library:

- an idle prompt box at the bottom, with the cursor inside it right after the typed text;
- a busy spinner line containing ``esc to interrupt`` for ``--busy`` seconds after each message;
- a numbered approval question when a message contains the ``--approval-cue`` word;
- interrupts (Escape / Ctrl-C), a queue for messages sent while busy, a crash on ``--crash``;
- the quirk of real agent CLIs that lose an Enter arriving in the same read as text
  (``--drop-enter``);
- a JSON-lines log of every message received (``--log``), so tests can check exact bytes and
  "submitted exactly once".

Tests, ``tmuxorch demo`` and the benchmarks run it as ``python -m tmuxorch.simagent [options]``.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import random
import select
import signal
import sys
import termios
import time
import tty
import unicodedata
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import IO, Literal

# --- the screen strings tmuxorch's detection patterns rely on -------------------------------------

HINT_LINE = "  ? for shortcuts"
PROMPT_PREFIX = "│ > "
CONTINUATION_PREFIX = "│   "
BUSY_FORMAT = "{glyph} Working… ({seconds}s · esc to interrupt)"
SPINNER_GLYPHS = "·✢✳✶✻✽"
APPROVAL_QUESTION = "Do you want to proceed with this action?"
APPROVAL_CHOICES = ("1. Yes", "2. No, and tell the agent what to do differently")
REPLY_PREFIX = "● Received:"
DECLINED_LINE = "● Declined."
INTERRUPTED_LINE = "⎿ Interrupted by user"
QUEUED_LINE = "  (queued)"
EXIT_HINT_LINE = "(press Ctrl-C again to exit)"
CRASH_CUE = "--crash"
CRASH_LINE = "Error: simulated crash"

ESC = "\x1b"
PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
BRACKETED_PASTE_ON = "\x1b[?2004h"
BRACKETED_PASTE_OFF = "\x1b[?2004l"

ESCAPE_WAIT = 0.05  # a lone ESC at the end of a read is the Escape key if nothing follows soon
SPINNER_INTERVAL = 0.2
DOUBLE_CTRL_C = 2.0
DEMO_APPROVAL_WAIT = 20.0  # --state-cycle: approve by itself when nobody answers
MAX_PENDING_SEQUENCE = 64
MIN_WIDTH = 12

DEMO_TASKS = (
    "refactor the config loader",
    "add tests for the parser",
    "fix the flaky integration test",
    "update the README examples",
    "profile the hot loop in the renderer",
    "rename the legacy helpers",
    "review the open pull request",
    "bump dependencies and rerun the suite",
)


# --- input ---------------------------------------------------------------------------------------

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


# --- output --------------------------------------------------------------------------------------


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def printable(text: str) -> str:
    """Text safe to write to the terminal: control characters (but tab) become U+FFFD."""
    return "".join(
        "\ufffd" if unicodedata.category(ch) == "Cc" and ch != "\t" else ch for ch in text
    )


def wrap(text: str, width: int) -> list[str]:
    """Split one line into chunks of at most `width` columns (an empty line is one empty chunk)."""
    chunks, current, used = [], "", 0
    for ch in text:
        w = char_width(ch)
        if used + w > width and current:
            chunks.append(current)
            current, used = "", 0
        current += ch
        used += w
    chunks.append(current)
    return chunks


@dataclass(frozen=True)
class Bottom:
    """The live area under the conversation: lines, and where the cursor goes (row, column)."""

    lines: tuple[str, ...]
    cursor_row: int
    cursor_col: int


def box_area(text: str, cols: int) -> Bottom:
    """The prompt box with `text` in it, the hint under it, and the cursor after the text."""
    inner = cols - 6  # "│ > " before, " │" after
    rows: list[str] = []
    last = 0
    for n, line in enumerate(text.split("\n")):
        for k, chunk in enumerate(wrap(printable(line).replace("\t", " "), inner)):
            prefix = PROMPT_PREFIX if n == 0 and k == 0 else CONTINUATION_PREFIX
            last = text_width(chunk)
            rows.append(prefix + chunk + " " * (inner - last) + " │")
    top = "╭" + "─" * (cols - 2) + "╮"
    bottom = "╰" + "─" * (cols - 2) + "╯"
    return Bottom((top, *rows, bottom, HINT_LINE), len(rows), len(PROMPT_PREFIX) + last)


class Screen:
    """Prints conversation lines and redraws the live bottom area below them.

    Writes bytes straight to the file descriptor (raw mode: lines end with CR LF). Remembers the
    widths of the bottom area it drew so it can move back up and erase it, even after the terminal
    got narrower and rewrapped those lines.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.cols = terminal_width(fd)
        self._widths: list[int] = []
        self._cursor: tuple[int, int] = (0, 0)

    def write(self, text: str) -> None:
        data = text.encode("utf-8", errors="replace")
        while data:
            data = data[os.write(self.fd, data) :]

    def draw(self, lines: list[str], bottom: Bottom | None) -> None:
        out = [self._erase()]
        out.extend(printable(line) + "\r\n" for line in lines)
        if bottom is not None:
            out.append(self._place(bottom))
        self.write("".join(out))

    def _rows(self, width: int) -> int:
        return max(1, -(-width // self.cols))

    def _erase(self) -> str:
        row, col = self._cursor
        up = sum(self._rows(w) for w in self._widths[:row]) + col // self.cols
        self._widths, self._cursor = [], (0, 0)
        # Clear the top row, then from its 2nd column down: tmux scrolls the whole screen into
        # history on an erase-below from the top-left corner (option scroll-on-clear).
        return "\r" + (f"\x1b[{up}A" if up else "") + "\x1b[K\x1b[C\x1b[J\r"

    def _place(self, bottom: Bottom) -> str:
        self._widths = [text_width(line) for line in bottom.lines]
        self._cursor = (bottom.cursor_row, bottom.cursor_col)
        up = len(bottom.lines) - 1 - bottom.cursor_row
        move = (f"\x1b[{up}A" if up else "") + "\r"
        move += f"\x1b[{bottom.cursor_col}C" if bottom.cursor_col else ""
        return "\r\n".join(bottom.lines) + move


def terminal_width(fd: int) -> int:
    try:
        cols = os.get_terminal_size(fd).columns
    except OSError:
        cols = 80
    return max(MIN_WIDTH, cols or 80)


# --- the agent -----------------------------------------------------------------------------------


class Mode(Enum):
    IDLE = "idle"
    BUSY = "busy"
    APPROVAL = "approval"


@dataclass(frozen=True)
class Job:
    text: str
    busy: float
    approval: bool
    auto: bool = False


class Quit(Exception):
    """Leave the main loop with this exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Options:
    name: str | None
    busy: float
    log: Path | None
    approval_cue: str
    drop_enter: bool
    state_cycle: bool
    seed: int | None


class Agent:
    """The state machine: idle → (approval →) busy → reply → idle, with a queue and interrupts."""

    def __init__(self, options: Options, fd_in: int, screen: Screen) -> None:
        self.opts = options
        self.fd_in = fd_in
        self.screen = screen
        self.parser = InputParser()
        self.mode = Mode.IDLE
        self.input = ""
        self.queue: deque[Job] = deque()
        self.job: Job | None = None
        self.busy_since = 0.0
        self.choice = 0
        self.approval_since = 0.0
        self.last_ctrl_c: float | None = None
        self.received = 0
        self.lines: list[str] = []
        self.dirty = True
        self.drawn_spinner = ""
        self.escape_deadline: float | None = None
        self.resized = False
        self.rng = random.Random(options.seed)
        self.next_auto = time.monotonic() + self.rng.uniform(1.0, 4.0)
        self.log: IO[str] | None = None

    # -- output helpers

    def say(self, *lines: str) -> None:
        self.lines.extend(lines)
        self.dirty = True

    def bottom(self, now: float) -> Bottom:
        if self.mode is Mode.APPROVAL:
            return self.approval_area()
        area = box_area(self.input, self.screen.cols)
        if self.mode is Mode.BUSY:
            extra = (self.spinner(now), "")
            return Bottom(extra + area.lines, area.cursor_row + 2, area.cursor_col)
        return area

    def approval_area(self) -> Bottom:
        marks = ["❯ " if n == self.choice else "  " for n in range(len(APPROVAL_CHOICES))]
        choices = tuple(m + c for m, c in zip(marks, APPROVAL_CHOICES, strict=True))
        lines = (APPROVAL_QUESTION, *choices)
        return Bottom(lines, len(lines) - 1, text_width(lines[-1]))

    def spinner(self, now: float) -> str:
        elapsed = now - self.busy_since
        glyph = SPINNER_GLYPHS[int(elapsed / SPINNER_INTERVAL) % len(SPINNER_GLYPHS)]
        return BUSY_FORMAT.format(glyph=glyph, seconds=int(elapsed))

    def render(self, now: float) -> None:
        spinner = self.spinner(now) if self.mode is Mode.BUSY else ""
        if not self.dirty and spinner == self.drawn_spinner:
            return
        self.screen.draw(self.lines, self.bottom(now))
        self.lines, self.dirty, self.drawn_spinner = [], False, spinner

    # -- messages and jobs

    def submit(self, text: str, now: float) -> None:
        self.received += 1
        self.write_log(text)
        job = Job(text, self.opts.busy, self.opts.approval_cue in text)
        if self.mode is Mode.IDLE:
            self.start(job, now)
        else:
            self.queue.append(job)
            self.say(QUEUED_LINE)

    def write_log(self, text: str) -> None:
        if self.log is not None:
            record = {"n": self.received, "text": text, "t": time.time()}
            self.log.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.log.flush()

    def start(self, job: Job, now: float) -> None:
        first, *rest = job.text.split("\n")
        self.say("> " + first, *("  " + line for line in rest))
        if CRASH_CUE in job.text:
            self.say(CRASH_LINE)
            raise Quit(1)
        self.job = job
        if job.approval:
            self.mode, self.choice, self.approval_since = Mode.APPROVAL, 0, now
        else:
            self.mode, self.busy_since = Mode.BUSY, now

    def finish(self, now: float) -> None:
        assert self.job is not None
        first, *rest = self.job.text.split("\n")
        if rest:
            self.say(REPLY_PREFIX, *("  " + line for line in [first, *rest]), "")
        else:
            self.say(f"{REPLY_PREFIX} {first}", "")
        self.to_idle(now)

    def to_idle(self, now: float) -> None:
        self.mode, self.job = Mode.IDLE, None
        self.dirty = True
        self.next_auto = now + self.rng.uniform(2.0, 6.0)
        if self.queue:
            self.start(self.queue.popleft(), now)

    def interrupt(self, now: float) -> None:
        self.queue.clear()
        self.say(INTERRUPTED_LINE, "")
        self.to_idle(now)

    def answer(self, yes: bool, now: float) -> None:
        if yes:
            self.mode, self.busy_since = Mode.BUSY, now
            self.dirty = True
        else:
            self.say(DECLINED_LINE, "")
            self.to_idle(now)

    # -- keys

    def handle_chunk(self, events: list[Event], now: float) -> None:
        typed = False
        for event in events:
            if event.kind == "enter" and typed and self.opts.drop_enter:
                continue  # emulate a CLI that loses an Enter arriving with the text
            typed = typed or (event.kind in ("text", "paste") and bool(event.text))
            self.handle(event, now)

    def handle(self, event: Event, now: float) -> None:
        if self.mode is Mode.APPROVAL:
            self.handle_approval(event, now)
        else:
            self.handle_prompt(event, now)

    def handle_approval(self, event: Event, now: float) -> None:
        if event.kind == "text":
            # Key by key, as a menu reads them: one read may hold more than the answer (a slow
            # reader gets what was typed meanwhile); the keys after the answer go to the prompt.
            for n, ch in enumerate(event.text):
                if ch in ("1", "2"):
                    self.answer(ch == "1", now)
                    if event.text[n + 1 :]:
                        self.handle(Event("text", event.text[n + 1 :]), now)
                    return
        elif event.kind == "enter":
            self.answer(self.choice == 0, now)
        elif event.kind == "escape":
            self.answer(False, now)
        elif event.kind == "interrupt":
            self.interrupt(now)
        elif event.kind in ("up", "down"):
            self.choice = 0 if event.kind == "up" else 1
            self.dirty = True

    def handle_prompt(self, event: Event, now: float) -> None:
        if event.kind in ("text", "paste"):
            self.input += event.text
        elif event.kind == "backspace":
            self.input = self.input[:-1]
        elif event.kind == "enter":
            if self.input:
                text, self.input = self.input, ""
                self.submit(text, now)
        elif event.kind == "escape":
            self.escape(now)
        elif event.kind == "interrupt":
            self.ctrl_c(now)
        self.dirty = True

    def escape(self, now: float) -> None:
        if self.mode is Mode.BUSY:
            self.interrupt(now)
        else:
            self.input = ""

    def ctrl_c(self, now: float) -> None:
        if self.mode is Mode.BUSY:
            self.interrupt(now)
        elif self.input:
            self.input = ""
        elif self.last_ctrl_c is not None and now - self.last_ctrl_c < DOUBLE_CTRL_C:
            raise Quit(0)
        else:
            self.last_ctrl_c = now
            self.say(EXIT_HINT_LINE)

    # -- time

    def tick(self, now: float) -> None:
        if self.resized:
            self.resized = False
            self.screen.cols = terminal_width(self.screen.fd)
            self.dirty = True
        job = self.job
        if self.mode is Mode.BUSY and job and now - self.busy_since >= job.busy:
            self.finish(now)
        elif self.mode is Mode.APPROVAL and job and job.auto and now >= self.approval_deadline():
            self.answer(True, now)  # nobody answered the demo: go ahead
        elif self.demo_due(now):
            self.start(self.demo_job(), now)

    def approval_deadline(self) -> float:
        return self.approval_since + DEMO_APPROVAL_WAIT

    def demo_due(self, now: float) -> bool:
        idle = self.mode is Mode.IDLE and not self.input and not self.queue
        return self.opts.state_cycle and idle and now >= self.next_auto

    def demo_job(self) -> Job:
        text = self.rng.choice(DEMO_TASKS)
        return Job(text, self.rng.uniform(2.0, 8.0), self.rng.random() < 0.15, auto=True)

    def timeout(self, now: float) -> float | None:
        deadlines: list[float] = []
        if self.escape_deadline is not None:
            deadlines.append(self.escape_deadline)
        if self.mode is Mode.BUSY and self.job:
            deadlines += [now + SPINNER_INTERVAL, self.busy_since + self.job.busy]
        elif self.mode is Mode.APPROVAL and self.job and self.job.auto:
            deadlines.append(self.approval_deadline())
        elif self.opts.state_cycle and self.mode is Mode.IDLE:
            deadlines.append(self.next_auto)
        return max(0.0, min(deadlines) - now) if deadlines else None

    # -- main loop

    def header(self) -> str:
        name = f" ({self.opts.name})" if self.opts.name else ""
        return f"✻ simagent{name} — tmuxorch simulated agent"

    def run(self, wakeup_fd: int) -> int:
        self.say(self.header(), "")
        try:
            while True:
                now = time.monotonic()
                self.render(now)
                self.wait(wakeup_fd, self.timeout(now))
        except Quit as stop:
            self.screen.draw(self.lines, None)
            return stop.status

    def wait(self, wakeup_fd: int, timeout: float | None) -> None:
        ready, _, _ = select.select([self.fd_in, wakeup_fd], [], [], timeout)
        now = time.monotonic()
        if wakeup_fd in ready:
            with contextlib.suppress(OSError):
                os.read(wakeup_fd, 512)
        if self.fd_in in ready:
            self.read_input(now)
        elif self.escape_deadline is not None and now >= self.escape_deadline:
            self.escape_deadline = None
            self.handle_chunk(self.parser.flush(), now)
        self.tick(now)

    def read_input(self, now: float) -> None:
        try:
            data = os.read(self.fd_in, 4096)
        except OSError:  # EIO: the terminal went away
            data = b""
        if not data:
            raise Quit(0)
        self.handle_chunk(self.parser.feed(data), now)
        self.escape_deadline = now + ESCAPE_WAIT if self.parser.pending else None


# --- process setup -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="tmuxorch-simagent",
        description="A simulated AI coding agent for tmuxorch's tests, demo and benchmarks.",
    )
    parser.add_argument("--name", help="shown in the header line")
    parser.add_argument("--busy", type=float, default=2.0, help="seconds of work per message")
    parser.add_argument("--log", type=Path, help="append each received message as a JSON line")
    parser.add_argument("--approval-cue", default="APPROVE", help="word that asks for approval")
    parser.add_argument("--drop-enter", action="store_true", help="lose Enter sent with text")
    parser.add_argument("--state-cycle", action="store_true", help="give itself demo tasks")
    parser.add_argument("--seed", type=int, help="seed for --state-cycle")
    args = parser.parse_args(argv)
    if args.busy < 0:
        parser.error("--busy must be >= 0")
    return Options(
        name=args.name,
        busy=args.busy,
        log=args.log,
        approval_cue=args.approval_cue,
        drop_enter=args.drop_enter,
        state_cycle=args.state_cycle,
        seed=args.seed,
    )


@contextlib.contextmanager
def terminal(fd_in: int, fd_out: int) -> Iterator[None]:
    """Raw mode and bracketed paste for the duration; restored however we leave."""
    saved = termios.tcgetattr(fd_in) if os.isatty(fd_in) else None
    try:
        if saved is not None:
            tty.setraw(fd_in, termios.TCSANOW)  # TCSANOW: keep keys typed before we started
        with contextlib.suppress(OSError):
            os.write(fd_out, BRACKETED_PASTE_ON.encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.write(fd_out, BRACKETED_PASTE_OFF.encode())
        if saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def signals(agent: Agent) -> Iterator[int]:
    """SIGTERM/SIGHUP leave cleanly; SIGWINCH redraws. Yields a fd that wakes select()."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Quit(128 + signum)

    def resize(_signum: int, _frame: FrameType | None) -> None:
        agent.resized = True

    previous = signal.set_wakeup_fd(write_end)
    handlers = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, stop),
        signal.SIGINT: signal.signal(signal.SIGINT, stop),
        signal.SIGWINCH: signal.signal(signal.SIGWINCH, resize),
    }
    try:
        yield read_end
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    agent = Agent(options, fd_in, Screen(fd_out))
    log = options.log.open("a", encoding="utf-8") if options.log else None
    try:
        agent.log = log
        with terminal(fd_in, fd_out), signals(agent) as wakeup_fd:
            try:
                return agent.run(wakeup_fd)
            except Quit as stop:  # a signal outside run()'s own handler
                return stop.status
    finally:
        if log is not None:
            log.close()


if __name__ == "__main__":
    raise SystemExit(main())
