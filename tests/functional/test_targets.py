"""TARGET resolution: exact names only, ids, indexes, clear errors."""

from __future__ import annotations

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import AmbiguousTargetError, TargetNotFoundError
from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.core.targets import input_panes, panes_of, resolve_target, subtree

from ..conftest import TmuxFixture


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
    assert [session.id for session in cut.sessions] == [pane.session_id]  # no empty others
    main_pane = resolve_target(fleet, "main:0.0")  # main's id sorts before victim's
    assert isinstance(main_pane, Pane)
    assert [s.id for s in subtree(fleet, main_pane).sessions] == [main_pane.session_id]


async def test_an_id_shaped_target_is_an_id_and_other_names_are_names(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """tmux itself takes a session name `%999` (tmuxorch refuses to make one): `%999` still
    means the pane id %999, which does not exist, never that session. A name of digits (`12`)
    or one that only starts like an id (`%x9`) is an ordinary name."""
    names = ["%999", "12", "%x9"]
    for name in names:
        running_tmux.tmux("new-session", "-d", "-s", name, "sleep", "100000")
    snapshot = await engine.snapshot()
    assert set(names) <= {session.name for session in snapshot.sessions}
    with pytest.raises(TargetNotFoundError):
        resolve_target(snapshot, "%999")
    for name in names[1:]:
        session = resolve_target(snapshot, name)
        assert isinstance(session, Session)
        assert session.name == name


async def test_a_window_index_past_256_resolves(engine: Engine, running_tmux: TmuxFixture) -> None:
    """Indexes are compared by value: CPython shares int objects only up to 256."""
    running_tmux.tmux("new-window", "-d", "-t", "main:300", "-n", "far", "sleep", "100000")
    window = resolve_target(await engine.snapshot(), "main:300")
    assert isinstance(window, Window)
    assert (window.index, window.name) == (300, "far")


async def test_a_pane_index_means_that_pane_only(fleet: Snapshot) -> None:
    window = resolve_target(fleet, "victim:a.b")
    first = resolve_target(fleet, "victim:a.b.0")
    assert isinstance(first, Pane)
    assert (first.window_id, first.index) == (window.id, 0)


async def test_at_most_three_suggestions_and_none_far_off(fleet: Snapshot) -> None:
    """`victim:` is near five names (`victim:0`, `victim:1`, `victim:a`…): three are offered."""
    with pytest.raises(TargetNotFoundError) as near:
        resolve_target(fleet, "victim:")
    assert len(near.value.suggestions) == 3
    assert all(name.startswith("victim:") for name in near.value.suggestions)
    with pytest.raises(TargetNotFoundError) as far:
        resolve_target(fleet, "zzzzzz")
    assert far.value.suggestions == []


async def test_a_message_to_a_one_pane_window_without_agents_goes_to_that_pane(
    fleet: Snapshot,
) -> None:
    """The most common window of all: one shell. (A fallback evaluated eagerly as
    `window.panes[1]` broke exactly this one and passed every two-pane test.)"""
    for spec in ("victim:7", "main"):
        target = resolve_target(fleet, spec)
        [pane] = panes_of(target)
        assert input_panes(target) == [pane]
