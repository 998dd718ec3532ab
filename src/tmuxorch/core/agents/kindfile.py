"""The schema of a kind file (`kinds/<kind>.toml`), and reading one into it.

A kind file says how to recognise one agent CLI and drive it: its process names, its screen
patterns per state, the part of the screen they look at, its interrupt keys and how a message
is submitted. The built-in files ship in the package (core/agents/kinds/); a user's file of the
same name replaces one, a new name adds a kind (see catalog.py). Files named `_<name>.toml` hold
only pattern lists, which a kind's list takes in with `{ include = "_<name>" }`.

Every mistake is a ConfigError whose one line names the file and the key
(`kinds/codex.toml: busy[2]: invalid regex ...`): a pattern that does not compile would
otherwise surface as an agent whose state is silently never read.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
)

from tmuxorch.core.names import is_key
from tmuxorch.core.store.config import (
    TRUSTED,
    ConfigError,
    NonEmpty,
    Regex,
    Seconds,
    check_regex,
    format_validation_error,
)

STATE_GROUPS = ("waiting", "idle_first", "busy", "error", "idle")
"""The pattern lists of a kind, in the order they are tried (see reading.py)."""


def _check_key(key: str) -> str:
    if not is_key(key):
        raise ValueError(f"unknown key name {key!r}: use tmux key names like C-c, Escape, Enter")
    return key


KeyName = Annotated[str, AfterValidator(_check_key)]


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


@dataclass(frozen=True)
class Include:
    """`{ include = "_generic" }` in a pattern list: that file's list of the same state here."""

    include: str


_INCLUDE_NAME = re.compile(r"_[A-Za-z0-9_-]+")


def _entry(value: object, info: ValidationInfo) -> str | Include:
    """One entry of a pattern list: a regex, or an include of a pattern file's list."""
    if isinstance(value, str):
        return value if info.context and info.context.get(TRUSTED) else check_regex(value)
    if isinstance(value, dict) and set(value) == {"include"}:
        name = value["include"]
        if isinstance(name, str) and _INCLUDE_NAME.fullmatch(name):
            return Include(name)
    raise ValueError('expected a regex or { include = "_<pattern file>" }')


Entry = Annotated[str | Include, PlainValidator(_entry)]


class Region(_Table):
    """The lines of the screen the patterns read: the last `tail_lines` non-empty ones, then
    only those after the last line matching `after_last` (a rule line), then only those above
    the last line matching `above` (a prompt box's top). A regex that matches no line there
    leaves the region as it was."""

    tail_lines: Annotated[int, Field(ge=1)] = 25
    after_last: Regex | None = None
    above: Regex | None = None


class Submit(_Table):
    """How a message is submitted."""

    enter_delay: Annotated[Seconds, Field(ge=0, le=5)] | None = None
    """Seconds between the text and Enter; unset, the config's `enter_delay`."""
    multi_line: Literal["paste"] = "paste"
    """How a message of several lines goes: one bracketed paste (the only way yet)."""
    pasted: Regex | None = None
    """What the input line shows in place of a pasted message (Claude Code:
    `[Pasted text #1 +3 lines]`): while it is there, the message was not submitted."""


class Title(_Table):
    """Regexes on the pane title (`#{pane_title}`, which the CLI sets), per state."""

    waiting: list[Regex] = []
    busy: list[Regex] = []
    idle: list[Regex] = []


class PatternFile(_Table):
    """A `_<name>.toml` file: pattern lists only, for kinds to include."""

    waiting: list[Regex] = []
    idle_first: list[Regex] = []
    busy: list[Regex] = []
    error: list[Regex] = []
    idle: list[Regex] = []


class KindFile(_Table):
    """A `<kind>.toml` file."""

    processes: list[NonEmpty] = []
    """Process names (or npm package paths, `@scope/name`) that make a pane this kind."""
    waiting: list[Entry] = []
    idle_first: list[Entry] = []
    busy: list[Entry] = []
    error: list[Entry] = []
    idle: list[Entry] = []
    region: Region = Region()
    interrupt: list[KeyName] = ["C-c"]
    interrupt_gap: Annotated[Seconds, Field(ge=0, le=5)] = 0.0
    """Seconds between the interrupt keys (opencode reads two quick ESCs as one Alt-Escape)."""
    submit: Submit = Submit()
    title: Title = Title()


def parse_kind(text: str, label: str, *, trusted: bool = False) -> KindFile:
    """The kind file `text`, read from `label` (what errors name it); a `trusted` one (the
    package's own) has its regexes compiled when first used, not now."""
    return _parse(KindFile, text, label, trusted)


def parse_patterns(text: str, label: str, *, trusted: bool = False) -> PatternFile:
    """The pattern file `text`, read from `label`."""
    return _parse(PatternFile, text, label, trusted)


_M = TypeVar("_M", bound=BaseModel)


def _parse(model: type[_M], text: str, label: str, trusted: bool) -> _M:
    try:
        return model.model_validate(tomllib.loads(text), context={TRUSTED: trusted})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None
    except ValidationError as exc:
        raise ConfigError(f"{label}: {_readable(exc, model)}") from None


def _readable(exc: ValidationError, model: type[BaseModel]) -> str:
    """The errors of one file, with a pattern list's entry reported once (not once per member
    of `Entry`) and an unknown top-level key told what the keys are."""
    message = format_validation_error(exc)
    if "unknown key" in message and any(len(e["loc"]) == 1 for e in exc.errors()):
        message += f" (the keys are {', '.join(model.model_fields)})"
    return message
