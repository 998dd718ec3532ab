"""TARGET resolution: exact names only, ids, indexes, clear errors."""

from __future__ import annotations

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import AmbiguousTargetError, TargetNotFoundError
from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.core.targets import panes_of, resolve_target, subtree

from .conftest import TmuxFixture


@pytest.fixture
async def fleet(engine: Engine, running_tmux: TmuxFixture) -> Snapshot:
    running_tmux.tmux("new-session", "-d", "-s", "victim", "-n", "a.b", "sleep", "100000")
    running_tmux.tmux("split-window", "-d", "-t", "victim:0", "sleep", "100000")
    running_tmux.tmux("new-window", "-d", "-t", "victim", "-n", "7", "sleep", "100000")
    running_tmux.tmux("new-window", "-d", "-t", "victim", "-n", "a", "sleep", "100000")
    return await engine.snapshot()


async def test_ids_resolve(fleet: Snapshot) -> None:
    pane = fleet.panes()[0]
    assert resolve_target(fleet, pane.id) == pane
    assert resolve_target(fleet, pane.window_id).id == pane.window_id
    assert resolve_target(fleet, pane.session_id).id == pane.session_id


async def test_names_and_indexes(fleet: Snapshot) -> None:
    session = resolve_target(fleet, "victim")
    assert isinstance(session, Session)
    window = resolve_target(fleet, "victim:a.b")
    assert isinstance(window, Window)
    assert window.name == "a.b"
    pane = resolve_target(fleet, "victim:a.b.1")
    assert isinstance(pane, Pane)
    assert (pane.window_id, pane.index) == (window.id, 1)
    assert resolve_target(fleet, "victim:0") == window
    by_index = resolve_target(fleet, "victim:1")
    assert isinstance(by_index, Window)
    assert by_index.name == "7"
    assert len(panes_of(session)) == 4


@pytest.mark.parametrize("target", ["vic", "victim*", "v", "VICTIM", "victim:a.", "%999", "@999"])
async def test_no_prefix_glob_or_case_matching(fleet: Snapshot, target: str) -> None:
    with pytest.raises(TargetNotFoundError) as caught:
        resolve_target(fleet, target)
    assert str(caught.value).startswith(f"no such target: {target!r}")


async def test_near_matches_are_suggested(fleet: Snapshot) -> None:
    with pytest.raises(TargetNotFoundError) as caught:
        resolve_target(fleet, "victin")
    assert "victim" in caught.value.suggestions
    assert "did you mean 'victim'" in str(caught.value)


async def test_ambiguity_is_refused(engine: Engine, running_tmux: TmuxFixture) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "twin", "sleep", "100000")
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "twin", "sleep", "100000")
    snapshot = await engine.snapshot()
    with pytest.raises(AmbiguousTargetError) as caught:
        resolve_target(snapshot, "main:twin")
    assert len(caught.value.ids) == 2


async def test_subtree_keeps_only_the_target(fleet: Snapshot) -> None:
    pane = resolve_target(fleet, "victim:a.b.1")
    cut = subtree(fleet, pane)
    assert [p.id for p in cut.panes()] == [pane.id]  # type: ignore[union-attr]
    assert len(cut.windows()) == 1
