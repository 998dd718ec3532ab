"""Agent detection and live state for a fleet: which panes are agents, and what each is doing.

Only agent panes are captured, all of them in one pipelined round trip; a pane whose screen hash
did not change since the last sweep costs nothing more. A new state must hold for `debounce`
seconds before it replaces the current one, so a spinner that blinks or a screen caught mid-redraw
does not make the state flicker; the first observation of a pane is taken as it is.

When a state began is known only to a tmuxorch that saw it change (a TUI, `serve`, `events`):
it writes that into the pane option `@tmuxorch-since` ("STATE TIME"), so a one-shot `status`
later says since when, as long as the state is still the one recorded; tmux itself knows when a
dead pane's process exited. Otherwise `since` is None: a one-shot look cannot know.
"""

from __future__ import annotations

import operator
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, get_args

from tmuxorch.core.agents.profiles import AgentDetector, AgentProfile, load_profiles, window_kind
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.models import AgentInfo, AgentState, Pane, Session, Snapshot, Window
from tmuxorch.core.store.config import Settings
from tmuxorch.core.tmux.results import CommandResult, Runner
from tmuxorch.core.tmux.snapshot import SEPARATOR

AGENT_OPTION = "@tmuxorch-agent"
SINCE_OPTION = "@tmuxorch-since"
_TAG_FORMAT = SEPARATOR.join((
    "#{pane_id}", f"#{{{AGENT_OPTION}}}", f"#{{{SINCE_OPTION}}}",
    "#{?pane_dead,#{pane_dead_time},}", "#{?pane_dead,#{pane_start_command},}",
))  # fmt: skip
"""What a tracker reads once per pane: our options, and for a dead pane (no process left to
look at) when it died and the command it was started with."""
TAG_LISTING = ["list-panes", "-a", "-F", _TAG_FORMAT]
"""Every pane's tags at once: what a tracker that knows no pane yet reads."""
_FEW_UNSEEN = 16
"""Up to this many panes it has not seen, a tracker asks for each by id instead of listing the
whole server again (a watching engine meets new panes a few at a time)."""
_STATES: tuple[AgentState, ...] = get_args(AgentState)
_M = TypeVar("_M", Pane, Window, Session)
Sweep = Literal["all", "unseen", "none"]
"""Which agent screens `AgentTracker.annotate` captures first."""


@dataclass(frozen=True)
class _Listed:
    """What `_LIST_PANES` says of one pane."""

    tag: str = ""
    recorded: tuple[AgentState, float] | None = None
    started: tuple[str, ...] = ()


def _listed(fields: Sequence[str]) -> _Listed:
    """One line of `_LIST_PANES` (after the pane id); anything malformed is left out."""
    tag, record, dead_time, start = (*fields, "", "", "", "")[:4]
    recorded: tuple[AgentState, float] | None = None
    state, _, at = record.partition(" ")
    if dead_time.isdigit():
        recorded = ("exited", float(dead_time))
    elif state in _STATES and at.replace(".", "", 1).isdigit():
        recorded = (state, float(at))
    return _Listed(tag, recorded, _start_argv(start))


def _start_argv(command: str) -> tuple[str, ...]:
    """The argv of `pane_start_command` (tmux quotes each argument); one argument is a command
    tmux ran through `sh -c`, so it is split once more."""
    try:
        argv = shlex.split(command)
        if len(argv) == 1:
            argv = shlex.split(argv[0])
    except ValueError:
        return ()
    return tuple(argv)


def capture_command(pane_id: str) -> list[str]:
    """The visible screen of one pane, as plain text."""
    return ["capture-pane", "-p", "-t", pane_id]


@dataclass
class _Tracked:
    kind: str
    state: AgentState
    since: float | None
    digest: int | None = None
    candidate: AgentState | None = None
    candidate_since: float = 0.0


class AgentTracker:
    """Keeps each agent pane's kind and debounced state; annotates snapshots with them."""

    def __init__(self, run: Runner, settings: Settings | None = None) -> None:
        self._run = run
        self.settings = settings or Settings()
        self.profiles: dict[str, AgentProfile] = load_profiles(self.settings)
        self.detector = AgentDetector(self.profiles, self.settings.rules)
        self.debounce = self.settings.state_debounce
        self.interval = self.settings.state_interval
        self._listed: dict[str, _Listed] = {}
        self._tracked: dict[str, _Tracked] = {}
        self._memo: dict[int, tuple[object, object, object]] = {}
        """id of a listed object -> (that object, what its annotation depended on, the
        annotated object): see `_annotated`."""

    def profile(self, kind: str) -> AgentProfile:
        """The profile of `kind` (a kind without one gets the generic `sim`-free defaults)."""
        return self.profiles.get(kind) or AgentProfile(kind=kind, processes=(kind,))

    def remember_tag(self, pane_id: str, kind: str) -> None:
        """Record a tag we set ourselves (spawn), saving a round trip."""
        self._listed[pane_id] = _Listed(tag=kind)

    @property
    def knows_no_pane(self) -> bool:
        """True until the first tags are read: the engine then lists them in the same round
        trip as the fleet (`TAG_LISTING`, handed back through `take_tags`)."""
        return not self._listed

    def take_tags(self, snapshot: Snapshot, listing: CommandResult) -> None:
        """Remember the tags of every pane of `snapshot` from a `TAG_LISTING` result."""
        current = snapshot.panes_by_id
        for line in listing.lines:
            pane_id, *fields = line.split(SEPARATOR, 4)
            if pane_id in current:
                self._listed[pane_id] = _listed(fields)

    async def annotate(
        self, snapshot: Snapshot, *, sweep: Sweep = "all"
    ) -> tuple[Snapshot, list[AgentStateChanged]]:
        """The snapshot with `agent` set on agent panes and `kind` on windows, and the state
        changes that settled meanwhile (the caller publishes them). `sweep` says when agent
        screens are captured first: "all" always (states are current), "unseen" when an agent
        was never seen (a watching engine's sweeps keep the others current), "none" never
        (kinds are all a caller needs, e.g. to resolve a target: unseen agents are "unknown")."""
        if not snapshot.tmux.running:
            return snapshot, []
        await self._refresh_tags(snapshot)
        kinds = self._kinds(snapshot)
        changes: list[AgentStateChanged] = []
        unseen = any(pane_id not in self._tracked for pane_id in kinds)
        if sweep == "all" or (sweep == "unseen" and unseen):
            changes = await self.sweep(snapshot, kinds)
        return self._annotated(snapshot, kinds), changes

    async def sweep(
        self, snapshot: Snapshot, kinds: dict[str, str] | None = None
    ) -> list[AgentStateChanged]:
        """Capture every agent pane once (one round trip) and update states; returns the
        state changes that settled."""
        if kinds is None:
            await self._refresh_tags(snapshot)
            kinds = self._kinds(snapshot)
        panes = snapshot.panes_by_id
        for gone in set(self._tracked) - set(kinds):
            del self._tracked[gone]
        live = [pid for pid in kinds if not panes[pid].dead]
        results = await self._run([capture_command(pid) for pid in live]) if live else []
        screens = {pid: r.lines for pid, r in zip(live, results, strict=True) if r.ok}
        now = time.time()
        changes: list[AgentStateChanged] = []
        for pane_id, kind in kinds.items():
            pane = panes[pane_id]
            lines = screens.get(pane_id)
            if pane.dead:
                observed: AgentState | None = "exited"
                digest = None
            elif lines is None:
                continue  # vanished between snapshot and capture
            else:
                digest = hash(lines)
                observed = None
            change = self._observe(pane, kind, observed, lines, digest, now)
            if change is not None:
                changes.append(change)
        if changes:  # for whoever looks next without having watched (a one-shot `status`)
            # Idempotent in tmux's sense too: setting it twice is harmless, tmux notifies no
            # client of it (measured, 3.3a) and no listing shows it, so a watching engine's
            # live model stays fresh.
            await self._run(
                [["set-option", "-p", "-t", c.pane_id, SINCE_OPTION, f"{c.state} {c.since:.3f}"]
                 for c in changes],
                idempotent=True,
            )  # fmt: skip
        return changes

    def classify_now(self, kind: str, lines: Sequence[str]) -> AgentState:
        """The state a screen shows right now, without debounce (used before a send)."""
        return self.profile(kind).classify("\n".join(lines))

    def _observe(
        self,
        pane: Pane,
        kind: str,
        observed: AgentState | None,
        lines: Sequence[str] | None,
        digest: int | None,
        now: float,
    ) -> AgentStateChanged | None:
        tracked = self._tracked.get(pane.id)
        unchanged = tracked is not None and tracked.kind == kind and tracked.digest == digest
        if unchanged and observed is None and tracked is not None and tracked.candidate is None:
            return None  # same screen as last time: nothing to do
        if observed is None:
            observed = self.profile(kind).classify("\n".join(lines or ()))
        if tracked is None or tracked.kind != kind:
            listed = self._listed.get(pane.id)
            recorded = listed.recorded if listed is not None else None
            since = recorded[1] if recorded is not None and recorded[0] == observed else None
            self._tracked[pane.id] = _Tracked(kind, observed, since, digest)
            return None
        tracked.digest = digest
        if observed == tracked.state:
            tracked.candidate = None
            return None
        if tracked.candidate != observed:
            tracked.candidate, tracked.candidate_since = observed, now
        # Sweeps come every `interval`: a candidate seen on two sweeps `interval` apart has held
        # long enough when that is within half an interval of the debounce (otherwise a 0.3 s
        # debounce at 0.25 s sweeps would really wait 0.5 s).
        held = now - tracked.candidate_since + self.interval / 2
        if held < self.debounce and observed != "exited":
            return None
        previous = tracked.state
        tracked.state, tracked.since, tracked.candidate = observed, tracked.candidate_since, None
        return AgentStateChanged(
            pane_id=pane.id, window_id=pane.window_id, session_id=pane.session_id, kind=kind,
            state=observed, previous=previous, since=tracked.since,
        )  # fmt: skip

    async def _refresh_tags(self, snapshot: Snapshot) -> None:
        """Read the tags of panes we have not seen, in one round trip: by id when they are
        few, else one listing of all."""
        current = snapshot.panes_by_id
        for gone in [pid for pid in self._listed if pid not in current]:
            del self._listed[gone]
        unseen = [pid for pid in current if pid not in self._listed]
        if not unseen:
            return
        if len(unseen) > _FEW_UNSEEN:
            (listing,) = await self._run([TAG_LISTING])
            self.take_tags(snapshot, listing)
            return
        asked = [["display-message", "-p", "-t", pid, _TAG_FORMAT] for pid in unseen]
        for result in await self._run(asked):
            if result.ok:  # a pane gone since the snapshot has no tags to read
                self.take_tags(snapshot, result)

    def _kinds(self, snapshot: Snapshot) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for session in snapshot.sessions:
            for window in session.windows:
                for pane in window.panes:
                    listed = self._listed.get(pane.id, _Listed())
                    kind = self.detector.kind_of(
                        pane, window, session, listed.tag, started=listed.started
                    )
                    if kind is not None:
                        kinds[pane.id] = kind
        return kinds

    def _annotated(self, snapshot: Snapshot, kinds: dict[str, str]) -> Snapshot:
        """Agents and window kinds filled in. An object whose inputs did not change since the
        last call is the very object that call returned (the parser reuses the models of
        unchanged lines; this keeps that for agent panes and their windows too), so a
        consumer redraws only what is not the same object, and a diff skips it at once."""
        memo, self._memo = self._memo, {}

        def reuse(raw: _M, key: object, build: Callable[[], _M]) -> _M:
            hit = memo.get(id(raw))
            made = hit[2] if hit is not None and hit[0] is raw and hit[1] == key else build()
            self._memo[id(raw)] = (raw, key, made)
            return made  # type: ignore[return-value]  # stored with the raw object's type

        def pane_with_agent(pane: Pane) -> Pane:
            kind = kinds.get(pane.id)
            if kind is None:
                return pane
            tracked = self._tracked.get(pane.id)
            info = AgentInfo(
                kind=kind,
                state=tracked.state if tracked else ("exited" if pane.dead else "unknown"),
                since=tracked.since if tracked else None,
            )
            return reuse(pane, info, lambda: pane.model_copy(update={"agent": info}))

        def window_with_kinds(window: Window) -> Window:
            panes = tuple(pane_with_agent(p) for p in window.panes)
            kind = window_kind(panes)
            if kind == window.kind and all(map(operator.is_, panes, window.panes)):
                return window
            key = (kind, *map(id, panes))
            return reuse(
                window, key, lambda: window.model_copy(update={"panes": panes, "kind": kind})
            )

        def session_with_kinds(session: Session) -> Session:
            windows = tuple(window_with_kinds(w) for w in session.windows)
            if all(map(operator.is_, windows, session.windows)):
                return session
            key = tuple(map(id, windows))
            return reuse(session, key, lambda: session.model_copy(update={"windows": windows}))

        return Snapshot.model_construct(
            tmux=snapshot.tmux,
            sessions=tuple(session_with_kinds(s) for s in snapshot.sessions),
            taken_at=snapshot.taken_at,
        )

    def states(self) -> Iterable[tuple[str, str, AgentState]]:
        """(pane id, kind, state) of every tracked agent."""
        return ((pid, t.kind, t.state) for pid, t in self._tracked.items())
