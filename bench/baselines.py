"""The ways of watching tmux that tmuxorch replaces, shared by the benchmarks' baseline rows."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from tmuxorch.core.agents import load_profiles
from tmuxorch.core.config import Settings


def libtmux_or_none() -> Any | None:
    """libtmux if installed: it is optional (only .venv-bench has it), so imported by name."""
    try:
        return importlib.import_module("libtmux")
    except ImportError:
        return None


def classifier(kind: str = "sim") -> Callable[[str], str]:
    """The state a screen shows, by tmuxorch's own patterns for `kind`: a baseline that reads
    screens differs from tmuxorch only in how it reads them."""
    return load_profiles(Settings())[kind].classify
