"""What the walk watches while a real CLI works: tmuxorch's `agent_state` events (read from
`tmuxorch events --json`), and the CLI's own signals — its pane title, Claude Code's session
file — polled, each change stamped with the moment it was seen.

Everything started here is stopped by its handle: the event reader by its PID, the tmux server
by its socket (`kill-server` on `-L`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POLL = 0.05


@dataclass
class Tmux:
    """A private tmux server, addressed by socket name only."""

    socket: str

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def capture(self, pane: str) -> str:
        return self("capture-pane", "-p", "-J", "-t", pane, check=False)

    def kill(self) -> None:
        """Stops the server and removes its socket (tmux 3.3a leaves it behind here)."""
        self("kill-server", check=False)
        base = os.environ.get("TMUX_TMPDIR") or "/tmp"
        socket = Path(base, f"tmux-{os.getuid()}", self.socket)
        socket.unlink(missing_ok=True)
        socket.with_name(socket.name + ".tmuxorch-hook").unlink(missing_ok=True)  # the doorbell


def kill_left_behind(home: Path) -> list[int]:
    """Stops, by PID, the processes a CLI left running from its private HOME: Codex 0.171
    starts an `app-server` daemon (from ~/.codex/packages/) that outlives the CLI and its tmux
    server. Only processes whose command line names `home` are touched."""
    mine = str(home)
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if mine in (proc / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(proc.name))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 3
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(POLL)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def stop_on_term(*_: object) -> None:
    """For SIGTERM: unwinds like Ctrl-C, so every tmux server and process is stopped on the way
    out."""
    raise SystemExit(143)


def tmuxorch(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tmuxorch", "-L", socket, *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


@dataclass
class Seen:
    t: float
    source: str
    value: Any
    via: str = ""
    """For an `agent_state` event, where tmuxorch took the state from (hook, screen, ...)."""
    since: float | None = None
    """For an `agent_state` event, when the state began: the agent's own clock for a hook or
    a session file, so `t - since` is our lag behind the CLI's change."""


@dataclass
class Watch:
    """The event stream and the polled signals of one pane, in the order they were seen."""

    tmux: Tmux
    pane: str
    session_dir: Path | None = None
    events: list[Seen] = field(default_factory=list)
    signals: list[Seen] = field(default_factory=list)
    _proc: subprocess.Popen[str] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tmuxorch", "-L", self.tmux.socket, "events", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for target in (self._read_events, self._poll_signals):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for thread in self._threads:
            thread.join(timeout=5)

    def _read_events(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            t = time.time()
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "agent_state" and event.get("pane_id") == self.pane:
                with self.lock:
                    via = str(event.get("source", ""))
                    since = event.get("since")
                    self.events.append(Seen(t, "agent_state", event["state"], via, since))

    def _poll_signals(self) -> None:
        last: dict[str, Any] = {}
        while not self._stop.is_set():
            now = {
                "title": self.tmux(
                    "display-message", "-p", "-t", self.pane, "#{pane_title}", check=False
                ).strip()
            }
            if self.session_dir is not None:
                for path in sorted(self.session_dir.glob("*.json")):
                    with contextlib.suppress(OSError, json.JSONDecodeError):
                        data = json.loads(path.read_text(encoding="utf-8"))
                        now["session-file"] = data.get("status")
            for source, value in now.items():
                if last.get(source) != value:
                    with self.lock:
                        self.signals.append(Seen(time.time(), source, value))
                    last[source] = value
            self._stop.wait(POLL)

    def states_since(self, index: int) -> list[Seen]:
        with self.lock:
            return self.events[index:]

    def wait_state(self, index: int, states: set[str], timeout: float) -> Seen | None:
        """The first event from `index` on whose state is in `states`, waiting up to `timeout`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for seen in self.states_since(index):
                if seen.value in states:
                    return seen
            time.sleep(POLL)
        return None

    def current(self) -> str | None:
        with self.lock:
            return self.events[-1].value if self.events else None


def settle(tmux: Tmux, pane: str, quiet: float = 0.4, limit: float = 3.0) -> str:
    """The pane's screen once it has not changed for `quiet` seconds (or after `limit`)."""
    deadline = time.time() + limit
    screen, since = tmux.capture(pane), time.time()
    while time.time() < deadline:
        time.sleep(POLL)
        now = tmux.capture(pane)
        if now != screen:
            screen, since = now, time.time()
        elif time.time() - since >= quiet:
            break
    return screen
