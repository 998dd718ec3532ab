"""The rules both faces share (tmuxorch.usecases): one wording of events, connections, labels
and receipts, so the CLI and the TUI cannot drift apart."""

from __future__ import annotations

import time

import pytest

from tmuxorch.cli.render import event_line
from tmuxorch.core.backend import ConnectionState
from tmuxorch.core.events import AgentStateChanged, Resynced, TmuxDown
from tmuxorch.core.models import Receipt
from tmuxorch.usecases.connection import connection_text
from tmuxorch.usecases.events import event_text
from tmuxorch.usecases.labels import agents_by_state, pane_label
from tmuxorch.usecases.receipts import all_delivered, tally

from ..tui_fakes import FIXED_TIME, FakeBackend, fleet_snapshot


def test_an_agent_state_change_reads_as_pane_kind_and_the_change() -> None:
    event = AgentStateChanged(
        pane_id="%3", window_id="@2", session_id="$0", kind="claude", previous="busy",
        state="idle", since=FIXED_TIME, at=FIXED_TIME,
    )  # fmt: skip
    assert event_text(event).plain == "%3 claude busy → idle"


def test_other_events_read_as_their_name_and_plain_fields_without_the_time() -> None:
    event = TmuxDown(reason="no server", at=FIXED_TIME)
    assert event_text(event).plain == "tmux_down reason=no server"


def test_the_objects_an_event_carries_stay_out_of_its_line() -> None:
    event = Resynced(reason="fell behind", snapshot=fleet_snapshot(), at=FIXED_TIME)
    assert event_text(event).plain == "resync reason=fell behind"


def test_the_cli_prints_an_event_as_the_tui_logs_it_after_its_time() -> None:
    event = TmuxDown(reason="no server", at=FIXED_TIME)
    stamp = time.strftime("%H:%M:%S", time.localtime(FIXED_TIME))
    assert event_line(event).plain == f"{stamp} {event_text(event).plain}"


class Link(FakeBackend):
    """A backend with a link in a given state, as a remote one reports it."""

    def __init__(self, state: ConnectionState, latency: float | None) -> None:
        super().__init__()
        self.connection_state = state  # type: ignore[assignment]
        self.latency = latency  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("state", "latency", "text"),
    [
        ("live", 0.0031, "live 3 ms"),
        ("live", None, "live"),
        ("reconnecting", 0.2, "reconnecting…"),
        ("connecting", None, "connecting…"),
        ("refused", None, "refused"),
    ],
)
def test_a_link_reads_the_same_in_the_header_and_the_monitor(
    state: ConnectionState, latency: float | None, text: str
) -> None:
    assert connection_text(Link(state, latency)) == text


def test_a_backend_without_a_link_has_no_connection_text() -> None:
    assert connection_text(FakeBackend()) is None


def test_a_pane_label_names_its_place_and_with_agent_its_kind_and_state() -> None:
    fleet = fleet_snapshot()
    pane = fleet.panes_by_id["%3"]
    assert pane_label(fleet, pane) == "agents:tests.1"
    assert pane_label(fleet, pane, agent=True) == "agents:tests.1  sim error"
    assert pane_label(fleet, fleet.panes_by_id["%4"], agent=True) == "agents:shell.0"


def test_agents_are_counted_by_state_in_the_badges_order() -> None:
    assert agents_by_state(fleet_snapshot()) == {
        "busy": 1, "waiting": 1, "idle": 1, "error": 1, "exited": 1,
    }  # fmt: skip


def test_queued_counts_as_delivered_and_a_skip_does_not() -> None:
    receipts = [
        Receipt(target="%0", status="delivered"),
        Receipt(target="%1", status="queued"),
        Receipt(target="%2", status="skipped_waiting"),
    ]
    assert tally("send", receipts) == "send: 2/3 delivered"
    assert not all_delivered(receipts)
    assert all_delivered(receipts[:2])
