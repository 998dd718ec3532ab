"""`up`'s plan and `down`'s, against a fixed snapshot: names matched exactly (never by prefix),
a missing session created by its first window, and `down` only ever the windows labelled with
the file."""

from __future__ import annotations

from tmuxorch.core.models import Snapshot
from tmuxorch.usecases.fleet import plan_down, plan_up, strays
from tmuxorch.usecases.fleet_file import Fleet, FleetWindow

from ..tui_fakes import fleet_snapshot

LABEL = "/home/dev/proj/tmuxorch.toml"


def window(session: str, name: str) -> FleetWindow:
    return FleetWindow(session, name, ("sleep", "1"), None, None, {}, None)


def labelled(snapshot: Snapshot, labels: dict[str, str]) -> Snapshot:
    """`snapshot` with the windows of these ids labelled (as `up` labels what it creates)."""
    sessions = tuple(
        s.model_copy(update={"windows": tuple(
            w.model_copy(update={"fleet": labels.get(w.id)}) for w in s.windows
        )})
        for s in snapshot.sessions
    )  # fmt: skip
    return snapshot.model_copy(update={"sessions": sessions})


def test_up_leaves_what_exists_by_exact_name_and_creates_the_rest() -> None:
    fleet = Fleet(LABEL, (
        window("agents", "api"),        # exists
        window("agents", "ap"),         # a prefix of "api": missing
        window("agent", "api"),         # a prefix of the session "agents": missing, new session
        window("agent", "tests"),       # the same new session: created by the first
        window("research", "notes"),    # exists
    ))  # fmt: skip
    steps = plan_up(fleet_snapshot(), fleet)
    assert [(s.action, s.window.target, s.new_session, s.existing) for s in steps] == [
        ("exists", "agents:api", False, "@0"),
        ("create", "agents:ap", False, None),
        ("create", "agent:api", True, None),
        ("create", "agent:tests", False, None),
        ("exists", "research:notes", False, "@5"),
    ]


def test_down_stops_only_the_windows_labelled_with_the_file() -> None:
    snapshot = labelled(
        fleet_snapshot(), {"@1": LABEL, "@3": LABEL, "@4": LABEL, "@5": LABEL, "@2": "/other.toml"}
    )
    stops = plan_down(snapshot, LABEL)
    assert [(s.window_id, s.target, s.session_goes) for s in stops] == [
        ("@1", "agents:frontend-ü", False),
        ("@3", "agents:shell", False),  # agents:api and agents:tests are not ours: it stays
        ("@4", "research:データ", False),
        ("@5", "research:notes", True),  # nothing else in research: it goes with its last
    ]
    assert plan_down(fleet_snapshot(), LABEL) == []  # nothing labelled: nothing to stop


def test_up_tells_of_windows_the_file_started_but_no_longer_declares() -> None:
    snapshot = labelled(fleet_snapshot(), {"@0": LABEL, "@5": LABEL})
    fleet = Fleet(LABEL, (window("agents", "api"),))
    assert [s.target for s in strays(snapshot, fleet)] == ["research:notes"]
