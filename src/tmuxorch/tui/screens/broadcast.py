"""The broadcast dialog: filters (kind, state, session), a live preview of who gets it, and the
message; after sending, the receipts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from tmuxorch.core.delivery import Receipt
from tmuxorch.core.models import Pane, Snapshot
from tmuxorch.tui.messages import BroadcastRequested
from tmuxorch.tui.screens.send import receipts_text


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


class BroadcastScreen(ModalScreen[None]):
    """The app sets `fleet` (for the preview) and, after sending, `receipts`."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Send", priority=True),
        Binding("escape", "dismiss", "Close", priority=True),
    ]
    fleet: reactive[Snapshot | None] = reactive(None, always_update=True)
    receipts: reactive[list[Receipt] | None] = reactive(None)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Broadcast", id="dialog-title")
            with Horizontal(id="filters"):
                yield Input(placeholder="kinds (claude,codex)", id="kinds")
                yield Input(placeholder="states (idle,busy)", value="idle", id="states")
                yield Input(placeholder="sessions", id="sessions")
            yield Static(id="targets")
            yield TextArea(id="message", soft_wrap=True)
            yield Static(id="receipts")
            with Horizontal(id="buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="send")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#receipts").display = False
        self.query_one(TextArea).focus()
        self._update_preview()

    def _chosen(self) -> list[Pane]:
        if self.fleet is None:
            return []
        value = {i.id: i.value for i in self.query(Input)}
        return chosen_agents(self.fleet, value["kinds"], value["states"], value["sessions"])

    def _update_preview(self) -> None:
        chosen = self._chosen()
        lines = [f"{p.id}  {p.agent.kind}  {p.agent.state}" for p in chosen if p.agent]
        self.query_one("#targets", Static).update(
            f"{len(chosen)} agent(s) will get it:\n"
            + "\n".join(lines[:12])
            + (f"\n… and {len(lines) - 12} more" if len(lines) > 12 else "")
        )

    def watch_fleet(self) -> None:
        if self.is_mounted:
            self._update_preview()

    def on_input_changed(self) -> None:
        self._update_preview()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text
        chosen = self._chosen()
        if not text.strip() or not chosen:
            self.notify("Nothing to send: empty message or no agent matches", severity="warning")
            return
        self.post_message(BroadcastRequested([p.id for p in chosen], text))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_submit()
        else:
            self.dismiss()

    def watch_receipts(self, receipts: list[Receipt] | None) -> None:
        if receipts is None:
            return
        panel = self.query_one("#receipts", Static)
        panel.display = True
        panel.update(receipts_text(receipts, {}))
