"""`tmuxorch hooks install|uninstall|status` on disk: where each CLI keeps its settings, the
backup, and writes that either happen whole or not at all.

The text rules live in hook_settings; this module reads the file, refuses what it cannot edit
before touching anything (one clear line, exit 2), backs the user's file up as
`<file>.tmuxorch-backup` before the first change, and replaces the file atomically (a temporary
file in the same directory, renamed over it, with the old file's mode). A symlinked settings
file (dotfile managers) is edited where it points, so the link stays a link.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from tmuxorch.core.agents.hook_events import REPORT_OPTION, HookReport, parse_report
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.tmux.fallback import run_chained
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.usecases import hook_settings
from tmuxorch.usecases.hook_settings import HookSettingsError, HookStatus, check_kind

BACKUP_SUFFIX = ".tmuxorch-backup"
_T = TypeVar("_T")
Action = Literal["installed", "updated", "unchanged", "restored", "removed", "deleted", "absent"]
"""What a command did: installed (first time), updated (an outdated entry replaced), unchanged,
restored (the backup's exact bytes back), removed (ours taken out, the user's edits kept),
deleted (the file held only ours: we had created it), absent (nothing of ours was there)."""


@dataclass(frozen=True)
class Outcome:
    """What install or uninstall did to one settings file."""

    kind: str
    path: Path
    action: Action
    backup: Path | None = None


@dataclass(frozen=True)
class Report:
    """`hooks status` for one kind."""

    kind: str
    path: Path
    status: HookStatus
    exists: bool


def settings_path(kind: str, environ: Mapping[str, str] | None = None) -> Path:
    """The user-level settings file KIND reads, honouring the CLI's own directory variable:
    CLAUDE_CONFIG_DIR, CODEX_HOME, GEMINI_CLI_HOME (Gemini's stand-in for the home directory)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    if check_kind(kind) == "claude":
        return Path(env.get("CLAUDE_CONFIG_DIR") or home / ".claude") / "settings.json"
    if kind == "codex":
        return Path(env.get("CODEX_HOME") or home / ".codex") / "config.toml"
    return Path(env.get("GEMINI_CLI_HOME") or home) / ".gemini" / "settings.json"


def install(kind: str, path: Path) -> Outcome:
    """Merge our entries into PATH (created when missing), backing it up first."""
    target = _target(path)
    text = _read(target)
    before = _check(kind, target, text)
    new = _apply(target, lambda: hook_settings.install(kind, text))
    if new == text:
        return Outcome(kind, path, "unchanged")
    backup = None
    if text is not None and before == "not installed":
        backup = _backup_path(target)
        _write(backup, text, like=target)
    elif text is None:  # created: no backup, and a stale one must not stand for it later
        _make_directory(target.parent)
        if stale := _existing_backup(target):
            _remove(stale)
    _write(target, new, like=target)
    action: Action = "installed" if before == "not installed" else "updated"
    return Outcome(kind, path, action, backup if backup else _existing_backup(target))


def uninstall(kind: str, path: Path) -> Outcome:
    """Take our entries out of PATH: its exact bytes from before install when the user did not
    change it since, else surgically; a file we created and nobody edited is removed."""
    target = _target(path)
    text = _read(target)
    if text is None:
        return Outcome(kind, path, "absent")
    backup_file = _existing_backup(target)
    backup = _read(backup_file) if backup_file else None
    new = _apply(target, lambda: hook_settings.uninstall(kind, text, backup))
    if new == text:
        return Outcome(kind, path, "absent")
    if new is None:
        _remove(target)
        return Outcome(kind, path, "deleted")
    _write(target, new, like=target)
    if new == backup and backup_file is not None:
        _remove(backup_file)
        return Outcome(kind, path, "restored")
    return Outcome(kind, path, "removed", backup_file)


def status(kind: str, path: Path) -> Report:
    """Is our hook in PATH, and the one this version writes?"""
    target = _target(path)
    text = _read(target)
    return Report(kind, path, _check(kind, target, text), text is not None)


async def pane_reports(server: TmuxServer, timeout: float = 5.0) -> list[tuple[str, HookReport]]:
    """(pane id, last report) of every pane a hook reported on, latest first; none when no
    server runs there. Read with one plain `tmux list-panes`: no control client for a glance."""
    try:
        if not server.is_running():
            return []
        listing = ["list-panes", "-a", "-F", f"#{{pane_id}} #{{{REPORT_OPTION}}}"]
        [result] = await run_chained(server, [listing], timeout)
    except TmuxorchError:
        return []
    reports = []
    for line in result.lines if result.ok else ():
        pane, _, value = line.partition(" ")
        if (report := parse_report(value)) is not None:
            reports.append((pane, report))
    return sorted(reports, key=lambda item: -item[1].at)


def _check(kind: str, target: Path, text: str | None) -> HookStatus:
    return _apply(target, lambda: hook_settings.status(kind, text))


def _apply(target: Path, rule: Callable[[], _T]) -> _T:
    """Run a text rule; what it refuses is named with the file and left untouched."""
    try:
        return rule()
    except HookSettingsError as exc:
        raise HookSettingsError(f"{target}: {exc}; left untouched") from None


def _target(path: Path) -> Path:
    """Where PATH really is (through symlinks), so a linked settings file stays linked."""
    return path.resolve() if path.is_symlink() else path


def _read(path: Path) -> str | None:
    """The file's text; None when it does not exist. Unreadable is a one-line error."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise HookSettingsError(f"{path} is a directory, not a settings file") from None
    except PermissionError:
        raise HookSettingsError(f"cannot read {path}: permission denied") from None
    except UnicodeDecodeError:
        raise HookSettingsError(f"{path} is not UTF-8 text; left untouched") from None
    except OSError as exc:
        raise HookSettingsError(f"cannot read {path}: {exc.strerror}") from None


def _write(path: Path, text: str, *, like: Path) -> None:
    """Replace PATH with TEXT atomically, with the mode of LIKE when it exists."""
    try:
        mode = like.stat().st_mode & 0o7777
    except OSError:
        mode = 0o600 if path.name.endswith(BACKUP_SUFFIX) else 0o644
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise HookSettingsError(f"cannot write {path}: {exc.strerror}; left untouched") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise HookSettingsError(f"cannot write {path}: {exc.strerror}; left untouched") from None


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HookSettingsError(f"cannot create {path}: {exc.strerror}") from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError as exc:
        raise HookSettingsError(f"cannot remove {path}: {exc.strerror}") from None


def _backup_path(target: Path) -> Path:
    return target.with_name(target.name + BACKUP_SUFFIX)


def _existing_backup(target: Path) -> Path | None:
    backup = _backup_path(target)
    return backup if backup.is_file() else None
