"""The ways of watching tmux that tmuxorch replaces, shared by the benchmarks' baseline rows."""

from __future__ import annotations

import importlib
from typing import Any


def libtmux_or_none() -> Any | None:
    """libtmux if installed: it is optional (only .venv-bench has it), so imported by name."""
    try:
        return importlib.import_module("libtmux")
    except ImportError:
        return None
