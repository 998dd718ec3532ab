"""Where tmuxorch keeps its files on disk.

On Linux they follow the XDG base directory spec (XDG_DATA_HOME / XDG_CONFIG_HOME when set to an
absolute path, else ~/.local/share and ~/.config), read here; on other systems the platform's
conventions, from platformdirs. Why not platformdirs everywhere: every command looks for its
config file, and platformdirs loads tempfile and its own modules first, ~3-7 ms of a status bar's
one-shot read (issue 17); the spec is two lines, and a test holds them equal to platformdirs'.

They are functions, not module constants, because the environment is read at call time: tests
(and users) can point tmuxorch elsewhere by setting those variables after import. They are
strings, joined with `os.path`: pathlib (with urllib.parse, ipaddress and fnmatch) costs every
command ~4-6 ms here, for nothing a string cannot do.
"""

from __future__ import annotations

import os
import sys

APP_NAME = "tmuxorch"

# The data directory holds the audit log and (later) hashed tokens: nobody else needs to read it.
DATA_DIR_MODE = 0o700


def data_dir() -> str:
    """The per-user directory for tmuxorch's persistent data (the database). Not created."""
    if sys.platform == "linux":
        return _xdg("XDG_DATA_HOME", "~/.local/share")
    import platformdirs

    return platformdirs.user_data_dir(APP_NAME, appauthor=False)


def config_dir() -> str:
    """The per-user directory where the user's config.toml lives. Not created."""
    if sys.platform == "linux":
        return _xdg("XDG_CONFIG_HOME", "~/.config")
    import platformdirs

    return platformdirs.user_config_dir(APP_NAME, appauthor=False)


def _xdg(variable: str, default: str) -> str:
    """The spec's base directory: $variable when it is an absolute path, else `default`."""
    base = os.environ.get(variable, "")
    base = base if os.path.isabs(base) else os.path.expanduser(default)
    return os.path.join(base, APP_NAME)


def database_path() -> str:
    """The single SQLite database that holds everything tmuxorch persists."""
    return os.path.join(data_dir(), "tmuxorch.db")


def config_path() -> str:
    """The default configuration file (TMUXORCH_CONFIG overrides it, see core.config)."""
    return os.path.join(config_dir(), "config.toml")


def ensure_data_dir() -> str:
    """Create the data directory if needed, private to the user (0700), and return it.

    The directory is tmuxorch's own, so a wider mode left by an earlier version or a permissive
    umask is tightened rather than trusted: the database in it records what was sent to agents.
    """
    path = data_dir()
    os.makedirs(path, mode=DATA_DIR_MODE, exist_ok=True)
    if os.stat(path).st_mode & 0o777 != DATA_DIR_MODE:
        os.chmod(path, DATA_DIR_MODE)
    return path
