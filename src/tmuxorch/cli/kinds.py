"""`tmuxorch kinds`: the agent kinds in effect, where each came from, and what one reads.

Kinds come from data files (built in, or the user's next to the config file) with the
config's `[agents.<kind>]` on top (core.agents.profiles). Opens no backend: it reads files only.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tmuxorch.cli.commands import print_json
from tmuxorch.core.agents.catalog import kind_file_text
from tmuxorch.core.agents.kindfile import STATE_GROUPS
from tmuxorch.core.agents.profiles import AgentProfile, load_profiles
from tmuxorch.core.agents.reading import Rule
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.store.config import load_settings

SCHEMA = "tmuxorch.kinds/1"


async def cmd_kinds(args: argparse.Namespace, _backend: Backend | None) -> int:
    profiles = load_profiles(load_settings())
    if args.kinds_command is None:
        if args.json:
            print_json({"schema": SCHEMA, "kinds": [describe(p) for p in profiles.values()]})
        else:
            width = max(len(kind) for kind in profiles)
            for profile in profiles.values():
                print(f"{profile.kind:<{width}}  {profile.origin}")
        return 0
    if args.kind not in profiles:
        raise BadInputError(f"no agent kind {args.kind!r} (known: {', '.join(profiles)})")
    profile = profiles[args.kind]
    if args.toml:
        text = kind_file_text(profile.kind)
        if text is None:
            raise BadInputError(f"kind {profile.kind!r} has no kind file (it is in the config)")
        sys.stdout.write(text)
    elif getattr(args, "json", False):
        print_json({"schema": SCHEMA, "kinds": [describe(profile)]})
    else:
        print(show_text(profile))
    return 0


def describe(profile: AgentProfile) -> dict[str, Any]:
    """One kind as JSON: where it came from and everything it reads and does."""
    region = profile.region
    return {
        "kind": profile.kind,
        "origin": profile.origin,
        "processes": list(profile.processes),
        "patterns": {
            group: [_rule(rule) for rule in getattr(profile, group)] for group in STATE_GROUPS
        },
        "region": {
            "tail_lines": region.tail_lines,
            "after_last": region.after_last.pattern if region.after_last else None,
            "above": region.above.pattern if region.above else None,
        },
        "interrupt": list(profile.interrupt_keys),
        "interrupt_gap": profile.interrupt_gap,
        "submit": {
            "enter_delay": profile.enter_delay,
            "multi_line": "paste",
            "pasted": profile.pasted.pattern if profile.pasted else None,
        },
        "title": [{"state": state, **_rule(rule)} for state, rule in profile.titles],
    }


def _rule(rule: Rule) -> dict[str, str]:
    return {"rule": rule.name, "pattern": rule.source}


def show_text(profile: AgentProfile) -> str:
    """One kind for a person: the same as `describe`, a line per setting or rule."""
    doc = describe(profile)
    region = doc["region"]
    read = f"the last {region['tail_lines']} non-empty lines"
    if region["after_last"]:
        read += f", after the last line matching {region['after_last']}"
    if region["above"]:
        read += f", above the last line matching {region['above']}"
    delay = profile.enter_delay
    lines = [
        f"{profile.kind} ({profile.origin})",
        f"processes: {' '.join(profile.processes)}",
        f"reads: {read}",
        f"interrupt: {' '.join(profile.interrupt_keys)}"
        + (f" ({profile.interrupt_gap:g} s apart)" if profile.interrupt_gap else ""),
        "submit: Enter after "
        + (f"{delay:g} s" if delay is not None else "the config's enter_delay")
        + (f"; a paste shows as {doc['submit']['pasted']}" if profile.pasted else ""),
    ]
    for group in STATE_GROUPS:
        rules = getattr(profile, group)
        lines += [f"{group}:", *(f"  {rule}" for rule in rules)] if rules else []
    if profile.titles:
        lines += ["title:", *(f"  {state}: {rule}" for state, rule in profile.titles)]
    return "\n".join(lines)
