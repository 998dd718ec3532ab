"""`python -m bench [BENCHMARK] [options]`: run one benchmark (default: `snapshot`).

A subcommand per benchmark, so new ones are added as sibling modules without changing how the
existing ones are invoked; `python -m bench --json` still means `python -m bench snapshot --json`.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType, ModuleType

from bench import (
    attack,
    broadcast,
    chaos,
    cli,
    events,
    fanout,
    queue,
    snapshot,
    states,
    tui,
    tui_cpu,
)

BENCHMARKS: dict[str, ModuleType] = {
    "snapshot": snapshot,
    "events": events,
    "broadcast": broadcast,
    "states": states,
    "tui": tui,
    "tui-cpu": tui_cpu,
    "fanout": fanout,
    "chaos": chaos,
    "attack": attack,
    "cli": cli,
    "queue": queue,
}
DEFAULT = "snapshot"


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the docstrings' paragraphs and show each option's default."""


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into an exception so every fleet's `finally` kills its server."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Parse the subcommand and its options, run that benchmark, return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv.insert(0, DEFAULT)
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=_Formatter
    )
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, module in BENCHMARKS.items():
        summary = (module.__doc__ or "").strip().splitlines()[0]
        sub = commands.add_parser(
            name, help=summary, description=module.__doc__, formatter_class=_Formatter
        )
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    try:
        status: int = BENCHMARKS[args.benchmark].run(args)
    except KeyboardInterrupt:
        print("bench: interrupted (test servers were shut down)", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
