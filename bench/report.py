"""What every benchmark prints the same way: progress on stderr, and its targets as PASS/FAIL."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def progress(message: str) -> None:
    """A progress line on stderr (stdout stays for the table and the JSON lines)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def print_targets(targets: Sequence[tuple[str, str, bool]]) -> None:
    """(what, measured value, met?) rows under a `Targets` heading, aligned."""
    print("\nTargets")
    width = max((len(text) for text, _, _ in targets), default=0)
    for text, value, ok in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {text:<{width}}  {value}")
