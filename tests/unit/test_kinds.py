"""Agent kinds as data files: the built-in ones, a user's, their errors, and what a profile
reads with them (regions, titles, rule names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tmuxorch.cli.main import main
from tmuxorch.core.agents.catalog import (
    BUILTIN_MODULE,
    builtin_files,
    builtin_folder,
    builtin_source,
    kind_profiles,
)
from tmuxorch.core.agents.kindfile import parse_kind, parse_patterns
from tmuxorch.core.agents.profiles import load_profiles
from tmuxorch.core.store.config import ConfigError, load_settings

KINDS = {"claude", "codex", "gemini", "opencode", "aider", "goose", "cursor-agent", "amp", "sim"}


def _error(text: str, label: str = "kinds/codex.toml") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_kind(text, label)
    return str(caught.value)


def test_every_kind_ships_as_a_file_and_compiles(tmp_path: Path) -> None:
    assert set(builtin_files().kinds) == KINDS
    assert set(builtin_files().patterns) == {"_generic"}
    profiles = kind_profiles(tmp_path / "none")
    assert set(profiles) == KINDS
    assert all(p.origin == "builtin" for p in profiles.values())
    assert profiles["opencode"].interrupt_keys == ("Escape", "Escape")
    assert profiles["opencode"].interrupt_gap > 0
    assert profiles["aider"].interrupt_keys == ("C-c",)
    assert {profiles[k].interrupt_keys for k in ("claude", "codex", "gemini")} == {("Escape",)}
    assert profiles["sim"].enter_delay == 0  # the suite sends thousands of messages
    assert profiles["codex"].enter_delay is not None
    assert profiles["codex"].enter_delay >= 0.12


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('busy = ["ok", "x("]',
         "kinds/codex.toml: busy[1]: invalid regex 'x(': missing ), unterminated subpattern"),
        ('busyy = ["a"]',
         "kinds/codex.toml: busyy: unknown key (the keys are processes, waiting, idle_first, "
         "busy, error, idle, region, interrupt, interrupt_gap, submit, title)"),
        ('[title]\nthinking = ["x"]', "kinds/codex.toml: title.thinking: unknown key"),
        ("busy = [1]",
         'kinds/codex.toml: busy[0]: expected a regex or { include = "_<pattern file>" }'),
        ('idle = [{ include = "generic" }]',
         'kinds/codex.toml: idle[0]: expected a regex or { include = "_<pattern file>" }'),
        ('interrupt = ["Escap e"]',
         "kinds/codex.toml: interrupt[0]: unknown key name 'Escap e': use tmux key names like "
         "C-c, Escape, Enter"),
        ("[region]\ntail_lines = 0",
         "kinds/codex.toml: region.tail_lines: Input should be greater than or equal to 1 (got 0)"),
        ('[region]\nabove = "["',
         "kinds/codex.toml: region.above: invalid regex '[': unterminated character set"),
        ('[submit]\nmulti_line = "type"',
         "kinds/codex.toml: submit.multi_line: Input should be 'paste' (got 'type')"),
        ("busy = [", "kinds/codex.toml: invalid TOML: "),
    ],
)  # fmt: skip
def test_a_bad_kind_file_is_one_line_naming_file_and_key(text: str, message: str) -> None:
    error = _error(text)
    assert error.startswith(message)
    assert "\n" not in error


def _user_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "config" / "tmuxorch" / "kinds"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_user_file_replaces_a_kind_and_adds_one(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, {
        "codex.toml": 'processes = ["codex"]\nbusy = ["THINKING"]\ninterrupt = ["C-c", "C-c"]\n',
        "mybot.toml": 'idle = [{ include = "_generic" }, "^bot> "]\n[submit]\nenter_delay = 0.5\n',
    })  # fmt: skip
    profiles = load_profiles(load_settings(_config(tmp_path, "")), folder)
    codex, mybot = profiles["codex"], profiles["mybot"]
    assert codex.origin == str(folder / "codex.toml")
    assert codex.classify("THINKING") == "busy"
    assert codex.classify("Working (3s · esc to interrupt)") == "unknown"  # replaced, not merged
    assert codex.interrupt_keys == ("C-c", "C-c")
    assert codex.enter_delay is None
    assert mybot.processes == ("mybot",)
    assert mybot.enter_delay == 0.5
    reading = mybot.read("hello\nbot> ")
    assert (reading.state, reading.rule, reading.line) == ("idle", "mybot.idle[1] ^bot> ", "bot>")
    assert mybot.read("│ > ").rule == r"_generic.idle[0] ^\s*[│|]\s*>\s"
    assert profiles["claude"].origin == "builtin"


def test_config_overrides_apply_on_top_of_a_user_file(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, {"mybot.toml": 'idle = ["^bot> "]\nbusy = ["working"]\n'})
    config = _config(tmp_path, '[agents.mybot]\nbusy = ["BUSY"]\ninterrupt_gap = 0.1\n')
    mybot = load_profiles(load_settings(config), folder)["mybot"]
    assert mybot.origin == f"{folder / 'mybot.toml'} + config [agents.mybot]"
    assert mybot.read("BUSY").rule == "agents.mybot.busy[0] BUSY"
    assert mybot.classify("working") == "unknown"
    assert mybot.classify("bot> ") == "idle"
    assert mybot.interrupt_gap == 0.1


def test_a_bad_user_file_names_the_users_file(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, {"claude.toml": 'waiting = ["(unclosed"]\n'})
    with pytest.raises(ConfigError) as caught:
        kind_profiles(folder)
    assert str(caught.value) == (
        f"{folder / 'claude.toml'}: waiting[0]: invalid regex '(unclosed': missing ), "
        "unterminated subpattern"
    )
    (folder / "claude.toml").write_text('busy = [{ include = "_mine" }]\n')
    with pytest.raises(ConfigError, match=r"claude\.toml: busy\[0\]: no pattern file _mine"):
        kind_profiles(folder)
    (folder / "claude.toml").unlink()
    (folder / "Bad Name.toml").write_text("")
    with pytest.raises(ConfigError, match=r"Bad Name\.toml: the file name is the kind: agent kind"):
        kind_profiles(folder)


def test_a_users_pattern_file_replaces_the_shared_lists(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, {"_generic.toml": 'busy = ["MY SPINNER"]\n'})
    amp = kind_profiles(folder)["amp"]
    assert amp.read("MY SPINNER").rule == "_generic.busy[0] MY SPINNER"
    assert amp.classify("esc to interrupt") == "unknown"


def test_regions_read_after_a_rule_line_and_above_a_prompt_box(tmp_path: Path) -> None:
    folder = _user_dir(tmp_path, {
        "boxed.toml": "busy = ['Working']\nidle = ['^> ']\nerror = ['Error']\n"
                      "[region]\ntail_lines = 6\nafter_last = '^=+$'\nabove = '^-+$'\n",
    })  # fmt: skip
    boxed = kind_profiles(folder)["boxed"]
    screen = "Error: old\n" + "=====\nWorking on it\n-----\n> \n"
    reading = boxed.read(screen)
    assert (reading.state, reading.region) == ("busy", ("Working on it",))
    assert boxed.classify("Error: old\n=====\n-----\n> ") == "unknown"  # nothing above the box
    many = "Error: old\n" + "\n".join(f"line {n}" for n in range(6)) + "\n> "
    assert boxed.read(many).region == (*(f"line {n}" for n in range(1, 6)), "> ")


def test_titles_say_a_state_where_the_cli_sets_one(tmp_path: Path) -> None:
    profiles = kind_profiles(tmp_path / "none")
    assert profiles["claude"].read_title("✳ Claude Code") is None  # 2.1.332 keeps it working
    assert profiles["claude"].read_title("⠂ Claude Code") == "busy"
    assert profiles["claude"].read_title("bash") is None
    assert profiles["gemini"].read_title("✋  Action Required (proj)") == "waiting"
    assert profiles["gemini"].read_title("✦  Working… (proj)") == "busy"
    assert profiles["gemini"].read_title("◇  Ready (proj)") == "idle"
    assert profiles["codex"].read_title("fix the tests | ~/proj") is None
    assert profiles["codex"].read_title("⠙ fix the tests | ~/proj") == "busy"
    assert profiles["codex"].read_title("[ ! ] Action Required") == "waiting"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "tmuxorch" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_kinds_command_lists_and_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TMUXORCH_CONFIG", raising=False)
    folder = _user_dir(tmp_path, {"mybot.toml": 'idle = ["^bot> "]\n'})
    _config(tmp_path, '[agents.claude]\nbusy = ["X"]\n')
    assert main(["kinds"]) == 0
    listed = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert listed["mybot"] == str(folder / "mybot.toml")
    assert listed["claude"] == "builtin + config [agents.claude]"
    assert listed["codex"] == "builtin"
    assert main(["kinds", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "tmuxorch.kinds/1"
    assert {k["kind"] for k in document["kinds"]} == KINDS | {"mybot"}
    assert main(["kinds", "show", "opencode", "--json"]) == 0
    (opencode,) = json.loads(capsys.readouterr().out)["kinds"]
    assert opencode["interrupt"] == ["Escape", "Escape"]
    assert opencode["patterns"]["busy"][0] == {
        "rule": "_generic.busy[0]", "pattern": "esc to (?:interrupt|cancel)",
    }  # fmt: skip
    assert main(["kinds", "show", "codex"]) == 0
    shown = capsys.readouterr().out
    assert "codex (builtin)" in shown
    assert "  codex.busy[1] Working \\(\\d+s" in shown
    assert main(["kinds", "show", "sim", "--toml"]) == 0
    assert parse_kind(capsys.readouterr().out, "sim").processes[0] == "tmuxorch.simagent"
    assert main(["kinds", "show", "nope"]) == 2
    assert capsys.readouterr().err.startswith("tmuxorch: no agent kind 'nope' (known: aider,")
    (folder / "mybot.toml").write_text("idle = 3\n")
    assert main(["kinds"]) == 2
    assert capsys.readouterr().err == (
        f"tmuxorch: {folder / 'mybot.toml'}: idle: Input should be a valid list (got 3)\n"
    )


def test_every_builtin_file_is_what_the_kind_file_schema_makes_of_it() -> None:
    """The package's own kind and pattern files are built without validation at run time
    (issue 17): each one, validated as a user's file is, gives the very same model."""
    files = builtin_files()
    assert len(files.kinds) + len(files.patterns) > len(KINDS)  # kinds and pattern files
    for name, (label, kind) in files.kinds.items():
        text = (Path(builtin_folder()) / f"{name}.toml").read_text(encoding="utf-8")
        assert kind == parse_kind(text, label), label
    for name, patterns in files.patterns.items():
        text = (Path(builtin_folder()) / f"{name}.toml").read_text(encoding="utf-8")
        assert patterns == parse_patterns(text, name), name


def test_the_builtin_kinds_module_is_the_kind_files() -> None:
    """A run reads the built-in kinds from core/agents/builtin_kinds.py, not the TOML (issue 17)."""
    written = Path(BUILTIN_MODULE).read_text(encoding="utf-8")
    assert written == builtin_source(), "run: python scripts/refresh_builtin_kinds.py"


def test_every_builtin_pattern_compiles() -> None:
    """The package's own kind files are trusted at load (their regexes compile on first use,
    issue 17): this is what backs that trust."""
    from tmuxorch.core.agents.kindfile import STATE_GROUPS

    profiles = kind_profiles(folder=Path("/nonexistent"))
    compiled = 0
    for profile in profiles.values():
        rules = [r for group in STATE_GROUPS for r in getattr(profile, group)]
        for rule in [*rules, *(r for _, r in profile.titles)]:
            assert rule.pattern.pattern == rule.source
            compiled += 1
    assert compiled > 100
