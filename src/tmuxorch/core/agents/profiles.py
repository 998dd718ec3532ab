"""Which panes are agents, what kind, and what their screen says they are doing.

A pane is an agent when it carries the pane option `@tmuxorch-agent` (set by `spawn`), when a user
rule in the config says so, or when its process is a known agent CLI. Several agent CLIs run as
`node` or `python`, so for runtimes and shells the pane's process tree is read from /proc.

Each kind has a profile of screen patterns, built in and overridable in the config. States are
checked in a fixed order against the bottom of the visible screen: `waiting` (an approval or a
question outranks everything), then `idle_first` (a prompt on the last line that beats old busy
lines above it, for agents that leave them, like aider), then `busy` (before `idle`: a busy agent
still shows its prompt box), then `error`, then `idle`; nothing matching is `unknown`. A pattern
ending in `\\Z` looks at the last non-empty line only. The built-in patterns were checked on the
real CLIs' screens in tests/fixtures/screens/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tmuxorch.core.models import AgentState, Pane, Session, Window, WindowKind
from tmuxorch.core.store.config import RuleConfig, Settings

SCREEN_TAIL_LINES = 25
"""How many non-empty lines from the bottom of the screen the patterns look at: old output
further up (an error from an hour ago) must not decide the current state."""


@dataclass(frozen=True)
class AgentProfile:
    """How to recognise one kind of agent and read its screen."""

    kind: str
    processes: tuple[str, ...]
    busy: tuple[re.Pattern[str], ...] = ()
    waiting: tuple[re.Pattern[str], ...] = ()
    idle: tuple[re.Pattern[str], ...] = ()
    error: tuple[re.Pattern[str], ...] = ()
    idle_first: tuple[re.Pattern[str], ...] = ()
    """Idle patterns checked before `busy` (after `waiting`): a prompt on the last line says
    the agent is back even when an old busy line is still above it."""
    interrupt_keys: tuple[str, ...] = ("C-c",)
    titles: tuple[tuple[AgentState, re.Pattern[str]], ...] = ()
    """(state, pattern) on the pane title the CLI sets, first match wins."""

    def read_title(self, title: str) -> AgentState | None:
        """The state the terminal title says, or None when it says nothing we know."""
        for state, pattern in self.titles:
            if pattern.search(title):
                return state
        return None

    def classify(self, screen: str) -> AgentState:
        """The state the visible screen shows."""
        return self.read(screen).state

    def read(self, screen: str) -> ScreenReading:
        """The state the visible screen shows, with the rule that decided it and the line it
        matched (for `explain`), and the region that was read."""
        lines = [line for line in screen.splitlines() if line.strip()]
        region = tuple(lines[-SCREEN_TAIL_LINES:])
        tail = "\n".join(region)
        for state, group, patterns in (
            ("waiting", "waiting", self.waiting),
            ("idle", "idle_first", self.idle_first),
            ("busy", "busy", self.busy),
            ("error", "error", self.error),
            ("idle", "idle", self.idle),
        ):
            for index, pattern in enumerate(patterns):
                found = pattern.search(tail)
                if found is not None:
                    start = tail.rfind("\n", 0, found.start()) + 1
                    end = tail.find("\n", found.end())
                    line = tail[start : end if end >= 0 else len(tail)]
                    rule = f"{self.kind}.{group}[{index}] {pattern.pattern}"
                    return ScreenReading(state, rule, line.strip(), region)  # type: ignore[arg-type]
        return ScreenReading("unknown", "", "", region)


@dataclass(frozen=True)
class ScreenReading:
    """What a profile read on one screen: the state, the rule (`kind.group[index] pattern`)
    and the matched line that decided it (empty for `unknown`), and the lines it looked at."""

    state: AgentState
    rule: str
    line: str
    region: tuple[str, ...]


_GENERIC_BUSY = [r"esc to (?:interrupt|cancel)", r"ctrl\+c to (?:interrupt|cancel)"]
_GENERIC_WAITING = [
    r"Do you want to (?:proceed|make|create|run|allow)",
    r"❯\s*1\.\s*Yes",
    r"^\s*1\.\s*Yes\b",
    r"\((?:y/n|Y/n|y/N)\)",
    r"\[(?:y/n|Y/n|y/N)\]",
    r"Allow (?:once|always|execution|command)",
]
_GENERIC_IDLE = [r"^\s*[│|]\s*>\s", r"^\s*>\s*$", r"\? for shortcuts"]
_GENERIC_ERROR = [r"^\s*(?:API )?Error:", r"^\s*✗ .*error"]

BUILTIN_PROFILES: dict[str, dict[str, list[str]]] = {
    "claude": {
        "processes": ["claude", "claude-code", "@anthropic-ai/claude-code"],
        "busy": [*_GENERIC_BUSY, r"[✻✶✳✢✽·] \w+…"],
        "waiting": [
            *_GENERIC_WAITING,
            r"Enter to confirm · Esc to cancel",  # trust folder, use this API key?, menus
            r"Yes, I trust this folder",
            r"Do you want to use this API key\?",
            r"Select login method",  # /login
            r"Paste code here if prompted",  # /login: sign in in a browser, paste the code
        ],
        # The prompt between two rules (v2): `❯ ` alone or with typed text.
        "idle": [*_GENERIC_IDLE, r"^\s*❯(?!\s*\d+\.)(?:\s|$)"],
        "error": [
            r"API Error",
            r"Unable to connect to Anthropic services",
            r"Failed to connect to api\.anthropic\.com",
            r"⎿\s+Not logged in · Please run /login",  # a prompt sent without credentials
            *_GENERIC_ERROR,
        ],
        "interrupt_keys": ["Escape"],
        # The title Claude Code sets: a braille spinner while working, ✳ when idle.
        "title_busy": [r"^[\u2801-\u28ff] "],
        "title_idle": [r"^✳ "],
    },
    "codex": {
        "processes": ["codex", "@openai/codex"],
        "busy": [*_GENERIC_BUSY, r"Working \(\d+s"],
        "waiting": [
            *_GENERIC_WAITING,
            r"Allow command\?",
            r"Approve",
            r"Press enter to (?:continue|save)",  # sign-in choices, API key entry
            r"Finish signing in via your browser",  # says "press esc to cancel": not busy
            r"Trust this folder\?",
            r"enter continue · esc back",
        ],
        "idle": [*_GENERIC_IDLE, r"send\s+⏎", r"⏎ send"],
        "error": _GENERIC_ERROR,
        "interrupt_keys": ["Escape"],
    },
    "aider": {
        "processes": ["aider", "aider-chat"],
        # Aider writes line by line and leaves old spinners, retries and questions on the
        # screen: its state is on the last non-empty line (`[^\n]*\Z`), and the `>` prompt
        # there beats an old "Waiting for gpt-4o" above it.
        "busy": [
            r"Waiting for [^\n]+\Z",
            r"^\s*[░█▒▓]{2,}[^\n]*\Z",
            r"Retrying in [\d.]+ seconds\.*\s*\Z",
        ],
        "waiting": [
            r"\(Y\)es/\(N\)o[^\n]*\Z",
            r"\[Yes\]:\s*\Z",
            r"\((?:Y/n|y/N|y/n)\)\s*\Z",
            # OpenRouter sign-in: the user's turn, in a browser
            r"finish in the browser\.\.\.\s*\n[^\n]*Control-C to interrupt\.\s*\Z",
        ],
        "idle": [r"^\S*>[ \t]*$", r"^aider> ?"],
        "idle_first": [r"^\S*>\s*\Z", r"^aider>\s*\Z"],
        "error": _GENERIC_ERROR,
    },
    "gemini": {
        "processes": ["gemini", "@google/gemini-cli"],
        "busy": _GENERIC_BUSY,
        "waiting": [
            *_GENERIC_WAITING,
            r"Yes, allow once",
            r"Allow execution",
            r"Do you trust the files in this folder\?",
            r"How would you like to authenticate",
            r"\(Use Enter to select\)",
            r"Waiting for authentication\.\.\.",  # sign-in in a browser: the user's turn
            r"Enter Gemini API Key",
            r"Press Enter to submit",
        ],
        "idle": [*_GENERIC_IDLE, r"Type your message"],
        "error": _GENERIC_ERROR,
        "interrupt_keys": ["Escape"],
    },
    "opencode": {
        "processes": ["opencode", "opencode-ai"],
        # v1: "esc interrupt" (no "to") under the prompt while working, overwritten by
        # "Cannot connect to API … [retrying in 1s #1]" while retrying.
        "busy": [*_GENERIC_BUSY, r"\besc interrupt\b", r"\[retrying in \d+s"],
        "waiting": [
            *_GENERIC_WAITING,
            r"Connect a provider",  # /connect's provider list
            r"^\s*enter submit\s*$",  # a dialog's field (API key) over the prompt
        ],
        "idle": [*_GENERIC_IDLE, r"ctrl\+p commands", r"Ask anything…"],
        "error": _GENERIC_ERROR,
        "interrupt_keys": ["Escape"],
    },
    "goose": {
        "processes": ["goose"],
        "busy": _GENERIC_BUSY,
        "waiting": _GENERIC_WAITING,
        "idle": [*_GENERIC_IDLE, r"^\s*\( O\)>"],
        "error": _GENERIC_ERROR,
    },
    "cursor-agent": {
        "processes": ["cursor-agent"],
        "busy": _GENERIC_BUSY,
        "waiting": _GENERIC_WAITING,
        "idle": _GENERIC_IDLE,
        "error": _GENERIC_ERROR,
    },
    "amp": {
        "processes": ["amp", "@sourcegraph/amp"],
        "busy": _GENERIC_BUSY,
        "waiting": _GENERIC_WAITING,
        "idle": _GENERIC_IDLE,
        "error": _GENERIC_ERROR,
        "interrupt_keys": ["Escape"],
    },
    "sim": {
        "processes": ["tmuxorch.simagent", "simagent", "tmuxorch-simagent"],
        "busy": [r"esc to interrupt"],
        "waiting": [r"Do you want to proceed", r"^\s*❯?\s*1\. Yes"],
        "idle": [r"^\s*│ > "],
        "error": [r"^Error: "],
    },
}
"""Built-in profiles; `[agents.<kind>]` in the config replaces any of these lists or adds kinds."""


def load_profiles(settings: Settings) -> dict[str, AgentProfile]:
    """Built-in profiles with the config's overrides applied (and new kinds added)."""
    merged: dict[str, dict[str, list[str]]] = {k: dict(v) for k, v in BUILTIN_PROFILES.items()}
    for kind, override in settings.agents.items():
        target = merged.setdefault(kind, {"processes": [kind]})
        for key, value in override.model_dump(exclude_none=True).items():
            target[key] = list(value)
    return {kind: _compile(kind, spec) for kind, spec in merged.items()}


def _compile(kind: str, spec: Mapping[str, list[str]]) -> AgentProfile:
    def patterns(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.MULTILINE) for p in spec.get(key, []))

    return AgentProfile(
        kind=kind,
        processes=tuple(spec.get("processes", [kind])),
        busy=patterns("busy"),
        waiting=patterns("waiting"),
        idle=patterns("idle"),
        error=patterns("error"),
        idle_first=patterns("idle_first"),
        interrupt_keys=tuple(spec.get("interrupt_keys", ["C-c"])),
        titles=tuple(
            (state, re.compile(p))
            for state in ("waiting", "busy", "idle")
            for p in spec.get(f"title_{state}", [])
        ),
    )


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


@dataclass
class AgentDetector:
    """Decides which panes are agents. Results are cached per (pane, pid, command): the
    process tree is read again only when what runs in the pane changes."""

    profiles: Mapping[str, AgentProfile]
    rules: Iterable[RuleConfig] = ()
    proc: Path = Path("/proc")
    _cache: dict[tuple[str, int, str], str | None] = field(default_factory=dict)
    _compiled_rules: list[tuple[str, dict[str, re.Pattern[str]]]] = field(default_factory=list)
    _last_kind: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
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
            try:
                raw = (self.proc / str(current) / "cmdline").read_bytes()
                children = (
                    self.proc / str(current) / "task" / str(current) / "children"
                ).read_text()
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
