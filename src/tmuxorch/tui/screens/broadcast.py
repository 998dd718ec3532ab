"""The broadcast dialog: filters (kind, state, session), a live preview of who gets it, and the
message; after sending, the receipts."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Input, Static

from tmuxorch.core.models import Pane, Snapshot
from tmuxorch.tui.messages import BroadcastRequested
from tmuxorch.tui.screens.message_dialog import MessageDialog
from tmuxorch.usecases.broadcast import BroadcastPlan, plan_broadcast


def words(value: str) -> set[str]:
    """A comma-separated filter as a set (empty: matches everything)."""
    return {w.strip() for w in value.split(",") if w.strip()}


def _row(pane: Pane) -> str:
    agent = pane.agent
    return f"{pane.id}  {agent.kind}  {agent.state}" if agent is not None else pane.id


def _listed(rows: Iterable[str], most: int = 12) -> str:
    """The first `most` rows, one a line, and how many more there are."""
    shown = list(rows)
    more = f"\n… and {len(shown) - most} more" if len(shown) > most else ""
    return "\n".join(shown[:most]) + more


class BroadcastScreen(MessageDialog):
    """Filters and a live preview of who gets it; the app sets `fleet` for the preview."""

    fleet: var[Snapshot | None] = var(None, always_update=True)
    title_text = "Broadcast"
    _sent = False

    def compose_targets(self) -> ComposeResult:
        with Horizontal(id="filters"):
            yield Input(placeholder="kinds (claude,codex)", id="kinds")
            yield Input(placeholder="states (idle,busy)", value="idle", id="states")
            yield Input(placeholder="sessions", id="sessions")
        yield Static(id="targets")

    def on_mount(self) -> None:
        super().on_mount()
        self._update_preview()

    def _plan(self) -> BroadcastPlan:
        if self.fleet is None:
            return BroadcastPlan((), ())
        value = {i.id: words(i.value) for i in self.query(Input)}
        return plan_broadcast(
            self.fleet, kinds=value["kinds"], states=value["states"], sessions=value["sessions"]
        )

    def _update_preview(self) -> None:
        plan = self._plan()
        text = f"{len(plan.send)} agent(s) will get it:\n" + _listed(map(_row, plan.send))
        held = [f"{_row(s.pane)}: {s.reason}" for s in plan.skipped if s.receipt is not None]
        if held:
            text += f"\n{len(held)} skipped (nothing is typed there):\n" + _listed(held)
        self.query_one("#targets", Static).update(text)

    def watch_fleet(self) -> None:
        if self.is_mounted and not self._sent:  # once sent, it says whom it was sent to
            self._update_preview()

    def on_input_changed(self) -> None:
        self._sent = False  # new filters: a new preview, for the next send
        self._update_preview()

    def request(self, text: str) -> bool:
        plan = self._plan()
        if not plan.send:
            self.notify("No agent to send to: none matches, or all are skipped", severity="warning")
            return False
        self._sent = True
        self.post_message(BroadcastRequested([p.id for p in plan.send], text))
        return True
