"""How a backend's link reads to people (`live 3 ms`, `reconnecting…`): the TUI's header and
the monitor's show the same words, from the capabilities every Backend declares."""

from __future__ import annotations

from tmuxorch.core.backend import Backend

WORDS = {"reconnecting": "reconnecting…", "connecting": "connecting…"}


def connection_text(backend: Backend) -> str | None:
    """`live 3 ms`, `reconnecting…`, … for a backend with a link (a remote one); None for one
    without (local)."""
    state = backend.connection_state
    if state is None:
        return None
    if state == "live":
        latency = backend.latency
        return "live" if latency is None else f"live {latency * 1000:.0f} ms"
    return WORDS.get(state, state)
