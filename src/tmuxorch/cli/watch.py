"""`tmuxorch watch`: a small foreground watcher for people who run neither the TUI nor `serve`.

While it runs, its engine keeps `@tmuxorch-status` current for `status-right`
(core/status_segment.py), and it prints each agent state change as one line on stdout. It runs
the event stream until SIGINT, SIGTERM or SIGHUP (cli.main stops watching commands through
their `finally`), so its control client leaves tmux the regular way and the option is unset.

Each event goes through `REACTIONS`, then the notifier (`[notify]` in the config,
usecases/notifier.py): a desktop notification, a hook command, a webhook for an agent that has
waited long enough; a failed channel is one line on stderr.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from tmuxorch.core.backend import Backend
    from tmuxorch.core.events import Event

SHOWN = frozenset({"agent_state", "tmux_down", "tmux_up"})
"""The events a line is printed for: state changes, and tmux itself going and coming."""


def print_line(event: Event) -> None:
    """One timestamped line per shown event, as `tmuxorch events` words it."""
    if event.event not in SHOWN:
        return
    from tmuxorch.cli.render import event_line

    _console().print(event_line(event))
    sys.stdout.flush()


@functools.cache
def _console() -> Console:
    from tmuxorch.cli.render import make_console

    return make_console()


REACTIONS: tuple[Callable[[Event], None], ...] = (print_line,)
"""What the watcher does with each event, in order."""


def _report(line: str) -> None:
    print(f"tmuxorch watch: {line}", file=sys.stderr, flush=True)


async def cmd_watch(_args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.core.store.config import load_settings
    from tmuxorch.core.store.store import Store
    from tmuxorch.usecases.notifier import Notifier
    from tmuxorch.usecases.notify_channels import channels
    from tmuxorch.usecases.runner import start_runner, stop_runner

    config = load_settings().notify
    store = Store()  # opened on the first claim: a watcher that notifies nothing never opens it
    notifier = Notifier(config, backend, store, channels(config), report=_report)
    subscription = await backend.subscribe()
    scheduling = start_runner(backend, _report)
    if notifier.active:  # the agents already waiting when we start count too
        notifier.seed(await backend.snapshot())
    print(
        f"tmuxorch watch: watching {backend.label}; state changes follow, and the summary is "
        "kept in @tmuxorch-status (Ctrl-C stops)",
        file=sys.stderr, flush=True,
    )  # fmt: skip
    try:
        async for event in subscription:
            for react in REACTIONS:
                react(event)
            notifier.feed(event)
    finally:
        await stop_runner(scheduling)
        await notifier.close()
        await subscription.close()
        store.close()
    return 0
