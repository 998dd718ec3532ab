"""Human output of the CLI with rich: trees and tables that stay readable without colour.

rich already honours NO_COLOR and drops styles when stdout is not a terminal; when it is not a
terminal we also stop it wrapping lines at 80 columns, so piped output keeps whole names.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tmuxorch.usecases.labels import STATE_BADGES, ago, counted, pane_label
from tmuxorch.usecases.receipts import RECEIPT_COLUMNS, RECEIPT_STYLES, receipt_rows

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:  # types only: `send` and `status` print without loading broadcast or audit
    from tmuxorch.core.events import Event
    from tmuxorch.core.models import AgentState, Pane, Receipt, Snapshot, TmuxInfo, Window
    from tmuxorch.core.store.audit import AuditEntry
    from tmuxorch.core.summary import Summary
    from tmuxorch.usecases.broadcast import BroadcastPlan


def state_badge(state: AgentState) -> str:
    """`● busy` in the state's colour."""
    symbol, style = STATE_BADGES[state]
    return f"[{style}]{symbol} {state}[/]"


def make_console() -> Console:
    """A console for stdout; when piped, lines are never wrapped or cut."""
    if sys.stdout.isatty():
        return Console(highlight=False)
    return Console(highlight=False, soft_wrap=True, width=100_000)


def server_line(tmux: TmuxInfo) -> str:
    """One line naming the server and whether it runs."""
    if not tmux.running:
        return f"tmux: no server running on {escape(tmux.socket)}"
    return f"tmux {escape(tmux.version or '?')} on {escape(tmux.socket)}"


def status_tree(snapshot: Snapshot, *, detailed: bool) -> Tree:
    """Sessions → windows → panes, ids beside names so any line can be used as a TARGET."""
    windows = snapshot.windows()
    if not snapshot.tmux.running:
        return Tree(server_line(snapshot.tmux))
    root = Tree(
        f"[bold]{server_line(snapshot.tmux)}[/] — {counted(len(snapshot.sessions), 'session')}, "
        f"{counted(len(windows), 'window')}, "
        f"{counted(sum(len(w.panes) for w in windows), 'pane')}"
    )
    for session in snapshot.sessions:
        flag = " [green](attached)[/]" if session.attached else ""
        branch = root.add(f"[bold cyan]{escape(session.name)}[/] [dim]{session.id}[/]{flag}")
        for window in session.windows:
            window_branch = branch.add(_window_label(window))
            if detailed or len(window.panes) > 1:
                for pane in window.panes:
                    window_branch.add(_pane_label(pane, detailed=detailed))
    return root


def _window_label(window: Window) -> str:
    active = " *" if window.active else ""
    label = f"{window.index}: [bold]{escape(window.name)}[/]{active} [dim]{window.id}[/]"
    if len(window.panes) == 1:
        label += "  " + _pane_brief(window.panes[0])
    return label


def _pane_brief(pane: Pane) -> str:
    text = f"[dim]{pane.id}[/] {escape(pane.command)}"
    if pane.agent is not None:
        text += f" [bold]{escape(pane.agent.kind)}[/] {state_badge(pane.agent.state)}"
    if pane.dead:
        text += f" [red]dead (exit {pane.dead_status})[/]"
    if pane.restarts:
        text += f" [yellow]restarted {pane.restarts}x[/]"
    return text


def _pane_label(pane: Pane, *, detailed: bool) -> str:
    text = f"{pane.index}: " + _pane_brief(pane) + (" *" if pane.active else "")
    if detailed:
        text += (
            f"  [dim]pid[/] {pane.pid}  [dim]cwd[/] {escape(pane.cwd)}  "
            f"[dim]size[/] {pane.width}x{pane.height}"
        )
        if pane.agent is not None:
            text += f"  [dim]via[/] {pane.agent.source}"
    return text


def summary_tables(summary: Summary) -> list[Table | str]:
    """The summary report as printable blocks."""
    now = time.time()
    counts = summary.counts
    blocks: list[Table | str] = [
        f"[bold]{server_line(summary.tmux)}[/]",
        f"{counted(counts.sessions, 'session')} ({counts.attached_sessions} attached), "
        f"{counted(counts.windows, 'window')}, {counted(counts.panes, 'pane')}"
        + (f", [red]{counts.dead_panes} dead[/]" if counts.dead_panes else ""),
    ]
    if summary.attached_sessions:
        blocks.append("attached: " + ", ".join(escape(n) for n in summary.attached_sessions))
    if summary.recent_windows:
        recent = Table(title="Most recently active windows", title_justify="left")
        for column in ("window", "id", "active"):
            recent.add_column(column)
        for w in summary.recent_windows:
            recent.add_row(escape(f"{w.session}:{w.index} {w.name}"), w.id, ago(w.activity, now))
        blocks.append(recent)
    if summary.sessions:
        per_session = Table(title="Sessions", title_justify="left")
        for column in ("session", "id", "windows", "panes", "attached", "last active"):
            per_session.add_column(column)
        for s in summary.sessions:
            per_session.add_row(
                escape(s.name), s.id, str(s.windows), str(s.panes),
                "yes" if s.attached else "", ago(s.activity, now),
            )  # fmt: skip
        blocks.append(per_session)
    return blocks


def receipts_table(snapshot: Snapshot, receipts: Sequence[Receipt]) -> Table:
    """One row per target: where, what happened, why (cli/plain_table.py writes it to a pipe
    without Rich)."""
    table = Table(title="Receipts", title_justify="left")
    for column in RECEIPT_COLUMNS:
        table.add_column(column)
    for target, label, status, detail in receipt_rows(snapshot, receipts):
        style = RECEIPT_STYLES.get(status, "")
        table.add_row(target, escape(label), f"[{style}]{status}[/]", escape(detail))
    return table


def plan_table(snapshot: Snapshot, plan: BroadcastPlan) -> Table:
    """Who a broadcast will reach and who it leaves out (and why), before anything is sent."""
    table = Table(title="Broadcast", title_justify="left")
    for column in ("pane", "where", "agent", "state", "plan"):
        table.add_column(column)
    rows = [(pane, "[green]send[/]") for pane in plan.send]
    rows += [(s.pane, f"[dim]skip: {escape(s.reason)}[/]") for s in plan.skipped]
    for pane, what in rows:
        agent = pane.agent
        assert agent is not None
        table.add_row(
            pane.id, escape(pane_label(snapshot, pane)), escape(agent.kind),
            state_badge(agent.state), what,
        )  # fmt: skip
    return table


def event_line(event: Event) -> Text:
    """One event as a timestamped line (the words are the TUI's event log's)."""
    from tmuxorch.usecases.events import event_text  # for `events` and `watch` only

    stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
    return Text.assemble((stamp, "dim"), " ", event_text(event))


def audit_table(entries: Sequence[AuditEntry], now: float) -> Table:
    """The audit log, newest first."""
    table = Table(title="Audit log", title_justify="left")
    for column in ("when", "actor", "op", "targets", "result", "text"):
        table.add_column(column)
    for entry in entries:
        statuses = sorted({str(r.get("status", "")) for r in entry.receipts} - {""})
        text = (entry.text or "").replace("\n", "⏎")
        table.add_row(
            ago(entry.at, now), escape(entry.actor), entry.op, " ".join(entry.targets),
            ", ".join(statuses), escape(text[:60] + ("…" if len(text) > 60 else "")),
        )  # fmt: skip
    return table
