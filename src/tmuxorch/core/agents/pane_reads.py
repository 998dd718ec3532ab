"""What a sweep reads of the live agent panes, in one pipelined round trip: each one's screen,
and its title and hook report (`#{pane_title}`, `@tmuxorch-hook`: tmux notifies no client of
either, so they are read with the screen, adding no round trip of their own)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tmuxorch.core.agents.hook_events import REPORT_OPTION
from tmuxorch.core.tmux.results import Runner
from tmuxorch.core.tmux.snapshot import SEPARATOR

FEW_PANES = 16
"""Up to this many panes, ask for each by id; beyond, one listing of the whole server is
cheaper for tmux (measured at 100 agents: a hundred `display-message`s cost its server twice the
CPU of one `list-panes -a`)."""
_META_FORMAT = f"#{{pane_title}}{SEPARATOR}#{{{REPORT_OPTION}}}"
_META_LISTING = ["list-panes", "-a", "-F", f"#{{pane_id}}{SEPARATOR}{_META_FORMAT}"]


def capture_command(pane_id: str) -> list[str]:
    """The visible screen of one pane, as plain text."""
    return ["capture-pane", "-p", "-t", pane_id]


def meta_command(pane_id: str) -> list[str]:
    """The pane's title and the latest report of its hook (`PaneMeta.parse` reads it)."""
    return ["display-message", "-p", "-t", pane_id, _META_FORMAT]


@dataclass(frozen=True)
class PaneMeta:
    """A pane's title and the raw value of its hook report."""

    title: str = ""
    hook: str = ""

    @classmethod
    def parse(cls, text: str) -> PaneMeta:
        title, _, hook = text.partition(SEPARATOR)
        return cls(title, hook)


async def read_live(
    run: Runner, live: Sequence[str], told: Collection[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, PaneMeta]]:
    """The screen of each live agent pane that still exists, and the meta of those of them in
    `told` (kinds with a hook or a title to read: for the others it could say nothing), in one
    round trip."""
    if not live:
        return {}, {}
    asking = [pid for pid in live if pid in told]
    few = len(asking) <= FEW_PANES
    asked = [capture_command(pid) for pid in live]
    if asking:
        asked += [meta_command(pid) for pid in asking] if few else [_META_LISTING]
    results = await run(asked)
    screens = {pid: r.lines for pid, r in zip(live, results, strict=False) if r.ok}
    metas: dict[str, PaneMeta] = {}
    if asking and few:
        for pid, result in zip(asking, results[len(live) :], strict=True):
            if result.ok:
                metas[pid] = PaneMeta.parse("\n".join(result.lines))
    elif asking and results[-1].ok:
        wanted = set(asking)
        for line in results[-1].lines:
            pid, _, reported = line.partition(SEPARATOR)
            if pid in wanted:
                metas[pid] = PaneMeta.parse(reported)
    gone = set(asking) - set(metas)  # vanished between the capture and the meta
    return {pid: screen for pid, screen in screens.items() if pid not in gone}, metas
