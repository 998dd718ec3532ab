"""Agent detection and live state for a fleet: which panes are agents, and what each is doing.

Only agent panes are read, in pipelined round trips: each one's screen, and its title and hook
report (`#{pane_title}`, `@tmuxorch-hook`) in one `display-message`; a settled pane that printed
nothing since its last capture is not captured again (core/agents/pane_reads.py). A screen
whose hash did not change since the last sweep is not read again. A new screen state must hold
for `debounce` seconds before it replaces the current one, so a spinner that blinks or a screen
caught mid-redraw does not make the state flicker; the first observation of a pane is taken as
it is. The agent's own precise reports (hook, session file, title) are weighed against the screen
by `PaneSources.decide` (core/agents/reports.py), which says why the rule is what it is.

A tmuxorch that saw a state begin (a TUI, `serve`, `events`) writes when into the pane option
`@tmuxorch-since`, so a one-shot `status` later says since when (core/agents/tags.py); else None.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from tmuxorch.core.agents.hook_events import ADVISORY, HOOKED, parse_report
from tmuxorch.core.agents.pane_reads import (
    FEW_PANES,
    PaneMeta,
    ScreenKeeper,
    capture_command,
    meta_command,
    read_live,
)
from tmuxorch.core.agents.profiles import (
    AgentDetector,
    AgentProfile,
    ScreenReading,
    load_profiles,
    window_kind,
)
from tmuxorch.core.agents.reports import PaneSources, Report
from tmuxorch.core.agents.session_files import SessionFiles
from tmuxorch.core.agents.tags import (
    AGENT_OPTION,
    SINCE_OPTION,
    TAG_FORMAT,
    TAG_LISTING,
    Listed,
    parse_listed,
)
from tmuxorch.core.errors import BadInputError, TargetNotFoundError
from tmuxorch.core.models import (
    AgentInfo,
    Explanation,
    Pane,
    Session,
    Snapshot,
    Window,
)
from tmuxorch.core.sanitize import sanitize
from tmuxorch.core.store.config import Settings
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.snapshot import SEPARATOR

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal, TypeVar

    from tmuxorch.core.events import AgentStateChanged
    from tmuxorch.core.models import AgentState, StateSource
    from tmuxorch.core.tmux.results import Runner

    _M = TypeVar("_M", Pane, Window, Session)
    Sweep = Literal["all", "unseen", "none"]
    """Which agent screens `AgentTracker.annotate` captures first."""
__all__ = ["AGENT_OPTION", "TAG_LISTING", "AgentTracker"]
_SESSION_FILE_KINDS = frozenset({"claude"})
"""Kinds whose CLI keeps a session file `SessionFiles` reads (Claude Code's format)."""


class AgentTracker:
    """Keeps each agent pane's kind and debounced state; annotates snapshots with them."""

    def __init__(self, run: Runner, settings: Settings | None = None) -> None:
        self._run = run
        self.settings = settings or Settings()
        self.profiles: dict[str, AgentProfile] = load_profiles(self.settings)
        self.detector = AgentDetector(self.profiles, self.settings.rules)
        self.debounce = self.settings.state_debounce
        self.interval = self.settings.state_interval
        self.session_files = SessionFiles()
        self._listed: dict[str, Listed] = {}
        self._tracked: dict[str, PaneSources] = {}
        self._kept = ScreenKeeper()
        self._memo: dict[int, tuple[object, object, object]] = {}
        """id of a listed object -> (that object, what its annotation depended on, the
        annotated object): see `_annotated`."""

    def profile(self, kind: str) -> AgentProfile:
        """The profile of `kind` (a kind without one gets the generic `sim`-free defaults)."""
        return self.profiles.get(kind) or AgentProfile(kind=kind, processes=(kind,))

    def remember_tag(self, pane_id: str, kind: str) -> None:
        """Record a tag we set ourselves (spawn), saving a round trip."""
        self._listed[pane_id] = Listed(tag=kind)

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
                self._listed[pane_id] = parse_listed(fields)

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
        """Capture every agent pane once (one round trip), update states: the changes settled."""
        if kinds is None:
            await self._refresh_tags(snapshot)
            kinds = self._kinds(snapshot)
        panes = snapshot.panes_by_id
        for gone in set(self._tracked) - set(kinds):
            del self._tracked[gone]
        live = [pid for pid in kinds if not panes[pid].dead]
        told = {pid for pid in live if self._told(kinds[pid])}
        settled = [p for p in live if (t := self._tracked.get(p)) is not None and not t.candidate]
        screens, metas = await read_live(self._run, live, told, self._kept, settled)
        filed = self._session_reports(kinds, panes, screens)
        now = time.time()
        changes: list[AgentStateChanged] = []
        for pane_id, kind in kinds.items():
            pane = panes[pane_id]
            lines = screens.get(pane_id)
            if not pane.dead and lines is None:
                continue  # vanished between snapshot and capture
            reports = self._reports(pane_id, kind, metas.get(pane_id, PaneMeta()), filed, now)
            change = self._observe(pane, kind, lines, reports, now)
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

    def _told(self, kind: str) -> bool:
        """Can a pane of `kind` report through a hook or its title?"""
        return kind in HOOKED or bool(self.profile(kind).titles)

    async def explain(self, snapshot: Snapshot, pane_id: str) -> Explanation:
        """Why the agent pane `pane_id` of an annotated `snapshot` is in its state."""
        pane = snapshot.panes_by_id.get(pane_id)
        if pane is None:
            raise TargetNotFoundError(pane_id)
        if pane.agent is None:
            raise BadInputError(f"{pane_id} is not an agent pane (runs {pane.command!r})")
        screen, listed = await self._run([capture_command(pane_id), meta_command(pane_id)])
        meta = PaneMeta.parse("\n".join(listed.lines))
        reading = self._reading(pane, pane.agent.kind, screen.lines)
        return Explanation(
            pane_id=pane_id, agent=pane.agent, screen_state=reading.state,
            screen_reason=reading.reason,
            region=tuple(sanitize(line) for line in reading.region),
            title=sanitize(meta.title), hook=sanitize(meta.hook),
        )  # fmt: skip

    def classify_now(self, kind: str, lines: Sequence[str]) -> AgentState:
        """The state a screen shows right now, without debounce (used before a send)."""
        return self.profile(kind).classify("\n".join(lines))

    def _session_reports(
        self, kinds: Mapping[str, str], panes: Mapping[str, Pane], screens: Mapping[str, object]
    ) -> dict[str, Report]:
        """Session-file reports of the panes just read (`screens`) of kinds that keep one."""
        pids = {pid: panes[pid].pid for pid, kind in kinds.items()
                if kind in _SESSION_FILE_KINDS and pid in screens}  # fmt: skip
        return self.session_files.reports(pids) if pids else {}

    def _reports(
        self, pane_id: str, kind: str, meta: PaneMeta, filed: Mapping[str, Report], now: float
    ) -> dict[StateSource, Report | None]:
        """What each precise source says of one pane now."""
        title = meta.title
        hook = parse_report(meta.hook) if meta.hook else None
        tracked = self._tracked.get(pane_id)
        before = tracked.reports.get("title") if tracked is not None else None
        titled: Report | None = None
        title_state = self.profile(kind).read_title(title) if title else None
        if title_state is not None:
            keep = before is not None and before.state == title_state
            titled = before if keep else Report(title_state, "title", f"title {title!r}", now)
        return {
            "hook": Report(hook.state, "hook", f"hook {hook.event}", hook.at)
            if hook is not None and hook.kind == kind and kind not in ADVISORY
            else None,
            "session-file": filed.get(pane_id),
            "title": titled,
        }

    def _observe(
        self,
        pane: Pane,
        kind: str,
        lines: Sequence[str] | None,
        reports: Mapping[StateSource, Report | None],
        now: float,
    ) -> AgentStateChanged | None:
        tracked = self._tracked.get(pane.id)
        if tracked is None or tracked.kind != kind:
            self._first_look(pane, kind, lines, reports, now)
            return None
        for source, report in reports.items():
            tracked.note(report, source)
        self._read_screen(tracked, pane, lines, now)
        verdict, began = tracked.decide()
        previous = tracked.verdict
        if previous is not None and previous.state == verdict.state:
            tracked.verdict = verdict  # a more precise reason for the same state: no event
            return None
        tracked.verdict, tracked.since = verdict, began if began is not None else now
        from tmuxorch.core.events import AgentStateChanged  # a look that changes nothing: none

        return AgentStateChanged(
            pane_id=pane.id, window_id=pane.window_id, session_id=pane.session_id, kind=kind,
            state=verdict.state, previous=previous.state if previous else None,
            since=tracked.since, source=verdict.source, reason=verdict.reason,
        )  # fmt: skip

    def _first_look(
        self,
        pane: Pane,
        kind: str,
        lines: Sequence[str] | None,
        reports: Mapping[StateSource, Report | None],
        now: float,
    ) -> None:
        """A pane met for the first time: its screen as it is, a recorded `since` if the
        state is still the one a watcher recorded; reports newer than this look count later."""
        reading = self._reading(pane, kind, lines)
        tracked = PaneSources(kind, reading.state, reading.reason, None, hash(lines))
        for source, report in reports.items():
            tracked.note(report, source)
        tracked.verdict, _ = tracked.decide()
        listed = self._listed.get(pane.id)
        recorded = listed.recorded if listed is not None else None
        if recorded is not None and recorded[0] == tracked.verdict.state:
            tracked.since = recorded[1]
        # From now on a report counts when it is newer than the screen's state; a hook report
        # that agreed with this first look goes on counting (the state is at least as old).
        hook = tracked.reports.get("hook")
        agreed = hook is not None and tracked.verdict.source == "hook"
        tracked.screen_since = hook.at if agreed and hook is not None else now
        self._tracked[pane.id] = tracked

    def _reading(self, pane: Pane, kind: str, lines: Sequence[str] | None) -> ScreenReading:
        if pane.dead:
            status = "" if pane.dead_status is None else f", exit status {pane.dead_status}"
            return ScreenReading("exited", "", f"the pane's process exited{status}", ())
        return self.profile(kind).read("\n".join(lines or ()))

    def _read_screen(
        self, tracked: PaneSources, pane: Pane, lines: Sequence[str] | None, now: float
    ) -> None:
        """Update the debounced screen state (see the module docstring)."""
        digest = None if pane.dead else hash(lines)
        if digest is not None and digest == tracked.digest and tracked.candidate is None:
            return  # same screen as last time: nothing to do
        tracked.digest = digest
        reading = self._reading(pane, kind=tracked.kind, lines=lines)
        if reading.state == tracked.screen:
            tracked.candidate = None
            return
        candidate = tracked.candidate
        if candidate is None or candidate.state != reading.state:
            tracked.candidate, tracked.candidate_since = reading, now
        # Sweeps come every `interval`: a candidate seen on two sweeps `interval` apart has held
        # long enough when that is within half an interval of the debounce (otherwise a 0.3 s
        # debounce at 0.25 s sweeps would really wait 0.5 s).
        held = now - tracked.candidate_since + self.interval / 2
        if held < self.debounce and reading.state != "exited":
            return
        tracked.screen, tracked.screen_since = reading.state, tracked.candidate_since
        tracked.screen_reason = reading.reason
        tracked.candidate = None

    async def _refresh_tags(self, snapshot: Snapshot) -> None:
        """Read the tags of panes we have not seen, in one round trip: by id when they are
        few, else one listing of all."""
        current = snapshot.panes_by_id
        for gone in [pid for pid in self._listed if pid not in current]:
            del self._listed[gone]
        unseen = [pid for pid in current if pid not in self._listed]
        if not unseen:
            return
        if len(unseen) > FEW_PANES:
            (listing,) = await self._run([TAG_LISTING])
            self.take_tags(snapshot, listing)
            return
        asked = [["display-message", "-p", "-t", pid, TAG_FORMAT] for pid in unseen]
        for result in await self._run(asked):
            if result.ok:  # a pane gone since the snapshot has no tags to read
                self.take_tags(snapshot, result)

    def _kinds(self, snapshot: Snapshot) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for session in snapshot.sessions:
            for window in session.windows:
                for pane in window.panes:
                    listed = self._listed.get(pane.id, Listed())
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
            verdict = tracked.verdict if tracked is not None else None
            if tracked is None or verdict is None:
                info = AgentInfo(kind=kind, state="exited" if pane.dead else "unknown",
                                 source="tmux" if pane.dead else "screen")  # fmt: skip
            else:
                info = AgentInfo(kind=kind, state=verdict.state, since=tracked.since,
                                 source=verdict.source, reason=verdict.reason)  # fmt: skip
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
        return (
            (pid, t.kind, t.verdict.state)
            for pid, t in self._tracked.items()
            if t.verdict is not None
        )
