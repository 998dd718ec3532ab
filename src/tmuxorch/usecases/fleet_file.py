"""The fleet file (`tmuxorch.toml`): the sessions, windows and agents `tmuxorch up` makes.

    [sessions.proj]                   # a tmux session (created when missing)
    cwd = "~/proj"                    # its windows start here unless they say otherwise
    env = { LOG_LEVEL = "info" }      # added to each window's environment
    [sessions.proj.windows.api]       # one window, one agent
    kind = "claude"
    command = ["claude", "--model", "opus"]
    cwd = "api"                       # relative: to the session's cwd, else to this file
    message = "Read TODO.md and start on the first item."

The schema is the models below and nothing else: pydantic checks a file against them (types,
unknown keys) the way kind files are checked (core/agents/kindfile.py), then `read_fleet` checks
what needs more than one key or the world (names as tmux keeps them, a known kind, one of
command/shell, a directory that exists). Every mistake is one ConfigError line (exit 2) naming
the file, the line (usecases/toml_lines.py) and the key: `tmuxorch.toml:7:
sessions.proj.windows.api.cwd: not a directory ('/nope')`, before anything is started.

`restart = "on-failure" | "always"` (with `max_restarts = N`) is a window's restart policy, as
`spawn --restart`; `[[...windows.NAME.schedules]]` are its check-ins, as `schedule add` (`after`
for `--in`), added when `up` creates the window.
"""

from __future__ import annotations

import posixpath
import time
import tomllib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from tmuxorch.core.constraints import Check
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.frozen import Frozen, field, frozen_model
from tmuxorch.core.names import validate_env_name, validate_kind, validate_name
from tmuxorch.core.ops.delivery import validate_message
from tmuxorch.core.ops.operations import shell_command
from tmuxorch.core.ops.start import directory_problem, validate_fleet_label
from tmuxorch.core.restart_policy import RestartPolicy
from tmuxorch.core.schedules.when import Named, Trigger, TriggerKind, trigger_from
from tmuxorch.core.store.config import ConfigError, NonEmpty, describe_error, format_location
from tmuxorch.usecases.toml_lines import KeyLines

DEFAULT_FILE = "tmuxorch.toml"


def _argv(value: object) -> list[str]:
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise ValueError('an argv: a list of words, e.g. ["claude", "--model", "opus"] (a shell line '
                     "goes in `shell`)")  # fmt: skip


Argv = Annotated[list[str], Check(_argv, mode="plain")]


@frozen_model
class ScheduleSpec(Frozen):
    """One check-in of a window's agent, as `schedule add` takes it: exactly one of `after`
    (as --in), `at`, `every`, `cron`, `when_idle`; added when `up` creates the window."""

    message: NonEmpty
    after: NonEmpty | None = None
    at: NonEmpty | None = None
    every: NonEmpty | None = None
    cron: NonEmpty | None = None
    when_idle: bool = False
    timeout: NonEmpty | None = None


@frozen_model
class WindowSpec(Frozen):
    """One window of a session and the agent it runs (exactly one of `command` and `shell`)."""

    command: Argv | None = None
    """The agent's argv, exec'd as it is (never through a shell)."""
    shell: NonEmpty | None = None
    """A shell line, run by `sh -c`, for when you want one."""
    kind: NonEmpty | None = None
    """The agent kind it is tagged with (`tmuxorch kinds`); needed for `message`."""
    cwd: NonEmpty | None = None
    env: dict[str, str] = field(default_factory=dict)
    message: NonEmpty | None = None
    """Sent once, when the window is created and its agent is first idle."""
    restart: Literal["on-failure", "always"] | None = None
    """Start it again in its pane when it exits (`spawn --restart`)."""
    max_restarts: int | None = None
    schedules: list[ScheduleSpec] = field(default_factory=list)
    """Check-ins added for its agent when `up` creates the window (`tmuxorch schedule`)."""


@frozen_model
class SessionSpec(Frozen):
    """One tmux session: defaults for its windows, and the windows in the order they are made."""

    cwd: NonEmpty | None = None
    env: dict[str, str] = field(default_factory=dict)
    windows: dict[str, WindowSpec]


@frozen_model
class FleetSpec(Frozen):
    """The whole file."""

    sessions: dict[str, SessionSpec]


@dataclass(frozen=True)
class FleetWindow:
    """One window as `up` makes it: everything resolved (the session's defaults applied)."""

    session: str
    name: str
    command: tuple[str, ...]
    kind: str | None
    cwd: str | None
    """As it is passed to spawn: absolute, or starting with `~` (the spawning host's home)."""
    env: dict[str, str]
    message: str | None
    restart: RestartPolicy | None = None
    schedules: tuple[ScheduleSpec, ...] = ()

    @property
    def target(self) -> str:
        return f"{self.session}:{self.name}"


@dataclass(frozen=True)
class Fleet:
    """A fleet file, read and checked."""

    label: str
    """What its windows are labelled with (`Window.fleet`): the file's resolved path."""
    windows: tuple[FleetWindow, ...]


def fleet_label(path: Path) -> str:
    """The label of the windows the fleet file at `path` starts: its absolute, resolved path (so
    `up` from one directory and `down` from another agree), whether or not it still exists."""
    return str(path.expanduser().resolve())


class _Problem(Exception):
    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        self.loc, self.message = tuple(loc), message


def read_fleet(
    path: Path,
    known_kinds: Collection[str] | None,
    *,
    directory_exists: Callable[[str], str | None] | None = directory_problem,
) -> Fleet:
    """The fleet file at `path`, checked (ConfigError with FILE:LINE otherwise). Kinds must be
    among `known_kinds` and directories pass `directory_exists` (a problem or None), unless
    they are None: over --connect both are the server's, checked there when spawned."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such fleet file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, _, where = str(exc).rpartition(" (at line ")
        line, _, column = where.rstrip(")").partition(", ")
        if not line.isdigit():  # "at end of document"
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        raise ConfigError(f"{path}:{line}: invalid TOML: {message} ({column})") from None
    lines = KeyLines(text)
    try:
        spec = _validated(data)
        windows = tuple(_resolved(spec, path.parent, known_kinds, directory_exists))
    except _Problem as problem:
        number = lines.line(problem.loc)
        where = f"{path}:{number}" if number is not None else str(path)
        raise ConfigError(f"{where}: {format_location(problem.loc)}: {problem.message}") from None
    label = fleet_label(path)
    _check_label(path, label)
    return Fleet(label=label, windows=windows)


def _check_label(path: Path, label: str) -> None:
    """The label goes into a window option as it is: checked now, not at the first spawn."""
    try:
        validate_fleet_label(label)
    except BadInputError:
        raise ConfigError(
            f"{path}: its path must be printable and short to label windows"
        ) from None


def _validated(data: dict[str, Any]) -> FleetSpec:
    """The file's data as its models, or the first problem pydantic found (in file order)."""
    from pydantic import ValidationError

    try:
        return FleetSpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
    error = errors[0]  # pydantic reports in the order of the data, which is the file's
    described = describe_error(error)
    message = described.partition(": ")[2]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if error["type"] == "extra_forbidden":
        model = _model_of(error["loc"])
        message += f" (the keys are {', '.join(model.field_names())})"
    raise _Problem(error["loc"], message + more)


def _model_of(key: Sequence[Any]) -> type[Frozen]:
    """The model whose table holds `key`: `x` the file's, `sessions.S.x` a session's,
    `sessions.S.windows.W.x` a window's (a table's keys alternate with its named entries)."""
    return (FleetSpec, SessionSpec, WindowSpec)[len(key) // 2]


def _resolved(
    spec: FleetSpec,
    base: Path,
    known_kinds: Collection[str] | None,
    directory_exists: Callable[[str], str | None] | None,
) -> list[FleetWindow]:
    """Every window with its session's defaults, each checked beyond its types."""
    windows: list[FleetWindow] = []
    here_dir = str(base.resolve())
    if not spec.sessions:
        raise _Problem(("sessions",), "no session: add a [sessions.NAME.windows.NAME] table")
    for session_name, session in spec.sessions.items():
        at: tuple[str, ...] = ("sessions", session_name)
        _check(at, validate_name, session_name, "session")
        session_cwd = _directory(session.cwd, here_dir, at, directory_exists)
        _check_env(session.env, at)
        if not session.windows:
            raise _Problem((*at, "windows"), "no window: add a [sessions.NAME.windows.NAME] table")
        for name, window in session.windows.items():
            here = (*at, "windows", name)
            _check(here, validate_name, name, "window")
            cwd = _directory(window.cwd, session_cwd or here_dir, here, directory_exists)
            windows.append(
                FleetWindow(
                    session=session_name,
                    name=name,
                    command=_command(window, here),
                    kind=_kind(window, here, known_kinds),
                    cwd=cwd or session_cwd,
                    env={**session.env, **_check_env(window.env, here)},
                    message=_message(window, here),
                    restart=_restart(window, here),
                    schedules=_schedules(window, here),
                )
            )
    return windows


def _check(loc: Sequence[str | int], check: Callable[..., object], *args: str) -> None:
    """`check(*args)`, a BadInputError from it a problem at `loc`."""
    try:
        check(*args)
    except BadInputError as exc:
        raise _Problem(loc, str(exc)) from None


def _command(window: WindowSpec, at: tuple[str, ...]) -> tuple[str, ...]:
    if window.command is not None and window.shell is not None:
        raise _Problem((*at, "shell"), "give `command` (an argv) or `shell` (a line), not both")
    if window.command is not None:
        return tuple(window.command)
    if window.shell is not None:
        return tuple(shell_command(window.shell))
    raise _Problem(at, "no command: give `command` (an argv) or `shell` (a line)")


def _kind(window: WindowSpec, at: tuple[str, ...], known: Collection[str] | None) -> str | None:
    if window.kind is None:
        return None
    _check((*at, "kind"), validate_kind, window.kind)
    if known is not None and window.kind not in known:
        raise _Problem((*at, "kind"), f"unknown agent kind {window.kind!r} (known: "
                       f"{', '.join(sorted(known))})")  # fmt: skip
    return window.kind


def _restart(window: WindowSpec, at: tuple[str, ...]) -> RestartPolicy | None:
    if window.restart is None:
        if window.max_restarts is not None:
            raise _Problem((*at, "max_restarts"), "goes with `restart`")
        return None
    try:
        return RestartPolicy(when=window.restart, max_restarts=window.max_restarts)
    except BadInputError as exc:  # its words are the CLI's: say the key instead of the option
        reason = str(exc).replace("--max-restarts ", "", 1)
        raise _Problem((*at, "max_restarts"), reason) from None


def _schedules(window: WindowSpec, at: tuple[str, ...]) -> tuple[ScheduleSpec, ...]:
    """Each schedule read as `schedule add` would now (so a bad time is told with its line)."""
    for n, spec in enumerate(window.schedules):
        here: tuple[str | int, ...] = (*at, "schedules", n)
        try:
            schedule_trigger(spec, time.time())
        except BadInputError as exc:
            raise _Problem(here, str(exc)) from None
        _check((*here, "message"), validate_message, spec.message)
    return tuple(window.schedules)


def schedule_trigger(spec: ScheduleSpec, now: float) -> Trigger:
    """The trigger of a fleet file's schedule, its keys named in what it refuses."""
    times: dict[TriggerKind, Named] = {
        "in": ("after", spec.after), "at": ("at", spec.at), "every": ("every", spec.every),
        "cron": ("cron", spec.cron),
    }  # fmt: skip
    return trigger_from(times, ("when_idle", spec.when_idle), ("timeout", spec.timeout), now)


def _message(window: WindowSpec, at: tuple[str, ...]) -> str | None:
    if window.message is None:
        return None
    if window.kind is None:
        raise _Problem((*at, "message"), "needs `kind`: it is sent once the agent is idle, which "
                       "only a known kind tells")  # fmt: skip
    _check((*at, "message"), validate_message, window.message)
    return window.message


def _directory(
    cwd: str | None,
    base: str,
    at: tuple[str, ...],
    directory_exists: Callable[[str], str | None] | None,
) -> str | None:
    """`cwd` made absolute (relative to `base`; `~` kept for the spawning host), checked."""
    if cwd is None:
        return None
    joined = cwd if cwd.startswith("~") else posixpath.normpath(posixpath.join(base, cwd))
    if directory_exists is not None and (problem := directory_exists(joined)) is not None:
        raise _Problem((*at, "cwd"), f"{problem} ({joined!r})")
    return joined


def _check_env(env: dict[str, str], at: tuple[str, ...]) -> dict[str, str]:
    for key, value in env.items():
        _check((*at, "env", key), validate_env_name, key)
        if "\x00" in value:
            raise _Problem((*at, "env", key), "the value holds a NUL byte")
    return env
