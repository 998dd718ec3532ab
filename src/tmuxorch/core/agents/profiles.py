"""The agent profiles in effect: every kind's file (built in or the user's, see catalog.py), with
the config's `[agents.<kind>]` overrides on top, and what the rest of the code uses of them.

A profile says how to recognise a kind (detection.py), read its screen and title (reading.py)
and drive it (its interrupt keys, its submit strategy: core.ops). The built-in patterns were
checked on the real CLIs' screens in tests/fixtures/screens/.
"""

from __future__ import annotations

from tmuxorch.core.agents.catalog import kind_profiles, rules
from tmuxorch.core.agents.detection import AgentDetector, window_kind
from tmuxorch.core.agents.reading import AgentProfile, ScreenReading
from tmuxorch.core.store.config import AgentProfileConfig, Settings

__all__ = ["AgentDetector", "AgentProfile", "ScreenReading", "load_profiles", "window_kind"]


TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from os import PathLike


def load_profiles(
    settings: Settings, kinds_dir: str | PathLike[str] | None = None
) -> dict[str, AgentProfile]:
    """Every kind's profile: its kind file (the user's in `kinds_dir`, default next to the
    config file, else the built-in one) with the config's `[agents.<kind>]` overrides applied;
    a kind only the config names is added. A bad file is a ConfigError naming file and key."""
    profiles = kind_profiles(kinds_dir)
    for kind, override in settings.agents.items():
        base = profiles.get(kind) or AgentProfile(kind=kind, processes=(kind,), origin="")
        profiles[kind] = overridden(base, override)
    return profiles


def overridden(profile: AgentProfile, override: AgentProfileConfig) -> AgentProfile:
    """`profile` with the lists the config's `[agents.<kind>]` gives replaced."""
    prefix = f"agents.{profile.kind}"
    changes: dict[str, object] = {}
    for key, value in override.model_dump(exclude_none=True).items():
        if key in ("processes", "interrupt_keys"):
            changes[key] = tuple(value)
        elif key == "interrupt_gap":
            changes[key] = value
        else:
            changes[key] = rules(f"{prefix}.{key}", value)
    where = f"config [agents.{profile.kind}]"
    origin = f"{profile.origin} + {where}" if profile.origin else where
    return profile.model_copy(update={**changes, "origin": origin})
