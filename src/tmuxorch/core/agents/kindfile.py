"""The schema of a kind file (`kinds/<kind>.toml`), and reading one into it.

A kind file says how to recognise one agent CLI and drive it: its process names, its screen
patterns per state, the part of the screen they look at, its interrupt keys and how a message
is submitted. The built-in files ship in the package (core/agents/kinds/); a user's file of the
same name replaces one, a new name adds a kind (see catalog.py). Files named `_<name>.toml` hold
only pattern lists, which a kind's list takes in with `{ include = "_<name>" }`.

Every mistake is a ConfigError whose one line names the file and the key
(`kinds/codex.toml: busy[2]: invalid regex ...`): a pattern that does not compile would
otherwise surface as an agent whose state is silently never read. A user's file is checked by
pydantic against these models; the package's own are trusted data, built as they are (a test
checks every one of them), so an engine that reads only those never imports pydantic (issue 17).
"""

from __future__ import annotations

import re

from tmuxorch.core.constraints import Check, Limits
from tmuxorch.core.frozen import Frozen, field, frozen_model, frozen_record
from tmuxorch.core.names import is_key
from tmuxorch.core.store.config import ConfigError, check_regex, format_validation_error

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Annotated, Any, Literal, TypeVar

    from pydantic import ValidationError

    from tmuxorch.core.store.config import NonEmpty, Regex, Seconds

    _M = TypeVar("_M", bound=Frozen)

STATE_GROUPS = ("waiting", "idle_first", "busy", "error", "idle")
"""The pattern lists of a kind, in the order they are tried (see reading.py)."""


def _check_key(key: str) -> str:
    if not is_key(key):
        raise ValueError(f"unknown key name {key!r}: use tmux key names like C-c, Escape, Enter")
    return key


if TYPE_CHECKING:
    KeyName = Annotated[str, Check(_check_key)]


@frozen_record
class Include(Frozen):
    """`{ include = "_generic" }` in a pattern list: that file's list of the same state here."""

    include: str


# compiled by re on its first use: the built-in kinds are trusted and never checked (issue 17)
_INCLUDE_NAME = r"_[A-Za-z0-9_-]+"


def _entry(value: object) -> str | Include:
    """One entry of a pattern list: a regex, or an include of a pattern file's list."""
    if isinstance(value, str):
        return check_regex(value)
    if isinstance(value, dict) and set(value) == {"include"}:
        name = value["include"]
        if isinstance(name, str) and re.fullmatch(_INCLUDE_NAME, name):
            return Include(name)
    raise ValueError('expected a regex or { include = "_<pattern file>" }')


if TYPE_CHECKING:
    Entry = Annotated[str | Include, Check(_entry, mode="plain")]


def __annotation_names__() -> dict[str, object]:
    """The aliases above as typing makes them, with the config's (core/fields.py)."""
    from typing import Annotated

    from tmuxorch.core.store.config import typing_aliases

    return {
        **typing_aliases(),
        "KeyName": Annotated[str, Check(_check_key)],
        "Entry": Annotated[str | Include, Check(_entry, mode="plain")],
    }


@frozen_model
class Region(Frozen):
    """The lines of the screen the patterns read: the last `tail_lines` non-empty ones, then
    only those after the last line matching `after_last` (a rule line), then only those above
    the last line matching `above` (a prompt box's top). A regex that matches no line there
    leaves the region as it was."""

    tail_lines: Annotated[int, Limits(ge=1)] = 25
    after_last: Regex | None = None
    above: Regex | None = None


@frozen_model
class Submit(Frozen):
    """How a message is submitted."""

    enter_delay: Annotated[Seconds, Limits(ge=0, le=5)] | None = None
    """Seconds between the text and Enter; unset, the config's `enter_delay`."""
    multi_line: Literal["paste"] = "paste"
    """How a message of several lines goes: one bracketed paste (the only way yet)."""
    pasted: Regex | None = None
    """What the input line shows in place of a pasted message (Claude Code:
    `[Pasted text #1 +3 lines]`): while it is there, the message was not submitted."""


@frozen_model
class Title(Frozen):
    """Regexes on the pane title (`#{pane_title}`, which the CLI sets), per state."""

    waiting: list[Regex] = field(default_factory=list)
    busy: list[Regex] = field(default_factory=list)
    idle: list[Regex] = field(default_factory=list)


@frozen_model
class PatternFile(Frozen):
    """A `_<name>.toml` file: pattern lists only, for kinds to include."""

    waiting: list[Regex] = field(default_factory=list)
    idle_first: list[Regex] = field(default_factory=list)
    busy: list[Regex] = field(default_factory=list)
    error: list[Regex] = field(default_factory=list)
    idle: list[Regex] = field(default_factory=list)


@frozen_model
class KindFile(Frozen):
    """A `<kind>.toml` file."""

    processes: list[NonEmpty] = field(default_factory=list)
    """Process names (or npm package paths, `@scope/name`) that make a pane this kind."""
    waiting: list[Entry] = field(default_factory=list)
    idle_first: list[Entry] = field(default_factory=list)
    busy: list[Entry] = field(default_factory=list)
    error: list[Entry] = field(default_factory=list)
    idle: list[Entry] = field(default_factory=list)
    region: Region = field(default_factory=Region)
    interrupt: list[KeyName] = field(default_factory=lambda: ["C-c"])
    interrupt_gap: Annotated[Seconds, Limits(ge=0, le=5)] = 0.0
    """Seconds between the interrupt keys (opencode reads two quick ESCs as one Alt-Escape)."""
    submit: Submit = field(default_factory=Submit)
    title: Title = field(default_factory=Title)


def parse_kind(text: str, label: str) -> KindFile:
    """The kind file `text`, read from `label` (what errors name it)."""
    return _parse(KindFile, text, label)


def parse_patterns(text: str, label: str) -> PatternFile:
    """The pattern file `text`, read from `label`."""
    return _parse(PatternFile, text, label)


_TABLES: dict[str, type[Frozen]] = {"region": Region, "submit": Submit, "title": Title}


def trusted_patterns(data: dict[str, Any]) -> PatternFile:
    """A pattern file's content (as tomllib reads it) as its model, unchecked: the package's
    own, whose regexes compile when first used."""
    return PatternFile(**data)


def trusted_kind(data: dict[str, Any]) -> KindFile:
    """A kind file's content as its model, unchecked: what pydantic would make of a valid one
    (tables as their models, `{ include = ... }` as Include). For the package's own files."""
    values: dict[str, Any] = {
        key: _TABLES[key](**v) if key in _TABLES else v for key, v in data.items()
    }
    for group in STATE_GROUPS:
        if group in values:
            values[group] = [e if isinstance(e, str) else Include(**e) for e in values[group]]
    return KindFile(**values)


def _parse(model: type[_M], text: str, label: str) -> _M:
    import tomllib

    from pydantic import ValidationError

    try:
        return model.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{label}: {_readable(exc, model)}") from None


def _readable(exc: ValidationError, model: type[Frozen]) -> str:
    """The errors of one file, with a pattern list's entry reported once (not once per member
    of `Entry`) and an unknown top-level key told what the keys are."""
    message = format_validation_error(exc)
    if "unknown key" in message and any(len(e["loc"]) == 1 for e in exc.errors()):
        message += f" (the keys are {', '.join(model.field_names())})"
    return message
