"""The kind files in effect: the built-in ones shipped in the package, and the user's.

The built-in files are core/agents/kinds/<kind>.toml, read from the package's directory (where
pip installs them as files): through importlib.resources, the readers it sets up cost every
status or send ~6 ms (issue 17). A user's `<config dir>/kinds/<kind>.toml` (the
config dir is where the config file is) replaces the built-in kind of that name or adds one;
a user's `_<name>.toml` pattern file replaces the built-in one of that name for every kind that
includes it. A CLI that changes its screen is fixed by a data file, not by a release.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping, Sequence

from tmuxorch.core.agents.kindfile import (
    STATE_GROUPS,
    Include,
    KindFile,
    PatternFile,
    parse_kind,
    parse_patterns,
    trusted_kind,
    trusted_patterns,
)
from tmuxorch.core.agents.reading import AgentProfile, Rule, ScreenRegion
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.models import typing_aliases
from tmuxorch.core.names import validate_kind
from tmuxorch.core.store.config import ConfigError, resolve_config_path

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState

__annotation_names__ = typing_aliases  # what its annotations name (core/fields.py)

BUILTIN = "builtin"


@frozen_record
class KindFiles(Frozen):
    """The kind files and pattern files of one place (the package, or a user's directory)."""

    kinds: Mapping[str, tuple[str, KindFile]]
    """kind -> (where it was read: `kinds/codex.toml` or the user's path, its content)."""
    patterns: Mapping[str, PatternFile]
    """`_name` -> a pattern file."""


def user_kinds_dir() -> str:
    """Where a user's kind files live: `kinds/` next to the config file. Paths here are strings
    (core/store/paths.py says why)."""
    return os.path.join(os.path.dirname(resolve_config_path()), "kinds")


def builtin_folder() -> str:
    """The package's kind files' directory."""
    return os.path.join(os.path.dirname(__file__), "kinds")


BUILTIN_MODULE = os.path.join(os.path.dirname(__file__), "builtin_kinds.py")
"""core/agents/builtin_kinds.py: every built-in file's content as tomllib reads it, by file stem,
written from the TOML files by scripts/refresh_builtin_kinds.py (a test fails while it is
stale). What a run reads instead of the TOML (tomllib and the parse cost every status or send
~3.5 ms) as a module, not JSON: its bytecode loads as it is, and json's modules cost a status
bar ~1.5 ms more (issue 17)."""


@functools.cache
def builtin_files() -> KindFiles:
    """The kind files shipped in the package (read once: they cannot change), from
    BUILTIN_MODULE: trusted data, built as it is."""
    from tmuxorch.core.agents.builtin_kinds import KINDS

    return KindFiles(
        {s: (f"kinds/{s}.toml", trusted_kind(v)) for s, v in KINDS.items() if s[0] != "_"},
        {s: trusted_patterns(v) for s, v in KINDS.items() if s[0] == "_"},
    )


def builtin_source() -> str:
    """BUILTIN_MODULE's text as the package's TOML files make it."""
    import pprint
    import tomllib
    from pathlib import Path

    files = sorted(Path(builtin_folder()).glob("*.toml"))
    data = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in files}
    return (
        '"""The built-in kind files as tomllib reads them (catalog.py BUILTIN_MODULE).\n'
        'Written by scripts/refresh_builtin_kinds.py from kinds/*.toml: edit those."""\n'
        "# fmt: off\n"
        "# ruff: noqa: E501\n\n"
        "from __future__ import annotations\n\n"
        "TYPE_CHECKING = False\n"
        "if TYPE_CHECKING:\n"
        "    from typing import Any\n\n"
        f"KINDS: dict[str, dict[str, Any]] = {pprint.pformat(data, width=96, sort_dicts=False)}\n"
    )


def kind_file_text(kind: str, folder: str | os.PathLike[str] | None = None) -> str | None:
    """The text of the file `kind` comes from (the user's in `folder`, default
    user_kinds_dir(), else the built-in one), or None for a kind with no file: what to start
    a file of one's own from."""
    for path in (
        os.path.join(user_kinds_dir() if folder is None else folder, f"{kind}.toml"),
        os.path.join(builtin_folder(), f"{kind}.toml"),
    ):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                return file.read()
    return None


def user_files(folder: str | os.PathLike[str]) -> KindFiles:
    """The user's kind files in `folder` (none when it does not exist)."""
    folder = os.fspath(folder)
    if not os.path.exists(folder):
        return KindFiles({}, {})
    if not os.path.isdir(folder):
        raise ConfigError(f"{folder}: is not a directory (it is where kind files go)")
    kinds: dict[str, tuple[str, KindFile]] = {}
    patterns: dict[str, PatternFile] = {}
    names = sorted(n for n in os.listdir(folder) if n.endswith(".toml"))
    for name in names:
        stem, label = name.removesuffix(".toml"), os.path.join(folder, name)
        try:
            with open(label, encoding="utf-8") as file:
                text = file.read()
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{label}: not UTF-8 text: {exc.reason}") from None
        except OSError as exc:
            raise ConfigError(f"{label}: cannot read: {exc.strerror or exc}") from None
        if stem.startswith("_"):
            patterns[stem] = parse_patterns(text, label)
            continue
        try:
            validate_kind(stem)
        except BadInputError as exc:
            raise ConfigError(f"{label}: the file name is the kind: {exc}") from None
        kinds[stem] = (label, parse_kind(text, label))
    return KindFiles(kinds, patterns)


def kind_profiles(folder: str | os.PathLike[str] | None = None) -> dict[str, AgentProfile]:
    """Every kind's profile from its file: built in, or the user's in `folder` (default:
    user_kinds_dir()) when there is one of that name."""
    builtin = builtin_files()
    user = user_files(user_kinds_dir() if folder is None else folder)
    patterns = {**builtin.patterns, **user.patterns}
    profiles = {
        kind: compile_kind(kind, label, spec, patterns, origin=BUILTIN)
        for kind, (label, spec) in builtin.kinds.items()
    }
    for kind, (label, spec) in user.kinds.items():
        profiles[kind] = compile_kind(kind, label, spec, patterns, origin=label)
    return dict(sorted(profiles.items()))


def compile_kind(
    kind: str, label: str, spec: KindFile, patterns: Mapping[str, PatternFile], *, origin: str
) -> AgentProfile:
    """The profile a kind file describes, its includes taken from `patterns`."""
    groups = {
        group: _rules(kind, label, group, getattr(spec, group), patterns) for group in STATE_GROUPS
    }
    titles: tuple[AgentState, ...] = ("waiting", "busy", "idle")
    return AgentProfile(
        kind=kind,
        processes=tuple(spec.processes) or (kind,),
        **groups,
        region=ScreenRegion(
            tail_lines=spec.region.tail_lines,
            after_last=_compiled(spec.region.after_last),
            above=_compiled(spec.region.above),
        ),
        interrupt_keys=tuple(spec.interrupt),
        interrupt_gap=spec.interrupt_gap,
        enter_delay=spec.submit.enter_delay,
        pasted=_compiled(spec.submit.pasted),
        titles=tuple(
            (state, Rule(f"{kind}.title.{state}[{index}]", pattern, flags=0))
            for state in titles
            for index, pattern in enumerate(getattr(spec.title, state))
        ),
        origin=origin,
    )


def rules(prefix: str, patterns: Sequence[str]) -> tuple[Rule, ...]:
    """Rules named `prefix[index]`, one per pattern (screen patterns: `^`/`$` match at every
    line of the region)."""
    return tuple(Rule(f"{prefix}[{index}]", pattern) for index, pattern in enumerate(patterns))


def _rules(
    kind: str,
    label: str,
    group: str,
    entries: Sequence[str | Include],
    patterns: Mapping[str, PatternFile],
) -> tuple[Rule, ...]:
    """A kind's rules of one group, each named where its pattern is written."""
    found: list[Rule] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            found.append(Rule(f"{kind}.{group}[{index}]", entry))
            continue
        included = patterns.get(entry.include)
        if included is None:
            have = ", ".join(sorted(patterns)) or "none"
            raise ConfigError(
                f"{label}: {group}[{index}]: no pattern file {entry.include}.toml"
                f" (there are: {have})"
            )
        found += rules(f"{entry.include}.{group}", getattr(included, group))
    return tuple(found)


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern)
