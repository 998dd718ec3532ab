"""How each real agent CLI is set up to talk to the fake model, in a private HOME and a
throwaway project directory, so that it starts straight at its prompt: onboarding done, the
folder trusted, the API key accepted, approvals on (so a tool call asks), our hook logger
registered wherever the CLI has hooks.

Each `Cli.prepare` writes the config files and gives the argv and environment to start with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = (
    Path(os.environ.get("TMUXORCH_REAL_AGENTS_DIR", Path.home() / ".cache/tmuxorch/real-agents"))
    / "bin"
)
HOOKLOG = Path(__file__).resolve().parent / "hooklog.py"
CLAUDE_KEY = "sk-ant-api03-fakefakefakefakefakefakefake0123456789"


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class Cli:
    """One CLI: `approve` are the tmux keys that accept its approval prompt (its first, default
    choice, "yes, once") and `asks` a line of that prompt (the walk goes on even when tmuxorch
    misreads it); `interrupt` the keys believed to stop a turn (probes.py checks them); `again`
    a follow-up question after the approval, answered the same way; `startup` the questions its
    config cannot answer beforehand, each as (fixture name, a line of its screen, the keys that
    answer it)."""

    name: str
    prepare: Callable[[Path, Path, str], Launch]
    approve: tuple[str, ...]
    asks: str
    interrupt: tuple[str, ...]
    startup: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    again: str = ""

    @property
    def binary(self) -> Path:
        return BIN / self.name

    def version(self) -> str:
        """The version it reports (`--version`), as the fixtures' header writes it."""
        try:
            done = subprocess.run(
                [str(self.binary), "--version"], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return "?"
        words = (done.stdout.strip().splitlines() or ["?"])[-1].split()
        return next((w for w in words if w[:1].isdigit()), "?")

    def installed(self) -> bool:
        return self.binary.exists() and shutil.which(str(self.binary)) is not None


def _hook(who: str) -> str:
    return f"python3 {HOOKLOG} {who}"


def _hook_table(
    who: str, events: tuple[str, ...], matcher: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Settings' `hooks`: the hook logger on each event (Claude's, Codex's and Gemini's shape;
    Codex's entries have no matcher)."""
    entry: dict[str, Any] = {"hooks": [{"type": "command", "command": _hook(who)}]}
    if matcher is not None:
        entry = {"matcher": matcher, **entry}
    return {event: [entry] for event in events}


def _base_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "TERM": "xterm-256color",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMUXORCH_WALK_HOOKLOG": str(home / "hooks.jsonl"),
        "NO_UPDATE_NOTIFIER": "1",
    }


def _claude(home: Path, proj: Path, url: str) -> Launch:
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    state = {
        "hasCompletedOnboarding": True,
        "numStartups": 5,
        "theme": "dark",
        "customApiKeyResponses": {"approved": [CLAUDE_KEY[-20:]], "rejected": []},
        "projects": {
            str(proj): {
                "hasTrustDialogAccepted": True,
                "hasCompletedProjectOnboarding": True,
                "allowedTools": [],
            }
        },
    }
    (home / ".claude.json").write_text(json.dumps(state), encoding="utf-8")
    events = (
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PermissionRequest",
        "PostToolUse",
        "Notification",
        "Stop",
        "StopFailure",
        "SubagentStop",
        "PreCompact",
        "SessionEnd",
    )
    hooks = _hook_table("claude", events, matcher="")
    # 2.1.332 starts in auto mode, which approves tool calls itself, and asks whether to keep it.
    settings = {
        "hooks": hooks,
        "permissions": {"defaultMode": "default"},
        "disableAutoMode": "disable",
    }
    (home / ".claude" / "settings.json").write_text(
        json.dumps(settings, indent=1), encoding="utf-8"
    )
    env = _base_env(home) | {
        "ANTHROPIC_BASE_URL": url,
        "ANTHROPIC_API_KEY": CLAUDE_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
    }
    return Launch([str(BIN / "claude")], env)


def _codex(home: Path, proj: Path, url: str) -> Launch:
    (home / ".codex").mkdir(parents=True, exist_ok=True)
    config = f"""model = "fake-model"
model_provider = "fake"
approval_policy = "on-request"
sandbox_mode = "read-only"
notify = ["python3", "{HOOKLOG}", "codex-notify"]
check_for_update_on_startup = false

[features]
codex_hooks = true

[model_providers.fake]
name = "fake"
base_url = "{url}/v1"
env_key = "FAKE_API_KEY"
wire_api = "responses"

[projects."{proj}"]
trust_level = "trusted"
"""
    (home / ".codex" / "config.toml").write_text(config, encoding="utf-8")
    events = (
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PermissionRequest",
        "PostToolUse",
        "Stop",
    )
    hooks = _hook_table("codex", events)
    (home / ".codex" / "hooks.json").write_text(
        json.dumps({"hooks": hooks}, indent=1), encoding="utf-8"
    )
    return Launch([str(BIN / "codex")], _base_env(home) | {"FAKE_API_KEY": "fake-key"})


def _opencode(home: Path, proj: Path, url: str) -> Launch:
    conf = home / ".config" / "opencode"
    conf.mkdir(parents=True, exist_ok=True)
    config = {
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "fake": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake",
                "options": {"baseURL": f"{url}/v1", "apiKey": "fake-key"},
                "models": {"fake-model": {"name": "Fake model"}},
            }
        },
        "model": "fake/fake-model",
        "small_model": "fake/fake-model",
        "permission": {"bash": "ask", "edit": "ask"},
        "autoupdate": False,
        "share": "disabled",
    }
    (conf / "opencode.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    return Launch([str(BIN / "opencode")], _base_env(home))


def _aider(home: Path, proj: Path, url: str) -> Launch:
    argv = [
        str(BIN / "aider"),
        "--openai-api-base",
        f"{url}/v1",
        "--openai-api-key",
        "fake-key",
        "--model",
        "openai/fake-model",
        "--no-git",
        "--no-check-update",
        "--no-show-model-warnings",
        "--analytics-disable",
        "--no-show-release-notes",
        "--no-auto-commits",
        "--edit-format",
        "diff",
    ]
    env = _base_env(home) | {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return Launch(argv, env)


def _gemini(home: Path, proj: Path, url: str) -> Launch:
    conf = home / ".gemini"
    conf.mkdir(parents=True, exist_ok=True)
    events = (
        "SessionStart",
        "BeforeAgent",
        "BeforeModel",
        "AfterModel",
        "BeforeTool",
        "AfterTool",
        "AfterAgent",
        "Notification",
        "SessionEnd",
    )
    hooks = _hook_table("gemini", events, matcher="*")
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": True}},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
        "model": {"name": "fake-model"},
        "hooks": hooks,
    }
    (conf / "settings.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    (conf / "trustedFolders.json").write_text(
        json.dumps({str(proj): "TRUST_FOLDER"}), encoding="utf-8"
    )
    env = _base_env(home) | {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": "fake-key"}
    return Launch([str(BIN / "gemini")], env)


CLIS = (
    Cli("claude", _claude, ("Enter",), "Do you want to proceed?", ("Escape",)),
    Cli(
        "codex",
        _codex,
        ("y",),
        "Would you like to run the following command?",
        ("Escape",),
        (("hooks-review-question", "Hooks need review", ("2", "Enter")),),
    ),
    Cli("opencode", _opencode, ("Enter",), "Permission required", ("Escape", "Escape")),
    Cli(
        "aider",
        _aider,
        ("y", "Enter"),
        "Run shell command?",
        ("C-c",),
        again="Add command output to the chat?",
    ),
    Cli("gemini", _gemini, ("Enter",), "Allow execution", ("Escape",)),
)
