"""Our hook entries in an agent CLI's settings text: merged in, found, and taken out again.

Pure text in, text out (agent_hooks does the files), so every rule is testable without a disk:
- install merges our entries after the user's and touches nothing of theirs; done twice it is
  done once (an up-to-date text comes back unchanged);
- uninstall gives back the exact text from before install (the backup) when what is left after
  taking ours out is what the backup says; otherwise it takes ours out surgically, keeping the
  user's later edits; a file that held only ours and had no backup (we created it) goes away.
Our entries are the ones whose command contains `@tmuxorch-hook`.

Claude Code and Gemini CLI keep hooks in JSON (`hooks` → event → groups of `{matcher, hooks:
[{type: command, command}]}`); Codex has one `notify` argv in TOML, edited with tomlkit so the
user's comments and layout stay. When the user has a notify of their own, ours runs it after
reporting, with Codex's argument: chaining keeps what they had working, where refusing would make
them choose; uninstall puts theirs back.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import tomlkit
import tomlkit.exceptions

from tmuxorch.core.agents.hook_events import HOOKED, REPORT_OPTION, report_snippet
from tmuxorch.core.errors import BadInputError

HookStatus = Literal["installed", "outdated", "not installed"]
KINDS = tuple(HOOKED)
JSON_TIMEOUTS = {"claude": 5, "gemini": 5000}
"""A stuck tmux must not hold the agent: Claude counts a hook's timeout in seconds, Gemini in ms."""
NOTIFY_NAME = "tmuxorch-hook"
"""$0 of Codex's `sh -c`: after it come the user's own notify argv, then Codex's JSON."""


class HookSettingsError(BadInputError):
    """A settings file we will not edit (not parseable, not the shape the CLI reads)."""


def check_kind(kind: str) -> str:
    """KIND when we have hooks for it, else a one-line error naming those we have."""
    if kind not in HOOKED:
        raise HookSettingsError(f"unknown agent kind {kind!r}: hooks exist for {', '.join(KINDS)}")
    return kind


def status(kind: str, text: str | None) -> HookStatus:
    """Are our entries in TEXT, and are they the ones this version writes?"""
    if kind == "codex":
        argv = _notify(_toml(text))
        if not _is_ours(argv):
            return "not installed"
        return "installed" if argv == _codex_argv(argv[4:]) else "outdated"
    data = _json(text)
    ours = {event: groups for event, groups in _our_groups(data).items() if groups}
    if not ours:
        return "not installed"
    return "installed" if ours == json_entries(kind) else "outdated"


def install(kind: str, text: str | None) -> str:
    """TEXT with our entries merged in (TEXT itself when they are there and up to date)."""
    if status(kind, text) == "installed":
        return text or ""
    if kind == "codex":
        doc = _toml(text)
        argv = _notify(doc)
        doc["notify"] = _codex_argv(argv[4:] if _is_ours(argv) else argv)
        return tomlkit.dumps(doc)
    data = _without_ours(_json(text))
    hooks = data.setdefault("hooks", {})
    for event, groups in json_entries(kind).items():
        hooks.setdefault(event, []).extend(groups)
    return _dump_json(data, text)


def uninstall(kind: str, text: str, backup: str | None) -> str | None:
    """TEXT without our entries: BACKUP's exact text when nothing else changed since install,
    None (delete the file) when it held only ours and no backup says it was there before."""
    if status(kind, text) == "not installed":
        return text
    if backup is not None and _restores(kind, text, backup):
        return backup
    if kind == "codex":
        doc = _toml(text)
        theirs = _notify(doc)[4:]
        if theirs:
            doc["notify"] = theirs
        else:
            del doc["notify"]
        left = tomlkit.dumps(doc)
        return None if backup is None and not left.strip() else left
    data = _without_ours(_json(text))
    return None if backup is None and not data else _dump_json(data, text)


def _restores(kind: str, text: str, backup: str) -> bool:
    """Is BACKUP what TEXT is without ours? Its exact text plus ours, or (JSON, which has no
    comments to lose) the same data laid out otherwise, e.g. after an outdated entry."""
    try:
        if install(kind, backup) == text:
            return True
        return kind != "codex" and _json(backup) == _without_ours(_json(text))
    except HookSettingsError:
        return False  # a backup edited into something unreadable is no backup


def json_entries(kind: str) -> dict[str, list[dict[str, Any]]]:
    """Our groups per event in Claude's / Gemini's `hooks` object (also what `hooks snippet`
    prints for people who paste it themselves)."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for event in HOOKED[kind]:
        handler: dict[str, Any] = {"type": "command"}
        if kind == "gemini":
            handler["name"] = "tmuxorch"
        handler["command"] = report_snippet(kind, event.reported)
        handler["timeout"] = JSON_TIMEOUTS[kind]
        group: dict[str, Any] = {} if event.matcher is None else {"matcher": event.matcher}
        group["hooks"] = [handler]
        entries.setdefault(event.name, []).append(group)
    return entries


def paste_text(kind: str) -> str:
    """Our entries as a settings file of their own: for people who paste them by hand."""
    if kind == "codex":
        doc = tomlkit.document()
        doc["notify"] = _codex_argv([])
        return tomlkit.dumps(doc)
    return _dump_json({"hooks": json_entries(kind)}, None)


def _codex_argv(theirs: list[str]) -> list[str]:
    """Report the turn's end, then run THEIRS (with Codex's argument, appended after it)."""
    event = HOOKED["codex"][0].reported
    then = 'exec "$@"' if theirs else "exit 0"
    return ["sh", "-c", report_snippet("codex", event, then), NOTIFY_NAME, *theirs]


def _is_ours(argv: list[str]) -> bool:
    return len(argv) >= 4 and argv[:2] == ["sh", "-c"] and REPORT_OPTION in argv[2]


def _toml(text: str | None) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text or "")
    except tomlkit.exceptions.ParseError as exc:
        raise HookSettingsError(f"not valid TOML ({exc})") from None


def _notify(doc: tomlkit.TOMLDocument) -> list[str]:
    """The user's `notify` argv ([] when unset); anything else than strings is refused."""
    value = doc.get("notify")
    if value is None:
        return []
    plain = value.unwrap() if hasattr(value, "unwrap") else value
    if not isinstance(plain, list) or not all(isinstance(item, str) for item in plain):
        raise HookSettingsError("notify is not an array of strings")
    return plain


def _json(text: str | None) -> dict[str, Any]:
    """The settings object; an empty or missing file is an empty one."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HookSettingsError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise HookSettingsError("not a JSON object")
    hooks = data.get("hooks", {})
    ours = {event.name for events in HOOKED.values() for event in events}
    if not isinstance(hooks, dict) or not all(
        isinstance(groups, list) for event, groups in hooks.items() if event in ours
    ):
        raise HookSettingsError('"hooks" is not an object of event → list of groups')
    return data


def _our_handler(handler: object) -> bool:
    return isinstance(handler, dict) and REPORT_OPTION in str(handler.get("command", ""))


def _our_groups(data: dict[str, Any]) -> dict[str, list[Any]]:
    """Per event, the groups that hold one of our handlers."""
    return {
        event: [
            group
            for group in groups
            if isinstance(group, dict)
            and any(_our_handler(h) for h in group.get("hooks", []) or [])
        ]
        for event, groups in data.get("hooks", {}).items()
        if isinstance(groups, list)
    }


def _without_ours(data: dict[str, Any]) -> dict[str, Any]:
    """DATA with our handlers taken out; a group, event or `hooks` emptied by that goes too."""
    if "hooks" not in data:
        return data
    hooks: dict[str, Any] = {}
    for event, groups in data["hooks"].items():
        if not isinstance(groups, list):  # not an event: Gemini's "enabled", "disabled"…
            hooks[event] = groups
            continue
        kept = []
        for group in groups:
            handlers = group.get("hooks") if isinstance(group, dict) else None
            if not isinstance(handlers, list) or not any(_our_handler(h) for h in handlers):
                kept.append(group)
            elif theirs := [h for h in handlers if not _our_handler(h)]:
                kept.append({**group, "hooks": theirs})
        if kept or not groups:
            hooks[event] = kept
    had_ours = any(_our_groups(data).values())
    rest = {key: value for key, value in data.items() if key != "hooks"}
    return rest if had_ours and not hooks else {**data, "hooks": hooks}


def _dump_json(data: dict[str, Any], like: str | None) -> str:
    """DATA as JSON laid out like LIKE (its indent, one line if it was one line)."""
    indent: str | None = "  "
    if like and like.strip():
        found = re.search(r"\n([ \t]+)\S", like)
        indent = found.group(1) if found else None
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"
