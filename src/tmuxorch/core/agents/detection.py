"""Which panes are agents and of what kind, and what kind of window holds them.

A pane is an agent when it carries the pane option `@tmuxorch-agent` (set by `spawn`), when a user
rule in the config says so, or when its process is a known agent CLI (a profile's `processes`).
Several agent CLIs run as `node` or `python`, so for runtimes and shells the pane's process tree
is read from /proc.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

from tmuxorch.core.agents.reading import AgentProfile
from tmuxorch.core.models import Pane, Session, Window
from tmuxorch.core.store.config import RuleConfig

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import WindowKind

SHELLS = frozenset(
    {"bash", "zsh", "fish", "sh", "dash", "ksh", "mksh", "tcsh", "csh", "nu", "pwsh", "xonsh",
     "elvish", "login"}
)  # fmt: skip
RUNTIMES = frozenset(
    {"node", "nodejs", "bun", "deno", "python", "python3", "npx", "uv", "uvx", "pipx", "ruby"}
)
EDITORS = frozenset(
    {"vim", "nvim", "vi", "view", "emacs", "nano", "hx", "helix", "micro", "kak", "joe", "mg"}
)
MONITORS = frozenset(
    {"htop", "top", "btop", "btm", "glances", "atop", "nvtop", "iotop", "watch", "tail", "less",
     "journalctl", "k9s", "dmesg", "lnav", "multitail"}
)  # fmt: skip
SERVERS = frozenset(
    {"npm", "pnpm", "yarn", "vite", "webpack", "next", "nodemon", "uvicorn", "gunicorn", "flask",
     "rails", "puma", "cargo-watch", "watchexec", "entr", "air", "hugo", "jekyll", "tsc",
     "esbuild", "docker-compose", "caddy", "nginx", "redis-server", "postgres", "http-server"}
)  # fmt: skip


def _is_python(command: str) -> bool:
    return command.startswith("python")


class AgentDetector:
    """Decides which panes are agents. Results are cached per (pane, pid, command): the
    process tree is read again only when what runs in the pane changes."""

    def __init__(
        self,
        profiles: Mapping[str, AgentProfile],
        rules: Iterable[RuleConfig] = (),
        proc: str | os.PathLike[str] = "/proc",
    ) -> None:
        self.profiles = profiles
        self.rules = rules
        self.proc = os.fspath(proc)
        """/proc (a string: core/store/paths.py says why), or a test's stand-in."""
        self._cache: dict[tuple[str, int, str], str | None] = {}
        self._compiled_rules: list[tuple[str, dict[str, re.Pattern[str]]]] = []
        self._last_kind: dict[str, str] = {}
        for rule in self.rules:
            matchers = {
                name: re.compile(pattern)
                for name in ("command", "window_name", "session_name", "cwd")
                if (pattern := getattr(rule, name)) is not None
            }
            self._compiled_rules.append((rule.kind, matchers))

    def kind_of(
        self,
        pane: Pane,
        window: Window,
        session: Session,
        tag: str | None,
        *,
        started: Sequence[str] = (),
    ) -> str | None:
        """The agent kind of this pane, or None when it is not an agent. A dead pane has no
        process to read: it is what it was seen running, or what it was `started` with."""
        if tag:
            return tag
        for kind, matchers in self._compiled_rules:
            values = {
                "command": pane.command, "window_name": window.name,
                "session_name": session.name, "cwd": pane.cwd,
            }  # fmt: skip
            if all(m.search(values[name]) for name, m in matchers.items()):
                return kind
        if pane.dead:
            return self._last_kind.get(pane.id) or self._match_argv(list(started))
        key = (pane.id, pane.pid, pane.command)
        if key not in self._cache:
            if len(self._cache) > 4096:
                self._cache.clear()
                self._last_kind.clear()
            self._cache[key] = self._by_process(pane)
        detected = self._cache[key]
        if detected is not None:
            self._last_kind[pane.id] = detected
        return detected

    def _by_process(self, pane: Pane) -> str | None:
        by_name = self._match_token(pane.command)
        if by_name is not None:
            return by_name
        if (
            pane.command not in SHELLS
            and pane.command not in RUNTIMES
            and not _is_python(pane.command)
        ):
            return None
        for argv in self._process_tree(pane.pid):
            kind = self._match_argv(argv)
            if kind is not None:
                return kind
        return None

    def _match_token(self, token: str) -> str | None:
        base = os.path.basename(token)
        for profile in self.profiles.values():
            for marker in profile.processes:
                if base == marker or (marker.startswith("@") and marker in token):
                    return profile.kind
                if "/" in token and f"/{marker}/" in token:
                    return profile.kind
        return None

    def _match_argv(self, argv: list[str]) -> str | None:
        if not argv:
            return None
        head = os.path.basename(argv[0])
        if head in SHELLS:
            return None  # a shell's own arguments are not what it runs
        candidates = [argv[0]]
        if head in RUNTIMES or _is_python(head):
            candidates += [a for a in argv[1:4] if a != "-m" and not a.startswith("-")]
        for token in candidates:
            kind = self._match_token(token)
            if kind is not None:
                return kind
        return None

    def _process_tree(self, pid: int, limit: int = 64) -> list[list[str]]:
        """argv of the pane's process and its descendants (breadth first, bounded)."""
        found: list[list[str]] = []
        queue = [pid]
        while queue and len(found) < limit:
            current = queue.pop(0)
            where = f"{self.proc}/{current}"
            try:
                with open(f"{where}/cmdline", "rb") as file:
                    raw = file.read()
                with open(f"{where}/task/{current}/children") as file:
                    children = file.read()
            except OSError:
                continue
            found.append([part.decode("utf-8", "replace") for part in raw.split(b"\0") if part])
            queue += [int(child) for child in children.split()]
        return found


def window_kind(panes: Sequence[Pane]) -> WindowKind:
    """The one place that decides a window's kind, from its panes (agents already marked)."""
    if any(pane.agent is not None for pane in panes):
        return "agent"
    ordered = sorted(panes, key=lambda p: not p.active)
    for pane in ordered:
        command = pane.command
        if command in EDITORS:
            return "editor"
        if command in MONITORS:
            return "monitor"
        if command in SERVERS:
            return "server"
    if ordered and all(pane.command in SHELLS for pane in ordered):
        return "shell"
    return "other"
