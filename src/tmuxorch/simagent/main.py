"""The simulated agent as a process: its options, raw mode and bracketed paste on its terminal,
and signals (SIGTERM/SIGHUP leave cleanly, SIGWINCH redraws)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from tmuxorch.simagent.agent import Agent, Options, Quit
from tmuxorch.simagent.modes import Quirks
from tmuxorch.simagent.screen import Screen

BRACKETED_PASTE_ON = "\x1b[?2004h"
BRACKETED_PASTE_OFF = "\x1b[?2004l"


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="tmuxorch-simagent",
        description="A simulated AI coding agent for tmuxorch's tests, demo and benchmarks.",
    )
    parser.add_argument("--name", help="shown in the header line")
    parser.add_argument("--busy", type=float, default=2.0, help="seconds of work per message")
    parser.add_argument("--log", type=Path, help="append each received message as a JSON line")
    parser.add_argument("--approval-cue", default="APPROVE", help="word that asks for approval")
    parser.add_argument(
        "--drop-enter", action="store_true", help="lose an Enter that comes in one read with text"
    )
    parser.add_argument(
        "--drop-first-enters", type=int, default=0, metavar="N",
        help="lose the first N Enter keys, whenever they come",
    )  # fmt: skip
    parser.add_argument(
        "--show-submits", action="store_true",
        help="every Enter at the prompt submits, an empty prompt too (logged and shown)",
    )  # fmt: skip
    parser.add_argument(
        "--read-delay", type=float, default=0.0, metavar="S",
        help="read input S seconds after it arrived (a slow reader)",
    )  # fmt: skip
    parser.add_argument("--state-cycle", action="store_true", help="give itself demo tasks")
    parser.add_argument("--seed", type=int, help="seed for --state-cycle")
    args = parser.parse_args(argv)
    for option in ("busy", "drop_first_enters", "read_delay"):
        if getattr(args, option) < 0:
            parser.error(f"--{option.replace('_', '-')} must be >= 0")
    return Options(
        name=args.name,
        busy=args.busy,
        log=args.log,
        approval_cue=args.approval_cue,
        quirks=Quirks(
            drop_enter_with_text=args.drop_enter,
            drop_first_enters=args.drop_first_enters,
            show_submits=args.show_submits,
            read_delay=args.read_delay,
        ),
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
