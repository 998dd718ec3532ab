"""User configuration: one optional TOML file, with good defaults for everything.

The file lives at core.paths.config_path() (TMUXORCH_CONFIG points elsewhere) and may hold:

    state_interval = 0.25              # seconds between agent state sweeps
    [agents.claude]                    # override parts of an agent kind's profile, or add a kind
    busy = ["esc to interrupt"]        # regexes matched against the pane's visible screen
    [[rules]]                          # make panes agents by command / window / session / cwd
    kind = "aider"
    command = "^python3?$"
    [keymap]                           # TUI action id -> key
    send = "s"
    [notify]                           # who needs you: see NotifyConfig (README "Notifications")
    webhook = "https://ntfy.sh/my-topic"

Simple top-level values may be overridden from the environment (TMUXORCH_STATE_INTERVAL=0.5),
which is handy for one-off runs and tests; tables are only read from the file, because a JSON blob
in an environment variable is a worse way to write them.

A mistake in the file is reported as a ConfigError (exit status 2) whose one-line message names
the file, the key and what is wrong: a regex that does not compile here would otherwise surface
much later, as an agent whose state is silently never detected.

The settings are frozen dataclasses of their defaults: with no file (and no TMUXORCH_ value) they
are built as they are, and pydantic, which checks a file against the fields' annotations, is
imported only when there is one to check (issue 17).
"""

from __future__ import annotations

import functools
import os
import re

from tmuxorch.core.constraints import Check, Limits
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.fields import annotation_names_getattr
from tmuxorch.core.frozen import Frozen, field, frozen_model
from tmuxorch.core.store import paths

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Annotated, Any, Literal

    from pydantic import ValidationError

    from tmuxorch.core.models import AgentState
else:
    __getattr__ = annotation_names_getattr(__name__)

ENV_PREFIX = "TMUXORCH_"
CONFIG_ENV = "TMUXORCH_CONFIG"


class ConfigError(TmuxorchError):
    """The configuration file (or a TMUXORCH_ variable) is unreadable or invalid: bad input."""

    exit_code = 2


def check_regex(pattern: str) -> str:
    """Reject a pattern now, with re's own explanation, rather than when a screen is matched."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc.msg}") from None
    return pattern


if TYPE_CHECKING:
    Regex = Annotated[str, Check(check_regex)]
    NonEmpty = Annotated[str, Limits(min_length=1)]
    Seconds = Annotated[float, Limits(allow_inf_nan=False)]
    Osc = Literal[9, 777]


@functools.cache
def typing_aliases() -> dict[str, object]:
    """The aliases above as typing makes them, with models' (`models.typing_aliases`): this
    module's ANNOTATION_NAMES (core/fields.py), and the kind files'."""
    from typing import Annotated, Any, Literal

    from tmuxorch.core.models import typing_aliases as model_aliases

    return {
        **model_aliases(),
        "Annotated": Annotated,
        "Any": Any,
        "Regex": Annotated[str, Check(check_regex)],
        "NonEmpty": Annotated[str, Limits(min_length=1)],
        "Seconds": Annotated[float, Limits(allow_inf_nan=False)],
        "Osc": Literal[9, 777],
    }


__annotation_names__ = typing_aliases

# Tables in the file are Frozen: unknown keys are errors, so a typo is not silently ignored.


@frozen_model
class AgentProfileConfig(Frozen):
    """Overrides for one agent kind's profile (its kind file, see core.agents.catalog); None
    keeps the file's value for that field.

    An empty list is an override too (e.g. `error = []` turns error detection off for the kind).
    Everything else of a kind (region, submit, title) is changed with a kind file of one's own.
    """

    processes: list[NonEmpty] | None = None
    busy: list[Regex] | None = None
    waiting: list[Regex] | None = None
    idle: list[Regex] | None = None
    error: list[Regex] | None = None
    idle_first: list[Regex] | None = None
    interrupt_keys: list[NonEmpty] | None = None
    interrupt_gap: Annotated[Seconds, Limits(ge=0, le=5)] | None = None


@frozen_model
class RuleConfig(Frozen):
    """A user rule: panes matching every given regex (search, not full match) are `kind` agents."""

    kind: NonEmpty
    command: Regex | None = None
    window_name: Regex | None = None
    session_name: Regex | None = None
    cwd: Regex | None = None

    def __post_init__(self) -> None:
        # A rule with no matcher would turn every pane into an agent: certainly a mistake.
        if all(m is None for m in (self.command, self.window_name, self.session_name, self.cwd)):
            raise ValueError("a rule needs at least one of command, window_name, session_name, cwd")


# compiled by re on their first use: only a config file is checked with them (issue 17)
_CLOCK = r"([01]?[0-9]|2[0-3]):([0-5][0-9])"


def _check_quiet_hours(span: str | None) -> str | None:
    """`"22:00-07:00"` (it may wrap midnight): checked now so a typo is a config error."""
    if span is None:
        return None
    start, dash, end = span.partition("-")
    if not dash or not re.fullmatch(_CLOCK, start.strip()) or not re.fullmatch(_CLOCK, end.strip()):
        raise ValueError(f'quiet hours are HH:MM-HH:MM, e.g. "22:00-07:00" (got {span!r})')
    return span


_DEFAULT_STATES: list[AgentState] = ["waiting", "error"]
_DEFAULT_OSC: list[Osc] = [9, 777]


@frozen_model
class NotifyConfig(Frozen):
    """`[notify]`: which agent state changes reach the user, and how (usecases/notifier.py).

    An event is notified once the agent has *stayed* in one of `states` for `min_seconds`, by
    whichever tmuxorch process watches that tmux server first (the store keeps a claim per
    event). Empty `kinds` / `sessions` mean all.
    """

    enabled: bool = True
    states: list[AgentState] = field(default_factory=_DEFAULT_STATES.copy)
    kinds: list[NonEmpty] = field(default_factory=list)
    sessions: list[NonEmpty] = field(default_factory=list)
    quiet_hours: Annotated[str | None, Check(_check_quiet_hours)] = None
    min_seconds: Annotated[Seconds, Limits(ge=0, le=3600)] = 3.0
    bell: bool = True
    """The TUI rings its terminal's bell."""
    osc: list[Osc] = field(default_factory=_DEFAULT_OSC.copy)
    """The terminal notifications the TUI sends (tui/notifications.py)."""
    desktop: bool | Literal["auto"] = "auto"
    """notify-send where there is a session bus; "auto": unless the process sends a terminal
    notification (the TUI with `osc`), which most terminals already make a desktop one."""
    hook: list[NonEmpty] = field(default_factory=list)
    """A command (argv, never a shell line) given the event as JSON on stdin and TMUXORCH_*."""
    hook_timeout: Annotated[Seconds, Limits(gt=0, le=600)] = 10.0
    webhook: Annotated[str, Limits(pattern=r"^https?://[^\s]+$")] | None = None
    webhook_timeout: Annotated[Seconds, Limits(gt=0, le=120)] = 5.0
    webhook_retries: Annotated[int, Limits(ge=0, le=10)] = 2


@frozen_model
class Settings(Frozen):
    """Everything configurable; `Settings()` is the defaults. Read the user's through
    load_settings(), which gives errors as ConfigError."""

    agents: dict[NonEmpty, AgentProfileConfig] = field(default_factory=dict)
    rules: list[RuleConfig] = field(default_factory=list)
    keymap: dict[NonEmpty, NonEmpty] = field(default_factory=dict)
    notify: NotifyConfig = field(default_factory=NotifyConfig)

    state_interval: Annotated[Seconds, Limits(gt=0)] = 0.25
    state_debounce: Annotated[Seconds, Limits(ge=0)] = 0.3
    enter_delay: Annotated[Seconds, Limits(ge=0)] = 0.08
    submit_timeout: Annotated[Seconds, Limits(gt=0)] = 1.0
    command_timeout: Annotated[Seconds, Limits(gt=0)] = 5.0


ENV_FIELDS = frozenset(
    {"state_interval", "state_debounce", "enter_delay", "submit_timeout", "command_timeout"}
)
"""The top-level fields an environment variable may set: the scalar ones (a test holds this
equal to Settings' annotations: reading them here would import typing's get_type_hints for
every command)."""


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> str:
    """The file to read: `path` if given, else $TMUXORCH_CONFIG if set, else the default. A
    string (core/store/paths.py says why)."""
    if path is not None:
        return os.fspath(path)
    override = os.environ.get(CONFIG_ENV)
    if override:
        return os.path.expanduser(override)
    return paths.config_path()


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read the configuration; a missing file gives the defaults, a bad one a ConfigError, and
    so does a missing file that was named (`path`, $TMUXORCH_CONFIG): a typo in the name would
    otherwise run with the defaults without a word."""
    config_file = resolve_config_path(path)
    if (path is not None or os.environ.get(CONFIG_ENV)) and not os.path.isfile(config_file):
        named = "" if path is not None else f" (${CONFIG_ENV})"
        problem = "is not a file" if os.path.exists(config_file) else "no such file"
        raise ConfigError(f"{config_file}{named}: {problem}")
    try:
        given = {**_read_file(config_file), **_environment_overrides()}
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_file}: not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise ConfigError(f"{config_file}: cannot read: {exc.strerror or exc}") from None
    if not given:  # the defaults, valid by construction: nothing to check, no pydantic
        return Settings()
    from pydantic import ValidationError

    try:
        return Settings.model_validate(given)
    except ValidationError as exc:
        raise ConfigError(f"{config_file}: {format_validation_error(exc)}") from None


def _read_file(path: str) -> dict[str, Any]:
    """The file's tables and values; none when it does not exist (the defaults apply, and
    tomllib is not imported: ~3 ms of every one-shot command, issue 17)."""
    if not os.path.isfile(path):
        return {}
    import tomllib

    with open(path, "rb") as file:
        try:
            return tomllib.load(file)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _environment_overrides() -> dict[str, str]:
    """TMUXORCH_<FIELD> (any case) for the scalar top-level fields only: they beat the file.

    Without this filter an unrelated TMUXORCH_AGENTS variable would have to be a valid table,
    and TMUXORCH_TOKEN / TMUXORCH_CONFIG belong to other parts of the program.
    """
    found: dict[str, str] = {}
    for name in os.environ:  # the names only: decoding every value costs a status bar ~1 ms
        if (
            name[: len(ENV_PREFIX)].upper() == ENV_PREFIX
            and (field := name[len(ENV_PREFIX) :].lower()) in ENV_FIELDS
        ):
            found[field] = os.environ[name]
    return found


_PLAIN_KEY = r"[A-Za-z0-9_-]+"


def format_location(loc: tuple[int | str, ...]) -> str:
    """`('agents', 'claude', 'busy', 0)` -> `agents.claude.busy[0]`, as the key reads in TOML."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(_PLAIN_KEY, part):
            out += f".{part}" if out else part
        else:
            import json  # a key that needs quoting, in an error message only

            out += f"[{json.dumps(part)}]"
    return out or "(top level)"


def describe_error(error: Any) -> str:
    """One pydantic error as 'key: problem', in the config file's terms rather than pydantic's."""
    loc: tuple[int | str, ...] = tuple(error["loc"])
    kind: str = error["type"]
    message: str = error["msg"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif "input" in error and not isinstance(error["input"], dict | list):
        message = f"{message} (got {error['input']!r})"
    where = format_location(loc)
    if len(loc) == 1 and isinstance(loc[0], str) and _from_environment(loc[0]):
        where = f"{where} (from ${ENV_PREFIX}{loc[0].upper()})"
    return f"{where}: {message}"


def _from_environment(field: str) -> bool:
    if field not in ENV_FIELDS:
        return False
    wanted = f"{ENV_PREFIX}{field}".upper()
    return any(name.upper() == wanted for name in os.environ)


def format_validation_error(exc: ValidationError) -> str:
    """All of a ValidationError's problems on one line, separated by '; '."""
    return "; ".join(describe_error(error) for error in exc.errors())
