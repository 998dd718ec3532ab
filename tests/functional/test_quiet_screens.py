"""A sweep captures a settled agent's screen again only when its window printed since the last
capture (core/agents/pane_reads.py): quiet panes show the screen kept from then, a pane that
printed is captured, and every few seconds all are captured whatever tmux says."""

from __future__ import annotations

import math
import time

from tmuxorch.core.agents.pane_reads import FEW_PANES, KeptScreen, ScreenKeeper, read_live
from tmuxorch.core.engine import Engine

from ..conftest import TmuxFixture, wait_for

KEPT = ("what the last capture showed",)


def _window(tmux: TmuxFixture, *command: str) -> str:
    return tmux.tmux("new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", *command).strip()


def _keeper(panes: list[str], asked_at: float) -> ScreenKeeper:
    """A keeper holding KEPT for `panes`, captured at `asked_at`, with no full sweep due (its
    last one in the future: however long a loaded machine takes, none comes due meanwhile)."""
    keeper = ScreenKeeper(full_at=time.monotonic() + 3600)
    keeper.screens = {pid: KeptScreen(KEPT, asked_at) for pid in panes}
    return keeper


async def test_a_quiet_pane_shows_its_kept_screen(
    running_tmux: TmuxFixture, engine: Engine
) -> None:
    quiet = _window(running_tmux, "sh", "-c", "echo quiet; exec sleep 100000")
    await wait_for(lambda: "quiet" in running_tmux.tmux("capture-pane", "-p", "-t", quiet))
    keeper = _keeper([quiet], time.time() + 60)  # asked for after its last output, for sure
    screens, _ = await read_live(engine.run, [quiet], (), keeper, [quiet])
    assert screens[quiet] == KEPT
    assert keeper.screens[quiet].asked_at > time.time()  # not captured: kept as it was


async def test_a_pane_that_printed_is_captured_again(
    running_tmux: TmuxFixture, engine: Engine
) -> None:
    busy = _window(running_tmux, "sh", "-c", "while :; do echo tick; sleep 0.1; done")
    await wait_for(lambda: "tick" in running_tmux.tmux("capture-pane", "-p", "-t", busy))
    keeper = _keeper([busy], time.time() - 30)  # it has printed since, however loaded we are
    screens, _ = await read_live(engine.run, [busy], (), keeper, [busy])
    assert "tick" in screens[busy]
    assert keeper.screens[busy].lines == screens[busy]


async def test_only_settled_panes_and_no_full_sweep_reuse(
    running_tmux: TmuxFixture, engine: Engine
) -> None:
    quiet = _window(running_tmux, "sh", "-c", "echo quiet; exec sleep 100000")
    await wait_for(lambda: "quiet" in running_tmux.tmux("capture-pane", "-p", "-t", quiet))
    keeper = _keeper([quiet], time.time() + 60)
    unsettled, _ = await read_live(engine.run, [quiet], (), keeper, settled=[])
    assert "quiet" in unsettled[quiet]  # a state not settled yet is read from the screen
    keeper = _keeper([quiet], time.time() + 60)
    keeper.full_at = -math.inf  # a full sweep is due
    full, _ = await read_live(engine.run, [quiet], (), keeper, [quiet])
    assert "quiet" in full[quiet]
    assert time.monotonic() - keeper.full_at < 60  # taken now: the next is 5 s away


async def test_many_panes_are_looked_at_in_one_listing_with_their_metas(
    running_tmux: TmuxFixture, engine: Engine
) -> None:
    panes = [_window(running_tmux, "sleep", "100000") for _ in range(FEW_PANES + 1)]
    running_tmux.tmux("select-pane", "-t", panes[0], "-T", "a title")
    keeper = _keeper(panes, time.time() + 60)
    screens, metas = await read_live(engine.run, panes, {panes[0]}, keeper, panes)
    assert all(screens[p] == KEPT for p in panes)
    assert set(metas) == {panes[0]}
    assert metas[panes[0]].title == "a title"
    gone = panes[1]
    running_tmux.tmux("kill-pane", "-t", gone)
    screens, _ = await read_live(engine.run, panes, (), _keeper(panes, time.time() + 60), panes)
    assert gone not in screens  # a pane gone since is not shown from what was kept
    assert set(screens) == set(panes) - {gone}
