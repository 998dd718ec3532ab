"""What every benchmark prints the same way: progress on stderr, and its targets as PASS/FAIL."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any


def progress(message: str) -> None:
    """A progress line on stderr (stdout stays for the table and the JSON lines)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def print_targets(targets: Sequence[tuple[str, str, bool]]) -> None:
    """(what, measured value, met?) rows under a `Targets` heading, aligned."""
    print("\nTargets")
    width = max((len(text) for text, _, _ in targets), default=0)
    for text, value, ok in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {text:<{width}}  {value}")


def one_record_arguments(parser: argparse.ArgumentParser) -> None:
    """`--json` and `--strict`, for a benchmark that ends with one JSON record."""
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")


def finish(args: argparse.Namespace, record: dict[str, Any], targets: Sequence[Any]) -> int:
    """Print the JSON line if asked; the exit status: 1 only with --strict and a failed target
    (a target is a (what, value, met?) row)."""
    if args.json:
        print()
        print(json.dumps(record))
    return 1 if args.strict and not all(target[2] for target in targets) else 0
