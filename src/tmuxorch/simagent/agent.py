"""The simulated agent's state machine: idle → (approval →) busy → reply → idle, with a queue for
messages sent while busy, interrupts, a crash on cue, the demo's self-given tasks, and the log of
every message received (what tests check "submitted exactly once" against).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from tmuxorch.simagent.keys import Event, InputParser
from tmuxorch.simagent.modes import EnterLoss, Quirks
from tmuxorch.simagent.screen import (
    APPROVAL_CHOICES,
    APPROVAL_QUESTION,
    BUSY_FORMAT,
    CRASH_LINE,
    DECLINED_LINE,
    EXIT_HINT_LINE,
    INTERRUPTED_LINE,
    QUEUED_LINE,
    REPLY_PREFIX,
    SPINNER_GLYPHS,
    Bottom,
    Screen,
    box_area,
    terminal_width,
    text_width,
)

CRASH_CUE = "--crash"
ESCAPE_WAIT = 0.05  # a lone ESC at the end of a read is the Escape key if nothing follows soon
SPINNER_INTERVAL = 0.2
DOUBLE_CTRL_C = 2.0
DEMO_APPROVAL_WAIT = 20.0  # --state-cycle: approve by itself when nobody answers

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
    quirks: Quirks
    state_cycle: bool
    seed: int | None


class Agent:
    """The state machine: idle → (approval →) busy → reply → idle, with a queue and interrupts."""

    def __init__(self, options: Options, fd_in: int, screen: Screen) -> None:
        self.opts = options
        self.fd_in = fd_in
        self.screen = screen
        self.parser = InputParser()
        self.enter_loss = EnterLoss(options.quirks)
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
        for event in self.enter_loss.kept(events):
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
            if self.input or self.opts.quirks.show_submits:
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
            if self.opts.quirks.read_delay:  # a slow reader: what arrives meanwhile comes too
                time.sleep(self.opts.quirks.read_delay)
                now = time.monotonic()
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
