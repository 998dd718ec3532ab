"""What a walk found, per CLI: the transitions seen and their latency, and the table and JSON
lines `make real-agents` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Step:
    """One transition: `expected` state, seen or not, with its latency from `ref`."""

    name: str
    expected: str
    seen: bool = False
    latency_ms: float | None = None
    ref: str = ""
    via: str = ""
    """The source of the `agent_state` event that showed it (hook, session-file, screen...)."""
    lag_ms: float | None = None
    """For a precise source, from the CLI's own report of the change to our event."""


@dataclass
class Result:
    cli: str
    version: str
    steps: list[Step] = field(default_factory=list)
    events: int = 0
    real_changes: int = 0
    notes: list[str] = field(default_factory=list)
    fixtures: list[str] = field(default_factory=list)

    @property
    def whole_path(self) -> bool:
        return bool(self.steps) and all(s.seen for s in self.steps)


def result_dict(r: Result) -> dict[str, Any]:
    return asdict(r) | {"whole_path": r.whole_path, "flicker": r.events > r.real_changes}


def table(results: list[Result]) -> str:
    rows = [
        f"{'CLI':<9} {'version':<9} {'transition':<24} {'seen':<4} {'latency':>9}  "
        f"{'via':<12} {'lag':>7}  reference"
    ]
    for r in results:
        for k, s in enumerate(r.steps):
            head = f"{r.cli:<9} {r.version:<9}" if k == 0 else " " * 19
            lat = f"{s.latency_ms:.0f} ms" if s.latency_ms is not None else "-"
            mark = "✓" if s.seen else "✗"
            lag = f"{s.lag_ms:.0f} ms" if s.lag_ms is not None else "-"
            rows.append(
                f"{head} {s.name:<24} {mark:<4} {lat:>9}  {s.via or '-':<12} {lag:>7}  {s.ref}"
            )
        flick = "FLICKER" if r.events > r.real_changes else "no flicker"
        path = "whole path" if r.whole_path else "INCOMPLETE"
        rows.append(f"{'':19} events {r.events} for {r.real_changes} real changes: {flick}; {path}")
        rows.extend(f"{'':19} note: {n}" for n in r.notes)
    return "\n".join(rows)


def fixture_text(state: str, version: str, width: int, height: int, note: str, screen: str) -> str:
    """A screen fixture as tests/functional/test_screen_fixtures.py reads it: a header, `---`,
    the screen as `capture-pane -p -J` gave it."""
    head = f"state: {state}\nversion: {version}\nsize: {width}x{height}\nnote: {note}\n---\n"
    return head + screen
