"""What a sweep reads of the live agent panes: each one's screen, and its title and hook report
(`#{pane_title}`, `@tmuxorch-hook`: tmux notifies no client of either, so they are read with
the screen, adding no round trip of their own).

A screen is captured again only when its pane may have printed since: tmux keeps, per window,
the second of its last output (`#{window_activity}`), so a pane whose window printed nothing
since the second its last capture was asked in shows the screen kept from then (`KeptScreen`).
Asking costs a round trip before the captures, and saves the captures of every quiet agent: an
idle fleet of 50 was captured 200 times a second for nothing, costing its watcher and the tmux
server alike. The caller says which panes may be reused (`kept`): only those whose state is
settled, and none on every few sweeps (`ScreenKeeper`), so what tmux does not count as output
(a clock set back, a resize nobody redraws) is seen within seconds all the same.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping, Sequence

from tmuxorch.core.agents.hook_events import REPORT_OPTION
from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.snapshot import SEPARATOR

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.tmux.results import Runner

FEW_PANES = 16
"""Up to this many panes, ask for each by id; beyond, one listing of the whole server is
cheaper for tmux (measured at 100 agents: a hundred `display-message`s cost its server twice the
CPU of one `list-panes -a`)."""
FULL_SWEEP_S = 5.0
"""Seconds between sweeps that capture every screen, quiet or not (the net under the rule)."""
_META_FORMAT = f"#{{pane_title}}{SEPARATOR}#{{{REPORT_OPTION}}}"
_LOOK_FORMAT = f"#{{window_activity}}{SEPARATOR}{_META_FORMAT}"


def capture_command(pane_id: str) -> list[str]:
    """The visible screen of one pane, as plain text."""
    return ["capture-pane", "-p", "-t", pane_id]


def meta_command(pane_id: str) -> list[str]:
    """The pane's title and the latest report of its hook (`PaneMeta.parse` reads it)."""
    return ["display-message", "-p", "-t", pane_id, _META_FORMAT]


@frozen_record
class PaneMeta(Frozen):
    """A pane's title and the raw value of its hook report."""

    title: str = ""
    hook: str = ""

    @classmethod
    def parse(cls, text: str) -> PaneMeta:
        title, _, hook = text.partition(SEPARATOR)
        return cls(title, hook)


@frozen_record
class KeptScreen(Frozen):
    """A screen captured, and the wall-clock time just before it was asked for."""

    lines: tuple[str, ...]
    asked_at: float


class ScreenKeeper:
    """The screens of the last captures, and when every screen was last captured
    (`time.monotonic()`)."""

    def __init__(self, full_at: float = float("-inf")) -> None:
        self.screens: dict[str, KeptScreen] = {}
        self.full_at = full_at

    def reusable(self, settled: Iterable[str]) -> dict[str, KeptScreen]:
        """The kept screens of `settled` panes a sweep now may reuse: none when a full sweep is
        due (which it then is, from now). Timed on the monotonic clock: a wall clock set back
        must not put the full sweeps off."""
        now = time.monotonic()
        if now - self.full_at >= FULL_SWEEP_S:
            self.full_at = now
            return {}
        return {pid: self.screens[pid] for pid in settled if pid in self.screens}

    def took(self, captured: Mapping[str, tuple[str, ...]], asked_at: float) -> None:
        """Keep these screens, captured at `asked_at`."""
        self.screens.update((pid, KeptScreen(lines, asked_at)) for pid, lines in captured.items())

    def forget(self, gone: Iterable[str]) -> None:
        for pid in gone:
            self.screens.pop(pid, None)


async def read_live(
    run: Runner,
    live: Sequence[str],
    told: Collection[str],
    keeper: ScreenKeeper | None = None,
    settled: Iterable[str] = (),
) -> tuple[dict[str, tuple[str, ...]], dict[str, PaneMeta]]:
    """The screen of each live agent pane that still exists, and the meta of those of them in
    `told` (kinds with a hook or a title to read: for the others it could say nothing). One
    round trip; with a `keeper`, two when some `settled` panes have a kept screen, whose
    panes are captured only if they printed since (see the module)."""
    asked_at = time.time()
    kept: dict[str, KeptScreen] = {}
    if keeper is not None:
        keeper.forget(set(keeper.screens) - set(live))
        kept = keeper.reusable(settled)
    metas: dict[str, PaneMeta] = {}
    quiet: set[str] = set()
    asking = [pid for pid in live if pid in told]
    if kept:
        looked = [pid for pid in live if pid in kept or pid in told]
        for pid, text in _answers(looked, await run(_asking(looked, _LOOK_FORMAT))).items():
            activity, _, meta = text.partition(SEPARATOR)
            if pid in told:
                metas[pid] = PaneMeta.parse(meta)
            if pid in kept and activity.isdigit() and int(activity) < kept[pid].asked_at // 1:
                quiet.add(pid)
        asking = []  # their metas came with the look
    capturing = [pid for pid in live if pid not in quiet]
    asked = [capture_command(pid) for pid in capturing] + _asking(asking, _META_FORMAT)
    results = await run(asked) if asked else []
    if asking:
        answers = _answers(asking, results[len(capturing) :])
        metas = {pid: PaneMeta.parse(text) for pid, text in answers.items()}
    captured = {
        pid: r.lines
        for pid, r in zip(capturing, results, strict=False)
        if r.ok and (pid not in told or pid in metas)  # a told pane gone before its meta: gone
    }
    if keeper is not None:
        keeper.took(captured, asked_at)
    return captured | {pid: kept[pid].lines for pid in quiet}, metas


def _asking(panes: Sequence[str], pane_format: str) -> list[list[str]]:
    """The commands that expand `pane_format` for `panes`: one per pane when they are few,
    else one listing of the whole server (`_answers` reads either)."""
    if not panes:
        return []
    if len(panes) <= FEW_PANES:
        return [["display-message", "-p", "-t", pid, pane_format] for pid in panes]
    return [["list-panes", "-a", "-F", f"#{{pane_id}}{SEPARATOR}{pane_format}"]]


def _answers(panes: Sequence[str], results: Sequence[CommandResult]) -> dict[str, str]:
    """What each of `panes` that still exists answered to `_asking`'s commands."""
    if len(panes) <= FEW_PANES:
        return {pid: "\n".join(r.lines) for pid, r in zip(panes, results, strict=True) if r.ok}
    wanted, answered = set(panes), {}
    for line in results[0].lines if results[0].ok else ():
        pid, _, text = line.partition(SEPARATOR)
        if pid in wanted:
            answered[pid] = text
    return answered
