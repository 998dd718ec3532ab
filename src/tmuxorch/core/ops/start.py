"""Where a spawned command starts and what its window carries: its directory, what is added to
its environment, and the label of the fleet file that started it. Each is checked here before
tmux sees it, and each reaches tmux as one argument of its own (`-c DIR`, `-e NAME=VALUE`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.names import validate_env_name

MAX_FLEET_LABEL = 1000


def directory_problem(cwd: str) -> str | None:
    """Why `cwd` cannot be where a spawned command starts, or None: after `~` is expanded (on
    this host) it must be an existing absolute directory. tmux expands formats in `-c` (`#(cmd)`
    runs a shell), so a `#` is refused rather than escaped (safety rule 1)."""
    path = os.path.expanduser(cwd)
    if "#" in path:
        return "contains '#', which tmux reads as format syntax"
    if "\x00" in path or not os.path.isabs(path):
        return "not an absolute path (nor ~/...)"
    if not os.path.isdir(path):
        return "not a directory"
    return None


def spawn_directory(cwd: str) -> str:
    """`cwd` with `~` expanded, checked by directory_problem (BadInputError)."""
    if (problem := directory_problem(cwd)) is not None:
        raise BadInputError(f"cwd {cwd!r}: {problem}")
    return os.path.expanduser(cwd)


def start_options(cwd: str | None, env: Mapping[str, str] | None) -> list[str]:
    """`-c DIR -e NAME=VALUE...` for the command's own start, each one argument, checked."""
    options = [] if cwd is None else ["-c", spawn_directory(cwd)]
    for key, value in (env or {}).items():
        if "\x00" in value:
            raise BadInputError(f"env {validate_env_name(key)}: the value holds a NUL byte")
        options += ["-e", f"{validate_env_name(key)}={value}"]
    return options


def validate_fleet_label(label: str) -> str:
    """A fleet label (a fleet file's path) is stored in a window option as it is: printable."""
    if not label or len(label) > MAX_FLEET_LABEL or not label.isprintable():
        raise BadInputError(f"fleet label is empty, over {MAX_FLEET_LABEL} or not printable")
    return label
