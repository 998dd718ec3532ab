"""The broadcast dialog: filters (kind, state, session), a live preview of who gets it, and the
message; after sending, the receipts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Input, Static

from tmuxorch.core.models import Pane, Snapshot
from tmuxorch.tui.messages import BroadcastRequested
from tmuxorch.tui.screens.message_dialog import MessageDialog


def chosen_agents(fleet: Snapshot, kinds: str, states: str, sessions: str) -> list[Pane]:
    """Agents matching comma-separated filters (an empty filter matches everything)."""

    def words(value: str) -> set[str]:
        return {w.strip() for w in value.split(",") if w.strip()}

    kind_set, state_set, session_set = words(kinds), words(states), words(sessions)
    chosen = []
    for pane in fleet.panes():
        if pane.agent is None:
            continue
        session = fleet.sessions_by_id[pane.session_id]
        if kind_set and pane.agent.kind not in kind_set:
            continue
        if state_set and pane.agent.state not in state_set:
            continue
        if session_set and session.name not in session_set and session.id not in session_set:
            continue
        chosen.append(pane)
    return chosen


class BroadcastScreen(MessageDialog):
    """Filters and a live preview of who gets it; the app sets `fleet` for the preview."""

    fleet: reactive[Snapshot | None] = reactive(None, always_update=True)
    title_text = "Broadcast"

    def compose_targets(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Input(placeholder="kinds (claude,codex)", id="kinds")
            yield Input(placeholder="states (idle,busy)", value="idle", id="states")
            yield Input(placeholder="sessions", id="sessions")
        yield Static(id="targets")

    def on_mount(self) -> None:
        super().on_mount()
        self._update_preview()

    def _chosen(self) -> list[Pane]:
        if self.fleet is None:
            return []
        value = {i.id: i.value for i in self.query(Input)}
        return chosen_agents(self.fleet, value["kinds"], value["states"], value["sessions"])

    def _update_preview(self) -> None:
        chosen = self._chosen()
        lines = [f"{p.id}  {p.agent.kind}  {p.agent.state}" for p in chosen if p.agent]
        more = f"\n… and {len(lines) - 12} more" if len(lines) > 12 else ""
        self.query_one("#targets", Static).update(
            f"{len(chosen)} agent(s) will get it:\n" + "\n".join(lines[:12]) + more
        )

    def watch_fleet(self) -> None:
        if self.is_mounted:
            self._update_preview()

    def on_input_changed(self) -> None:
        self._update_preview()

    def request(self, text: str) -> bool:
        chosen = self._chosen()
        if not chosen:
            self.notify("No agent matches the filters", severity="warning")
            return False
        self.post_message(BroadcastRequested([p.id for p in chosen], text))
        return True
