"""core.live: the events between two snapshots replay exactly, whatever the snapshots are."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tmuxorch.core.events import (
    AgentStateChanged,
    PaneAdded,
    Resynced,
    TmuxDown,
    TmuxUp,
    WindowAdded,
)
from tmuxorch.core.live import IncompleteEventError, apply, diff_snapshots
from tmuxorch.core.models import AgentInfo, Pane, Session, Snapshot, TmuxInfo, Window

TMUX = TmuxInfo(socket="/tmp/s", version="3.3a", running=True)
# Small value sets, so two drawn snapshots share ids and often fields: every kind of change.
names = st.sampled_from(["a", "b", "c"])
agents = st.none() | st.builds(
    AgentInfo,
    kind=st.sampled_from(["claude", "sim"]),
    state=st.sampled_from(["busy", "idle", "waiting", "exited"]),
    since=st.none() | st.sampled_from([1.0, 2.0]),
)


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    """A snapshot shaped as the parser makes them: windows may be linked into several
    sessions (shared name, panes, kind, activity; own index and active flag), each pane in one
    window, sessions by name then id, windows and panes by index."""
    pane_ids = draw(st.permutations([f"%{n}" for n in range(8)]))
    window_ids = draw(st.lists(st.sampled_from([f"@{n}" for n in range(5)]), unique=True))
    cuts = sorted(draw(st.lists(st.integers(0, len(pane_ids)), min_size=len(window_ids),
                                max_size=len(window_ids))))  # fmt: skip
    shared = {}
    start = 0
    for wid, end in zip(window_ids, cuts, strict=True):
        pane_fields = [
            {
                "id": pid, "index": index, "active": draw(st.booleans()),
                "pid": draw(st.sampled_from([10, 11])), "command": draw(names),
                "cwd": draw(names), "dead": draw(st.booleans()),
                "width": draw(st.sampled_from([80, 81])), "height": 24,
                "agent": draw(agents), "dead_status": draw(st.none() | st.just(3)),
                "window_id": wid,
            }
            for index, pid in enumerate(pane_ids[start : max(end, start + 1)])
        ]  # fmt: skip
        start = max(end, start + 1)
        shared[wid] = {
            "name": draw(names),
            "kind": draw(st.sampled_from(["agent", "shell", "other"])),
            "activity": draw(st.none() | st.just(5)),
            "panes": pane_fields,
        }
    usable = [wid for wid in window_ids if shared[wid]["panes"]]
    sessions = []
    for sid in draw(st.lists(st.sampled_from([f"${n}" for n in range(4)]), unique=True)):
        held = draw(st.lists(st.sampled_from(usable), unique=True)) if usable else []
        indices = draw(st.permutations(range(len(held) + 2)))
        windows = tuple(
            sorted(
                (
                    Window(
                        id=wid, index=index, active=draw(st.booleans()), session_id=sid,
                        name=shared[wid]["name"], kind=shared[wid]["kind"],
                        activity=shared[wid]["activity"],
                        panes=tuple(Pane(**p, session_id=sid) for p in shared[wid]["panes"]),
                    )
                    for wid, index in zip(held, indices, strict=False)
                ),
                key=lambda w: w.index,
            )
        )  # fmt: skip
        clients = draw(st.sampled_from([0, 1, 2]))
        sessions.append(
            Session(id=sid, name=draw(names), attached=clients > 0, attached_clients=clients,
                    created=draw(st.sampled_from([100, 101])), windows=windows)
        )  # fmt: skip
    sessions.sort(key=lambda s: (s.name, int(s.id[1:])))
    return Snapshot(tmux=TMUX, sessions=tuple(sessions), taken_at=1.0)


@settings(max_examples=400, deadline=None)
@given(snapshots(), snapshots())
def test_applying_the_diff_gives_the_new_snapshot(old: Snapshot, new: Snapshot) -> None:
    replayed = apply(old, diff_snapshots(old, new))
    assert replayed.sessions == new.sessions
    assert replayed.tmux == new.tmux


@settings(max_examples=100, deadline=None)
@given(snapshots())
def test_no_change_no_events_and_the_same_objects(snapshot: Snapshot) -> None:
    assert diff_snapshots(snapshot, snapshot) == []
    assert apply(snapshot, []) is snapshot


def _fleet() -> Snapshot:
    pane = Pane(id="%1", index=0, active=True, pid=1, command="sim", cwd="/", dead=False,
                width=80, height=24, window_id="@1", session_id="$1")  # fmt: skip
    other = pane.model_copy(update={"id": "%2", "index": 1, "command": "sh"})
    window = Window(id="@1", index=0, name="w", active=True, kind="shell", panes=(pane, other),
                    session_id="$1")  # fmt: skip
    spare = window.model_copy(update={"id": "@2", "index": 1, "panes": ()})
    session = Session(id="$1", name="s", attached=False, created=1, windows=(window, spare),
                      attached_clients=0)  # fmt: skip
    return Snapshot(tmux=TMUX, sessions=(session,), taken_at=1.0)


def test_an_agent_state_change_marks_its_pane_and_window_and_keeps_the_rest() -> None:
    fleet = _fleet()
    change = AgentStateChanged(pane_id="%1", window_id="@1", session_id="$1", kind="sim",
                               state="busy", previous=None, since=7.0, at=9.0)  # fmt: skip
    after = apply(fleet, [change])
    pane = after.panes_by_id["%1"]
    assert pane.agent == AgentInfo(kind="sim", state="busy", since=7.0)
    assert after.windows_by_id["@1"].kind == "agent"
    assert after.panes_by_id["%2"] is fleet.panes_by_id["%2"]  # untouched panes keep identity
    assert after.windows_by_id["@2"] is fleet.windows_by_id["@2"]
    assert after.taken_at == 9.0


def test_resync_replaces_and_tmux_down_up_empty_the_model() -> None:
    fleet = _fleet()
    empty = Snapshot(tmux=TMUX, sessions=(), taken_at=2.0)
    assert apply(fleet, [Resynced(reason="behind", snapshot=empty, at=0.5)]) is empty
    down = apply(fleet, [TmuxDown(reason="gone", at=0.0)])
    assert (down.sessions, down.tmux.running, down.tmux.version) == ((), False, None)
    up = apply(down, [TmuxUp(version="3.4", at=0.0)])
    assert (up.sessions, up.tmux.running, up.tmux.version) == ((), True, "3.4")


def test_an_added_object_missing_from_its_event_is_an_error_not_a_guess() -> None:
    fleet = _fleet()
    with pytest.raises(IncompleteEventError):
        apply(fleet, [PaneAdded(pane_id="%9", window_id="@1", session_id="$1")])
    with pytest.raises(IncompleteEventError):
        apply(fleet, [WindowAdded(window_id="@9", session_id="$1", index=5, name="x")])


def test_a_window_linked_twice_into_one_session_resyncs() -> None:
    fleet = _fleet()
    session = fleet.sessions[0]
    twice = session.windows[0].model_copy(update={"index": 7})
    doubled = fleet.model_copy(
        update={"sessions": (session.model_copy(update={"windows": (*session.windows, twice)}),)}
    )
    (event,) = diff_snapshots(fleet, doubled)
    assert isinstance(event, Resynced)
    assert apply(fleet, [event]) is doubled
