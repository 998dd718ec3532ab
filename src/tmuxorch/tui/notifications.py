"""The TUI notifies too (it watches its tmux server): the channels of `[notify]` plus its own,
the terminal, which rings the bell and sends an OSC 9 and an OSC 777 notification.

Terminals turn those into desktop notifications (OSC 9: iTerm2, kitty, WezTerm, Ghostty, foot,
Windows Terminal; OSC 777: VTE terminals such as GNOME Terminal, foot, WezTerm); `osc` in the
config picks which are sent, for a terminal that would show both. Inside tmux ($TMUX set) an
OSC would stop at tmux, so each is wrapped in tmux's DCS passthrough (`ESC P tmux; … ESC \\`,
every ESC inside doubled), which tmux ≥ 3.3 forwards only with `allow-passthrough on`; the bell
goes as it is, and tmux rings the terminal per its `bell-action`.

Only text we wrote reaches the terminal: the event's words come from an agent's screen, so
control characters are taken out and `;` (OSC 777's field separator) replaced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from textual.app import App

from tmuxorch.core.backend import Backend
from tmuxorch.core.events import Event
from tmuxorch.core.models import Snapshot
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.notifier import Channel, Notification, Notifier
from tmuxorch.usecases.notify_channels import channels

BEL = "\a"
ESC = "\x1b"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    return _CONTROL.sub(" ", text).replace(";", ",")


def passthrough(sequence: str) -> str:
    """`sequence` wrapped for tmux to pass to the outer terminal (needs allow-passthrough)."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ESC}\\"


def sequences(title: str, body: str, *, bell: bool, osc: tuple[int, ...], inside_tmux: bool) -> str:
    """What the terminal is sent for one notification."""
    title, body = _plain(title), _plain(body)
    found = {9: f"{ESC}]9;{title}: {body}{BEL}", 777: f"{ESC}]777;notify;{title};{body}{BEL}"}
    wrap = passthrough if inside_tmux else str
    return (BEL if bell else "") + "".join(wrap(found[number]) for number in osc)


def terminal_channel(app: App[None], config: NotifyConfig) -> Channel:
    """Writes `sequences` through Textual's driver (as `App.bell` does), so the bytes never
    split one of Textual's own updates."""
    inside_tmux = bool(os.environ.get("TMUX"))

    async def send(notification: Notification) -> None:
        driver = app._driver  # no public raw write in Textual: App.bell uses this
        if app.is_headless or driver is None:
            return
        driver.write(
            sequences(
                notification.title, notification.body, bell=config.bell,
                osc=tuple(config.osc), inside_tmux=inside_tmux,
            )
        )  # fmt: skip

    return Channel("terminal", send)


class AgentNotifications:
    """The app's notifier, fed through the two callbacks the app gives its fleet feed (`events`,
    `fleet`): the first fleet shown times the agents already waiting."""

    def __init__(self, app: App[None], backend: Backend, config: NotifyConfig | None) -> None:
        self._notifier: Notifier | None = None
        self._seeded = False
        self._store = Store()  # opened on the first claim
        if config is not None:
            found = channels(config, terminal=terminal_channel(app, config))
            notifier = Notifier(
                config, backend, self._store, found,
                report=lambda line: app.notify(line, severity="warning", timeout=8),
            )  # fmt: skip
            self._notifier = notifier if notifier.active else None

    def events(self, then: Callable[[Event], None]) -> Callable[[Event], None]:
        def each(event: Event) -> None:
            if self._notifier is not None:
                self._notifier.feed(event)
            then(event)

        return each

    def fleet(self, then: Callable[[Snapshot], None]) -> Callable[[Snapshot], None]:
        def shown(fleet: Snapshot) -> None:
            if self._notifier is not None and not self._seeded:
                self._seeded = True
                self._notifier.seed(fleet)
            then(fleet)

        return shown

    async def close(self) -> None:
        if self._notifier is not None:
            await self._notifier.close()
        self._store.close()
