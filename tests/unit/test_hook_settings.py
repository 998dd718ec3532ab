"""Our hook entries merged into a user's settings text and taken out again: theirs untouched,
twice is once, and uninstall gives back the exact text when nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit

from tmuxorch.core.agents.hook_events import REPORT_OPTION
from tmuxorch.usecases import hook_settings as hs
from tmuxorch.usecases.agent_hooks import settings_path

CLAUDE_USER = """{
   "model":"opus",
   "hooks": {
      "Stop": [ {"hooks": [{"type": "command", "command": "notify-send done"}]} ],
      "PreToolUse": [ {"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh"}]} ]
   },
   "permissions": {"allow": ["Bash(ls:*)"], "deny": []},
   "env": {"Ünïcode": "✓"}
}"""
CODEX_USER = """# my codex settings
model = "o3"   # the good one
notify = [
  "notify-send",
  "Codex",
]

[projects."/home/me/src"]
trust_level = "trusted"
"""


@pytest.mark.parametrize(("kind", "text"), [("claude", CLAUDE_USER), ("gemini", CLAUDE_USER),
                                            ("codex", CODEX_USER), ("codex", "")])  # fmt: skip
def test_install_then_uninstall_gives_back_the_exact_text(kind: str, text: str) -> None:
    installed = hs.install(kind, text)
    assert installed != text
    assert hs.status(kind, installed) == "installed"
    assert hs.install(kind, installed) == installed  # twice is once
    assert hs.uninstall(kind, installed, text) == text


@pytest.mark.parametrize("kind", hs.KINDS)
def test_a_file_we_created_goes_away_again(kind: str) -> None:
    installed = hs.install(kind, None)
    assert hs.status(kind, installed) == "installed"
    assert hs.uninstall(kind, installed, None) is None


def test_install_merges_after_the_users_entries_and_keeps_all_of_theirs() -> None:
    data = json.loads(hs.install("claude", CLAUDE_USER))
    assert list(data) == ["model", "hooks", "permissions", "env"]
    assert data["env"] == {"Ünïcode": "✓"}
    stop = data["hooks"]["Stop"]
    assert stop[0] == {"hooks": [{"type": "command", "command": "notify-send done"}]}
    assert REPORT_OPTION in stop[1]["hooks"][0]["command"]
    assert list(data["hooks"])[:2] == ["Stop", "PreToolUse"]
    notifications = [g["matcher"] for g in data["hooks"]["Notification"]]
    assert notifications == ["permission_prompt", "elicitation_dialog", "idle_prompt"]


def test_edits_made_after_install_are_kept_by_uninstall() -> None:
    data = json.loads(hs.install("claude", CLAUDE_USER))
    data["theme"] = "light"
    data["hooks"]["Stop"].append({"hooks": [{"type": "command", "command": "later.sh"}]})
    edited = json.dumps(data, indent=3)
    left = hs.uninstall("claude", edited, CLAUDE_USER)
    assert left is not None
    assert REPORT_OPTION not in left
    after = json.loads(left)
    assert after["theme"] == "light"
    assert [g["hooks"][0]["command"] for g in after["hooks"]["Stop"]] == [
        "notify-send done",
        "later.sh",
    ]
    assert "Notification" not in after["hooks"]  # emptied by us: gone
    assert "\n   " in left  # their indent


def test_a_handler_the_user_put_into_our_group_stays() -> None:
    data = json.loads(hs.install("claude", None))
    data["hooks"]["Stop"][0]["hooks"].append({"type": "command", "command": "mine.sh"})
    left = hs.uninstall("claude", json.dumps(data), None)
    assert left is not None
    assert json.loads(left) == {"hooks": {"Stop": [{"hooks": [mine := {
        "type": "command", "command": "mine.sh"}]}]}}  # fmt: skip
    assert mine["command"] == "mine.sh"


def test_an_outdated_entry_is_replaced_not_added_to() -> None:
    data = json.loads(hs.install("claude", CLAUDE_USER))
    data["hooks"]["Stop"][1]["hooks"][0]["command"] += " # an older snippet"
    del data["hooks"]["SessionEnd"]
    old = json.dumps(data, indent=3)
    assert hs.status("claude", old) == "outdated"
    again = hs.install("claude", old)
    assert hs.status("claude", again) == "installed"
    assert again.count(REPORT_OPTION) == hs.install("claude", CLAUDE_USER).count(REPORT_OPTION)
    assert hs.uninstall("claude", again, CLAUDE_USER) == CLAUDE_USER


def test_codex_runs_the_users_own_notify_after_ours_and_gives_it_back() -> None:
    installed = hs.install("codex", CODEX_USER)
    argv = tomlkit.parse(installed)["notify"].unwrap()
    assert argv[:2] == ["sh", "-c"]
    assert argv[2].endswith('exec "$@"')
    assert argv[3:] == [hs.NOTIFY_NAME, "notify-send", "Codex"]
    assert "# my codex settings" in installed
    assert 'model = "o3"   # the good one' in installed
    edited = installed.replace('model = "o3"', 'model = "o4"')
    left = hs.uninstall("codex", edited, CODEX_USER)
    assert left is not None
    assert tomlkit.parse(left)["notify"].unwrap() == ["notify-send", "Codex"]
    assert 'model = "o4"   # the good one' in left


def test_a_codex_config_without_notify_gets_ours_before_its_tables() -> None:
    text = 'model = "o3"\n\n[tui]\nnotifications = true\n'
    installed = hs.install("codex", text)
    assert installed.index("notify =") < installed.index("[tui]")
    assert tomlkit.parse(installed)["notify"].unwrap()[-1] == hs.NOTIFY_NAME
    assert hs.uninstall("codex", installed, None) == text  # what is left is theirs: kept


def test_nothing_of_ours_means_nothing_to_take_out() -> None:
    assert hs.status("claude", CLAUDE_USER) == "not installed"
    assert hs.uninstall("claude", CLAUDE_USER, None) == CLAUDE_USER
    assert hs.status("codex", CODEX_USER) == "not installed"


@pytest.mark.parametrize(
    ("kind", "text", "says"),
    [
        ("claude", "{", "not valid JSON"),
        ("claude", "[]", "not a JSON object"),
        ("claude", '{"hooks": []}', '"hooks" is not an object'),
        ("claude", '{"hooks": {"Stop": {}}}', '"hooks" is not an object'),
        ("gemini", '{"a": 1, // a comment\n}', "not valid JSON"),
        ("codex", "model = ", "not valid TOML"),
        ("codex", "notify = 3", "notify is not an array of strings"),
        ("codex", "notify = [1, 2]", "notify is not an array of strings"),
    ],
)
def test_a_file_we_cannot_read_right_is_refused(kind: str, text: str, says: str) -> None:
    with pytest.raises(hs.HookSettingsError, match=says):
        hs.install(kind, text)


def test_the_paste_text_is_a_settings_file_with_only_ours() -> None:
    claude = json.loads(hs.paste_text("claude"))
    assert claude == {"hooks": hs.json_entries("claude")}
    assert hs.status("codex", hs.paste_text("codex")) == "installed"
    gemini = hs.json_entries("gemini")
    assert gemini["Notification"][0]["matcher"] == "ToolPermission"
    assert gemini["AfterAgent"][0]["hooks"][0]["timeout"] == 5000


def test_each_cli_s_own_directory_variable_is_honoured() -> None:
    home = {"HOME": "/h"}
    assert settings_path("claude", home) == Path("/h/.claude/settings.json")
    assert settings_path("codex", home) == Path("/h/.codex/config.toml")
    assert settings_path("gemini", home) == Path("/h/.gemini/settings.json")
    assert settings_path("claude", {**home, "CLAUDE_CONFIG_DIR": "/c"}) == Path("/c/settings.json")
    assert settings_path("codex", {**home, "CODEX_HOME": "/x"}) == Path("/x/config.toml")
    gemini = settings_path("gemini", {**home, "GEMINI_CLI_HOME": "/g"})
    assert gemini == Path("/g/.gemini/settings.json")
    with pytest.raises(hs.HookSettingsError, match="unknown agent kind 'aider'"):
        settings_path("aider", home)


def test_a_backup_that_no_longer_parses_is_ignored() -> None:
    installed = hs.install("claude", CLAUDE_USER)
    left = hs.uninstall("claude", installed, "{ not json")
    assert left is not None
    assert json.loads(left) == json.loads(CLAUDE_USER)


def test_gemini_s_own_keys_in_hooks_are_left_alone() -> None:
    text = '{"hooks": {"enabled": true, "disabled": ["x"], "notifications": {"a": 1}}}\n'
    installed = hs.install("gemini", text)
    hooks = json.loads(installed)["hooks"]
    assert (hooks["enabled"], hooks["disabled"], hooks["notifications"]) == (True, ["x"], {"a": 1})
    assert hs.status("gemini", installed) == "installed"
    assert hs.uninstall("gemini", installed, text) == text
    assert json.loads(hs.uninstall("gemini", installed, None) or "") == json.loads(text)
