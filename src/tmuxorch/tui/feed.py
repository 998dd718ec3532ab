"""The TUI's model of the fleet: listed once the event stream is on, then kept exact from the
events alone (`core.live.apply`).

A burst of events costs no listing, and applying keeps the objects of everything an event did
not touch, so the fleet table redraws only the rows that changed. The fleet is listed again only
when the stream is (back) on, when an event arrives with no model to apply it to or while a
listing is on its way (that listing may or may not hold the change: one more follows it), when
an event does not carry what it added (a peer older than this one), or when the stream says we
fell behind and lost events (`dropped`). A resync event carries its own snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.app import App

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import Event, TmuxDown, TmuxUp
from tmuxorch.core.live import IncompleteEventError, apply
from tmuxorch.core.models import Snapshot
from tmuxorch.tui.link_status import LinkStatus

RETRY = 1.0
"""Seconds between attempts to get the event stream back."""


@dataclass(eq=False)
class FleetFeed:
    """Runs the listing and the stream in the app's workers; `show` gets each new model, `log`
    each event."""

    app: App[None]
    backend: Backend
    link: LinkStatus
    show: Callable[[Snapshot], None]
    log: Callable[[Event], None]
    fleet: Snapshot | None = None
    listing: bool = False
    """A listing is on its way (it runs again at once when asked for meanwhile)."""
    _stale: bool = False
    _show_due: bool = False
    _unlogged: list[Event] = field(default_factory=list)
    _shown: Snapshot | None = None
    _screen_up: asyncio.Event = field(default_factory=asyncio.Event)

    def follow(self) -> None:
        """Follow the event stream (which lists the fleet once it is on). Called before the
        screen is up: subscribing (a control client's start, the first listing) runs while
        the screen is built, and the stream is read once `screen_up()` says it can be shown."""
        self.app.run_worker(self._follow(), group="events", exclusive=True)

    def screen_up(self) -> None:
        """The screen the feed shows into is mounted."""
        self._screen_up.set()

    def refresh(self) -> None:
        """List the fleet now, or right after the listing in flight."""
        self._stale = True
        if not self.listing:
            self.listing = True
            self.app.run_worker(self._list(), group="refresh")

    async def _list(self) -> None:
        try:
            while self._stale:
                self._stale = False
                try:
                    self._set(await self.backend.snapshot())
                except TmuxorchError as exc:
                    self.link.snapshot_failed(exc)
                    return
                self.link.snapshot_taken()
        finally:
            self.listing = False

    async def _follow(self) -> None:
        """The stream, and a listing each time it is (back) on: a snapshot taken after
        subscribing misses no change."""
        while True:
            try:
                subscription = await self.backend.subscribe()
                await self._screen_up.wait()
                self.link.stream_up()
                self.refresh()
                dropped = subscription.dropped
                async for event in subscription:
                    self.on_event(event)
                    if subscription.dropped != dropped:  # we fell behind: events were lost
                        dropped = subscription.dropped
                        self.refresh()
            except TmuxorchError as exc:
                if not self.link.stream_lost(exc):
                    return
                await asyncio.sleep(RETRY)

    def on_event(self, event: Event) -> None:
        """Log the event, follow tmux going down or up, and apply it to the model."""
        if isinstance(event, TmuxDown | TmuxUp):
            self.link.tmux_running(isinstance(event, TmuxUp))
        self._unlogged.append(event)
        self._show_soon()
        if self.fleet is None or self.listing:
            self.refresh()
            return
        try:
            self._set(apply(self.fleet, [event]))
        except IncompleteEventError:
            self.refresh()

    def _set(self, fleet: Snapshot) -> None:
        """Take the new model; it is shown once the events already queued are applied too, so
        a burst costs one redraw, not one per event."""
        self.fleet = fleet
        self._show_soon()

    def _show_soon(self) -> None:
        """Show the model and log the events once what is queued now has run: the events'
        log lines and the model they made are painted in one frame."""
        if not self._show_due:
            self._show_due = True
            self.app.call_next(self._show_latest)

    def _show_latest(self) -> None:
        self._show_due = False
        unlogged, self._unlogged = self._unlogged, []
        for event in unlogged:
            self.log(event)
        if self.fleet is not None and self.fleet is not self._shown:
            self._shown = self.fleet
            self.show(self.fleet)
