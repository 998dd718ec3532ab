"""Claude Code's own per-process session files, read as a precise state source.

While it runs, Claude Code keeps `~/.claude/sessions/<pid>.json` (`$CLAUDE_CONFIG_DIR/sessions`
when that is set) with its `status` ("busy", "idle", "waiting" with `waitingFor`, ...) and
`statusUpdatedAt` (ms), and removes it when it exits (seen on 2.1.197 and 2.1.332). The file is
named by the CLI's pid, which is somewhere below the pane's own process: each pid is linked to
its pane once, by walking its parents in /proc, and a file is parsed again only when its mtime
changes, so a sweep costs one directory listing and a stat per live Claude.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tmuxorch.core.agents.reports import Report

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState

_STATUS: dict[str, AgentState] = {"busy": "busy", "idle": "idle", "waiting": "waiting"}
_MAX_DEPTH = 16
"""How many parents up a pid may be from its pane's process (a shell, a wrapper, node...)."""


def claude_sessions_dir() -> str:
    """Where Claude Code keeps its session files for the user running tmuxorch (a string:
    core/store/paths.py says why)."""
    base = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return os.path.join(base, "sessions")


def _parent(pid: int, proc: str) -> int | None:
    try:
        with open(f"{proc}/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and ')'
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


class SessionFiles:
    """Reads the session files of one directory and links them to panes."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        proc: str | os.PathLike[str] = "/proc",
    ) -> None:
        self.directory = claude_sessions_dir() if directory is None else os.fspath(directory)
        self.proc = os.fspath(proc)
        self._parsed: dict[str, tuple[int, Report | None]] = {}
        """file name -> (mtime_ns it had, what it said)."""
        self._pane_of: dict[int, int | None] = {}
        """CLI pid -> the pane pid it runs under (None: under no pane of ours)."""

    def reports(self, pane_pids: Mapping[str, int]) -> dict[str, Report]:
        """The report of each pane (id -> pane pid) that has a live session file below it."""
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            self._parsed.clear()
            return {}
        by_pid = {pid: pane_id for pane_id, pid in pane_pids.items()}
        found: dict[str, Report] = {}
        seen: set[str] = set()
        for entry in entries:
            name = entry.name
            stem = name.removesuffix(".json")
            if stem == name or not stem.isdigit():
                continue
            seen.add(name)
            pane_id = self._pane(int(stem), by_pid)
            if pane_id is None:
                continue
            report = self._read(entry)
            if report is not None:
                found[pane_id] = report
        for gone in set(self._parsed) - seen:
            del self._parsed[gone]
        for pid in [pid for pid in self._pane_of if f"{pid}.json" not in seen]:
            del self._pane_of[pid]  # its CLI exited: the pid may come back for anything
        return found

    def _pane(self, pid: int, by_pid: Mapping[int, str]) -> str | None:
        """The pane `pid` runs under (cached; a pid under no pane of ours stays None until
        its file goes away)."""
        if pid not in self._pane_of:
            self._pane_of[pid] = self._ancestor_in(pid, by_pid)
        pane_pid = self._pane_of[pid]
        return by_pid.get(pane_pid) if pane_pid is not None else None

    def _ancestor_in(self, pid: int, by_pid: Mapping[int, str]) -> int | None:
        current: int | None = pid
        for _ in range(_MAX_DEPTH):
            if current is None or current <= 1:
                return None
            if current in by_pid:
                return current
            current = _parent(current, self.proc)
        return None

    def _read(self, entry: os.DirEntry[str]) -> Report | None:
        try:
            mtime = entry.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._parsed.get(entry.name)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        report = _report(entry.path)
        self._parsed[entry.name] = (mtime, report)
        return report


def _report(path: str) -> Report | None:
    import json  # only when Claude Code runs: a status bar with no such file loads none of it

    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    status = data.get("status")
    state = _STATUS.get(status) if isinstance(status, str) else None
    stamp = data.get("statusUpdatedAt") or data.get("updatedAt")
    if state is None or not isinstance(stamp, int | float):
        return None
    waiting_for = data.get("waitingFor")
    reason = f"status {status}" + (f" ({waiting_for})" if isinstance(waiting_for, str) else "")
    at = stamp / 1000 if stamp > 1e11 else float(stamp)
    return Report(state, "session-file", reason, at)
