"""Where tmuxorch keeps its files on disk.

Locations come from platformdirs, so on Linux they follow XDG_DATA_HOME / XDG_CONFIG_HOME and on
other systems the platform's conventions. They are functions, not module constants, because the
environment is read at call time: tests (and users) can point tmuxorch elsewhere by setting those
variables after import.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "tmuxorch"

# The data directory holds the audit log and (later) hashed tokens: nobody else needs to read it.
DATA_DIR_MODE = 0o700


def data_dir() -> Path:
    """The per-user directory for tmuxorch's persistent data (the database). Not created."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The per-user directory where the user's config.toml lives. Not created."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    """The single SQLite database that holds everything tmuxorch persists."""
    return data_dir() / "tmuxorch.db"


def config_path() -> Path:
    """The default configuration file (TMUXORCH_CONFIG overrides it, see core.config)."""
    return config_dir() / "config.toml"


def ensure_data_dir() -> Path:
    """Create the data directory if needed, private to the user (0700), and return it.

    The directory is tmuxorch's own, so a wider mode left by an earlier version or a permissive
    umask is tightened rather than trusted: the database in it records what was sent to agents.
    """
    path = data_dir()
    path.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DATA_DIR_MODE:
        os.chmod(path, DATA_DIR_MODE)
    return path
