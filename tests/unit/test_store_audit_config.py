"""The persistent side of tmuxorch: file locations, the SQLite store, the audit log, the config."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import threading
import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import platformdirs
import pytest

from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.core.store import paths
from tmuxorch.core.store.audit import TEXT_PREVIEW_CHARS, AuditEntry, AuditLog, local_actor
from tmuxorch.core.store.config import (
    ENV_FIELDS,
    AgentProfileConfig,
    ConfigError,
    RuleConfig,
    Settings,
    load_settings,
)
from tmuxorch.core.store.migrations import MIGRATIONS
from tmuxorch.core.store.store import Store, StoreError, split_statements


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the user's real data or config; no stray TMUXORCH_ variables."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in list(os.environ):
        if name.upper().startswith("TMUXORCH_"):
            monkeypatch.delenv(name)


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- paths ---------------------------------------------------------------------------------------


def test_paths_follow_xdg_variables_read_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert paths.database_path() == str(tmp_path / "xdg-data" / "tmuxorch" / "tmuxorch.db")
    assert paths.config_path() == str(tmp_path / "xdg-config" / "tmuxorch" / "config.toml")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    assert paths.data_dir() == str(tmp_path / "elsewhere" / "tmuxorch")
    assert not os.path.exists(paths.data_dir())  # looking a path up does not create it


def test_the_environment_sets_exactly_the_scalar_settings() -> None:
    from typing import get_type_hints

    from tmuxorch.core.fields import give_annotation_names

    give_annotation_names(Settings)  # its aliases are made on demand (core/fields.py)
    scalars = {n for n, t in get_type_hints(Settings).items() if t in (float, int, str, bool)}
    assert scalars == ENV_FIELDS


@pytest.mark.skipif(sys.platform != "linux", reason="paths.py reads the XDG spec on Linux only")
@pytest.mark.parametrize("value", [None, "", "relative/dir", "/abs/elsewhere", "/abs/trailing/"])
def test_xdg_dirs_are_the_ones_platformdirs_gives(
    value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        if value is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, value)
    assert Path(paths.data_dir()) == Path(platformdirs.user_data_dir("tmuxorch", appauthor=False))
    assert Path(paths.config_dir()) == Path(
        platformdirs.user_config_dir("tmuxorch", appauthor=False)
    )


def test_ensure_data_dir_is_private_and_tightens_a_wide_mode(tmp_path: Path) -> None:
    created = paths.ensure_data_dir()
    assert created == paths.data_dir()
    assert mode(created) == 0o700
    os.chmod(created, 0o755)
    paths.ensure_data_dir()
    assert mode(created) == 0o700


# -- store ---------------------------------------------------------------------------------------


def test_default_store_creates_private_dir_and_file(tmp_path: Path) -> None:
    with Store() as store:
        assert store.path == Path(paths.database_path())
        assert store.schema_version == len(MIGRATIONS)
    assert mode(paths.data_dir()) == 0o700
    assert mode(paths.database_path()) == 0o600


def test_store_tightens_existing_world_readable_file(tmp_path: Path) -> None:
    db = tmp_path / "loose.db"
    db.touch()
    os.chmod(db, 0o644)
    with Store(db):
        pass
    assert mode(db) == 0o600


def test_store_uses_wal_and_is_reopenable(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "t.db"
    with Store(db) as store:
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        AuditLog(store).record("me", "send", ["%1"], [])
    assert mode(db.parent) == 0o700
    with Store(db) as again:  # migrations are not re-applied; data survives
        assert again.schema_version == len(MIGRATIONS)
        assert len(AuditLog(again).entries()) == 1


def test_corrupt_database_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is definitely not an SQLite database\n" * 200)
    with pytest.raises(StoreError) as info:
        Store(db).connect()
    assert str(db) in str(info.value)
    assert isinstance(info.value, TmuxorchError)
    assert info.value.exit_code == 1


def test_database_from_a_newer_tmuxorch_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(db).connect()


def test_a_directory_as_database_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store(tmp_path).connect()


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store:

        def insert_then_fail() -> None:
            with store.transaction() as conn:
                conn.execute(
                    "INSERT INTO audit (at, actor, op, targets, receipts)"
                    " VALUES (1, 'a', 'x', '[]', '[]')"
                )
                raise RuntimeError("boom")

        def bad_sql() -> None:
            with store.transaction() as conn:
                conn.execute("INSERT INTO no_such_table VALUES (1)")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        assert store.query("SELECT count(*) FROM audit")[0][0] == 0
        with pytest.raises(StoreError, match="database error"):
            bad_sql()
        AuditLog(store).record("me", "send", [], [])  # the connection is still usable
        assert store.query("SELECT count(*) FROM audit")[0][0] == 1


def test_split_statements_respects_literals_and_triggers() -> None:
    script = """
        CREATE TABLE t (x TEXT);
        INSERT INTO t VALUES ('a;b');
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END;
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert "'a;b'" in statements[1]
    assert statements[2].endswith("END;")


def test_store_is_usable_from_several_threads(tmp_path: Path) -> None:
    with Store(tmp_path / "t.db") as store:
        log = AuditLog(store)

        def work(n: int) -> None:
            for i in range(20):
                log.record("t", "send", [f"%{n}"], [], text=str(i))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(log.entries(limit=None)) == 80


# -- audit ---------------------------------------------------------------------------------------


def test_audit_roundtrip_newest_first_and_serialisable(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        log = AuditLog(store)
        first = log.record("alice", "spawn", ["$1"], [{"target": "$1", "status": "delivered"}])
        second = log.record(
            "bob",
            "send",
            ["%3", "%4"],
            [{"target": "%3", "status": "delivered"}, {"target": "%4", "status": "queued"}],
            text="hello",
        )
        entries = log.entries()
    assert [e.id for e in entries] == [second.id, first.id]
    assert entries[0] == second  # what record() returns is what is read back
    assert entries[1].text is None
    assert entries[1].text_sha256 is None
    assert entries[1].text_length is None
    assert entries[0].text_sha256 == hashlib.sha256(b"hello").hexdigest()
    assert entries[0].receipts[1] == {"target": "%4", "status": "queued"}
    assert entries[0].targets == ["%3", "%4"]
    dumped = entries[0].model_dump(mode="json")
    assert json.loads(json.dumps(dumped)) == dumped
    assert AuditEntry.model_validate(dumped) == entries[0]
    assert abs(second.at - time.time()) < 60


def test_audit_truncates_text_but_hashes_all_of_it(tmp_path: Path) -> None:
    text = "é" * 300 + "x" * 700  # non-ASCII so length is characters, not bytes
    with Store(tmp_path / "a.db") as store:
        log = AuditLog(store)
        log.record("me", "broadcast", ["%1"], [], text=text)
        (entry,) = log.entries()
    assert entry.text == text[:TEXT_PREVIEW_CHARS]
    assert len(entry.text) == 500
    assert entry.text_length == 1000
    assert entry.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert entry.text_sha256 != hashlib.sha256(entry.text.encode()).hexdigest()


def test_audit_filters_by_limit_op_and_since(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        log = AuditLog(store)
        for i in range(5):
            log.record("me", "send", [f"%{i}"], [])
        log.record("me", "kill", ["%9"], [])
        assert [e.targets for e in log.entries(limit=2)] == [["%9"], ["%4"]]
        sends = log.entries(op="send")
        assert [e.targets[0] for e in sends] == ["%4", "%3", "%2", "%1", "%0"]
        assert [e.op for e in log.entries(op="kill")] == ["kill"]
        assert log.entries(op="rename") == []
        assert log.entries(since=time.time() + 3600) == []
        cutoff = sends[1].at  # entries at or after the 4th send
        assert {e.targets[0] for e in log.entries(since=cutoff)} >= {"%3", "%4", "%9"}
        assert len(log.entries(limit=None)) == 6
        assert log.entries(limit=0) == []
        with pytest.raises(BadInputError):
            log.entries(limit=-1)


def test_local_actor_is_a_name() -> None:
    assert local_actor()
    assert "\n" not in local_actor()


# -- config --------------------------------------------------------------------------------------


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xdg-config" / "tmuxorch" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_config_defaults_without_a_file() -> None:
    assert not os.path.exists(paths.config_path())
    settings = load_settings()
    assert settings.state_interval == 0.25
    assert settings.state_debounce == 0.3
    assert settings.enter_delay == 0.08
    assert settings.submit_timeout == 1.0
    assert settings.command_timeout == 5.0
    assert settings.agents == {}
    assert settings.rules == []
    assert settings.keymap == {}


FULL_CONFIG = """
state_interval = 0.5
state_debounce = 0
enter_delay = 0.1
submit_timeout = 2
command_timeout = 10.0

[agents.claude]
processes = ["claude", "node"]
busy = ["esc to interrupt", "^\\\\s*[✻✽] "]
waiting = ["Do you want to proceed\\\\?"]
idle = []
error = ["(?i)api error"]
interrupt_keys = ["Escape"]

[agents."my.bot"]
processes = ["mybot"]

[[rules]]
kind = "aider"
command = "^python3?$"
cwd = "/aider-"

[[rules]]
kind = "codex"
window_name = "^codex"
session_name = "work"

[keymap]
send = "s"
broadcast = "B"
"""


def test_full_config_parses(tmp_path: Path) -> None:
    write_config(tmp_path, FULL_CONFIG)
    settings = load_settings()
    assert settings.state_interval == 0.5
    assert settings.state_debounce == 0.0
    assert settings.submit_timeout == 2.0
    assert settings.command_timeout == 10.0
    claude = settings.agents["claude"]
    assert claude == AgentProfileConfig(
        processes=["claude", "node"],
        busy=["esc to interrupt", "^\\s*[✻✽] "],
        waiting=["Do you want to proceed\\?"],
        idle=[],
        error=["(?i)api error"],
        interrupt_keys=["Escape"],
    )
    assert settings.agents["my.bot"].busy is None  # unset fields keep the built-in profile
    assert settings.rules == [
        RuleConfig(kind="aider", command="^python3?$", cwd="/aider-"),
        RuleConfig(kind="codex", window_name="^codex", session_name="work"),
    ]
    assert settings.keymap == {"send": "s", "broadcast": "B"}


def test_tmuxorch_config_env_and_explicit_path_pick_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "other.toml"
    elsewhere.write_text("command_timeout = 7\n")
    monkeypatch.setenv("TMUXORCH_CONFIG", str(elsewhere))
    assert load_settings().command_timeout == 7.0
    explicit = tmp_path / "explicit.toml"
    explicit.write_text("command_timeout = 9\n")
    assert load_settings(explicit).command_timeout == 9.0


def test_invalid_regex_names_file_kind_field_and_pattern(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[agents.claude]\nbusy = ["ok", "("]\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message == (
        f"{path}: agents.claude.busy[1]: invalid regex '(': missing ), unterminated subpattern"
    )
    assert info.value.exit_code == 2
    assert "\n" not in message


def test_invalid_rule_regex_and_rule_without_matcher(tmp_path: Path) -> None:
    write_config(tmp_path, '[[rules]]\nkind = "x"\ncwd = "a["\n')
    with pytest.raises(ConfigError, match=r"config\.toml: rules\[0\]\.cwd: invalid regex 'a\['"):
        load_settings()
    write_config(tmp_path, '[[rules]]\nkind = "x"\n')
    with pytest.raises(ConfigError, match=r"rules\[0\]: a rule needs at least one of command"):
        load_settings()


def test_bad_toml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "state_interval = = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(f"{path}: invalid TOML: ")
    assert "line 1" in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('state_interval = "fast"', "state_interval: Input should be a valid number"),
        ("state_interval = 0", "state_interval: Input should be greater than 0"),
        ("state_debounce = -1", "state_debounce: Input should be greater than or equal to 0"),
        ("agents = 3", "agents: Input should be a valid dictionary"),
        ('[agents.claude]\nbusy = "x"', "agents.claude.busy: Input should be a valid list"),
        ("[agents.claude]\nbusyy = []", "agents.claude.busyy: unknown key"),
        ("stat_interval = 1", "stat_interval: unknown key"),
        ("[keymap]\nsend = 1", "keymap.send: Input should be a valid string"),
        ('[[rules]]\ncommand = "x"', "rules[0].kind: required key is missing"),
    ],
)
def test_wrong_values_name_file_and_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = write_config(tmp_path, toml + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(f"{path}: {expected}")


def test_env_overrides_a_top_level_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, "state_interval = 0.5\ncommand_timeout = 3\n")
    monkeypatch.setenv("TMUXORCH_STATE_INTERVAL", "1.5")
    settings = load_settings()
    assert settings.state_interval == 1.5  # environment beats the file
    assert settings.command_timeout == 3.0  # the file still applies to the rest
    monkeypatch.setenv("TMUXORCH_STATE_INTERVAL", "-2")
    with pytest.raises(ConfigError, match=r"state_interval \(from \$TMUXORCH_STATE_INTERVAL\)"):
        load_settings()


def test_env_does_not_reach_tables_or_unrelated_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUXORCH_AGENTS", "not json")
    monkeypatch.setenv("TMUXORCH_TOKEN", "secret")
    settings = load_settings()
    assert settings.agents == {}
    assert "secret" not in repr(settings)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(FrozenInstanceError):
        settings.state_interval = 3.0  # type: ignore[misc]


def test_no_file_and_no_variables_give_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    monkeypatch.delenv("TMUXORCH_CONFIG", raising=False)
    settings = load_settings()
    assert settings == Settings()
    assert settings.agents == {}
    assert settings.state_interval == 0.25
    with pytest.raises(FrozenInstanceError):
        settings.state_interval = 3.0  # type: ignore[misc]
