"""CLI: whole-process wall time of one-shot tmuxorch commands, beside tmux and libtmux.

Why: scripts, cron jobs and tmux status lines run `tmuxorch status`, `send`, `capture` as whole
processes, again and again; what they wait for is the interpreter, the imports and the tmux
processes, not the engine's snapshot alone (issue 17). Each command runs as a user runs it: the
venv's `tmuxorch` console script with `-S SOCKET`, private XDG directories, stdout and stderr read
through pipes, timed around `subprocess.run`. Every job runs once to warm up, then `--runs`
rounds of all jobs of a fleet in turn (interleaved, so a busy moment falls on all of them alike);
median and p90 per job.

The package's bytecode is written first (`python -m compileall -q` on its directory): a user's
machine writes it on the first run, while this one sets PYTHONDONTWRITEBYTECODE=1, under which
every run would compile all of tmuxorch again.

Fleets: 16 and 201 idle panes (3 a window), and one simulated agent (tagged `sim`) for `send
--no-enter`, whose text is checked in the input box and cleared with Escape after each run, and
for `capture`. Beside them: `tmux list-panes -a -F '#{pane_id}:#{pane_current_command}'` on the
same fleet, `python -c pass` (the interpreter alone), and libtmux scripts doing the same job in a
process of their own. `status --format tmux` is measured only when `tmuxorch status --help` lists
`--format`; while `tmuxorch watch` runs on the 16-pane fleet, it is timed once more (read from
the watcher's option). With a baseline (an earlier `--json` line; by default the last line of
figures/cli-before.json: the tree before issue 17's work, 63ad93a, timed by this bench on the
machine of that work; the line above it is the same tree on a slower machine), each target
command's speed-up over it is printed too.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.agentfleet import READY_TIMEOUT_S, agent_fleet
from bench.cli_jobs import (
    LIBTMUX_CAPTURE,
    LIBTMUX_SEND,
    LIBTMUX_STATUS,
    Job,
    Runs,
    clear_prompt,
    compile_package,
    has_format_option,
    libtmux_job,
    measure,
    tmuxorch_script,
    wait_prompt,
    watcher,
)
from bench.fleet import Fleet, Shape, clean_environ, fleet, tmux_binary
from bench.report import finish, one_record_arguments, print_targets, progress

SIZES = (16, 201)
KEPT = f"status_tmux_kept_{SIZES[0]}"
"""`status --format tmux` while `tmuxorch watch` keeps the segment (read from its option)."""
SEND_TEXT = "bench cli: hello agent"
LIST_FORMAT = "#{pane_id}:#{pane_current_command}"
DEFAULT_BASELINE = Path(__file__).parent / "figures" / "cli-before.json"
TARGETS = (
    ("version", "tmuxorch --version", 25.0),
    ("status_json_16", "status --json, 16 panes", 60.0),
    ("status_tmux_16", "status --format tmux, 16 panes", 40.0),
    ("send", "send --no-enter to one agent", 80.0),
)
"""(job, what, ms its median may take): the issue's targets."""
LIBTMUX_PEER = {
    "status_json_16": "libtmux_status_16",
    "status_tmux_16": "libtmux_status_16",
    "send": "libtmux_send",
}
"""The libtmux script doing the same job as a target command, which the command must beat."""
BASELINE_PEER = {
    "status_tmux_16": "status_json_16",
    "status_tmux_201": "status_json_201",
    KEPT: "status_json_16",
}
"""What a target is compared with when the baseline lacks it: before `--format tmux` existed,
a status line had to run `status --json`."""
SPEED_UP = 3.0


def _rows(panes: int | None) -> list[tuple[str, str]]:
    """(job, label) of the table, in order, for one fleet (None: the simulated agent)."""
    if panes is None:
        return [
            ("list_panes_agent", "tmux list-panes -a -F (1 agent)"),
            ("send", "tmuxorch send --no-enter"),
            ("libtmux_send", "libtmux script: send_keys, no Enter"),
            ("capture", "tmuxorch capture"),
            ("libtmux_capture", "libtmux script: capture_pane"),
        ]
    first = [("python_pass", "python -c pass"), ("version", "tmuxorch --version")]
    return [
        *(first if panes == SIZES[0] else []),
        (f"list_panes_{panes}", f"tmux list-panes -a -F ({panes} panes)"),
        (f"status_json_{panes}", "tmuxorch status --json"),
        (f"status_tmux_{panes}", "tmuxorch status --format tmux"),
        *([(KEPT, "  the same, a watcher running")] if panes == SIZES[0] else []),
        (f"libtmux_status_{panes}", "libtmux script: panes as JSON"),
    ]


def _fleet_jobs(built: Fleet, script: Path, with_format: bool) -> list[Job]:
    """The jobs on a fleet of idle panes."""
    env = built.private_env()
    panes = built.shape.panes
    tmuxorch = [str(script), "-S", str(built.socket_path)]
    labels = dict(_rows(panes))
    argvs: dict[str, list[str]] = {
        "python_pass": [sys.executable, "-c", "pass"],
        "version": [str(script), "--version"],
        f"list_panes_{panes}": built.argv("list-panes", "-a", "-F", LIST_FORMAT),
        f"status_json_{panes}": [*tmuxorch, "status", "--json"],
    }
    if with_format:
        argvs[f"status_tmux_{panes}"] = [*tmuxorch, "status", "--format", "tmux"]
    jobs = [Job(key, labels[key], argv, env) for key, argv in argvs.items() if key in labels]
    key = f"libtmux_status_{panes}"
    jobs.append(libtmux_job(key, labels[key], LIBTMUX_STATUS, env, str(built.socket_path)))
    return jobs


def _agent_jobs(built: Fleet, script: Path) -> list[Job]:
    """The jobs on the one simulated agent: send (checked, then cleared) and capture."""
    env = built.private_env()
    pane = built.pane_ids()[0]
    socket = str(built.socket_path)
    tmuxorch = [str(script), "-S", socket]
    labels = dict(_rows(None))
    reset = clear_prompt(built, pane, SEND_TEXT)
    return [
        Job("list_panes_agent", labels["list_panes_agent"], built.argv(
            "list-panes", "-a", "-F", LIST_FORMAT), env),
        Job("send", labels["send"], [*tmuxorch, "send", pane, "--no-enter", "-m", SEND_TEXT],
            env, reset),
        Job("capture", labels["capture"], [*tmuxorch, "capture", pane], env),
        libtmux_job("libtmux_send", labels["libtmux_send"], LIBTMUX_SEND, env, socket, pane,
                    SEND_TEXT, reset=reset),
        libtmux_job("libtmux_capture", labels["libtmux_capture"], LIBTMUX_CAPTURE, env, socket,
                    pane),
    ]  # fmt: skip


def _measure_fleets(runs: int, script: Path, with_format: bool) -> dict[str, Runs]:
    found: dict[str, Runs] = {}
    for panes in SIZES:
        progress(f"cli: {panes} idle panes, {runs} runs of each job after a warm-up")
        with fleet(Shape(panes)) as built:
            found.update(measure(_fleet_jobs(built, script, with_format), runs))
            if with_format and panes == SIZES[0]:
                found.update(_measure_kept(built, script, runs))
    progress(f"cli: one simulated agent: send --no-enter and capture, {runs} runs")
    with agent_fleet(1, busy=4.0) as built:
        pane = built.pane_ids()[0]
        built.tmux("set-option", "-p", "-t", pane, "@tmuxorch-agent", "sim")
        wait_prompt(built, pane, "", READY_TIMEOUT_S)
        found.update(measure(_agent_jobs(built, script), runs))
    return found


def _measure_kept(built: Fleet, script: Path, runs: int) -> dict[str, Runs]:
    """`status --format tmux` with a watcher running (its own round: with a watcher there, the
    other `--format tmux` job would read the option too)."""
    argv = [str(script), "-S", str(built.socket_path), "status", "--format", "tmux"]
    with watcher(built, script):
        return measure([Job(KEPT, dict(_rows(SIZES[0]))[KEPT], argv, built.private_env())], runs)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, 1)


def _baseline_median(baseline: dict[str, Any], key: str) -> float | None:
    """The baseline's median for `key`, or for its BASELINE_PEER when it has none."""
    medians = baseline["median_ms"]
    found = medians.get(key, medians.get(BASELINE_PEER.get(key, "")))
    return float(found) if found is not None else None


def _peer_note(baseline: dict[str, Any], key: str) -> str:
    """Says so when the baseline figure of `key` is its peer's."""
    peer = BASELINE_PEER.get(key)
    return f" (baseline: {peer})" if key not in baseline["median_ms"] and peer else ""


def _print_table(record: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    medians, p90s = record["median_ms"], record["p90_ms"]
    print(
        f"\nWhole-process wall time in ms: median and p90 of {record['runs']} runs after a "
        f"warm-up; x: times `tmux list-panes` on the same fleet, and `python -c pass`"
    )
    header = f"  {'':<44}{'median':>8}{'p90':>8}{'x tmux':>8}{'x py':>7}"
    print(header + (f"{'baseline':>10}{'faster':>8}" if baseline else ""))
    for panes in (*SIZES, None):
        reference = medians.get(f"list_panes_{panes or 'agent'}")
        for key, label in _rows(panes):
            if key not in medians:
                print(f"  {label:<44}{'n/a (not built)':>16}")
                continue
            median = medians[key]
            cells = f"{median:>8.1f}{p90s[key]:>8.1f}"
            for base in (reference, medians["python_pass"]):
                ratio = _ratio(median, base)
                cells += f"{ratio:>7.1f}x" if ratio is not None else f"{'':>8}"
            if baseline:
                before = _baseline_median(baseline, key)
                speed_up = _ratio(before, median)
                if speed_up:
                    cells += f"{before:>10.1f}{speed_up:>7.1f}x{_peer_note(baseline, key)}"
            print(f"  {label:<44}{cells}")


def _targets(
    record: dict[str, Any], baseline: dict[str, Any] | None
) -> list[tuple[str, str, bool]]:
    medians = record["median_ms"]
    rows: list[tuple[str, str, bool]] = []
    for key, what, limit in TARGETS:
        ours = medians.get(key)
        if ours is None:
            rows.append((f"{what} <= {limit:g} ms", "n/a (not built)", False))
            continue
        rows.append((f"{what} <= {limit:g} ms", f"{ours:.1f} ms", ours <= limit))
        peer = medians.get(LIBTMUX_PEER.get(key, ""))
        if peer is not None:
            rows.append((f"{what}: faster than libtmux", f"{ours:.1f} vs {peer:.1f} ms",
                         ours < peer))  # fmt: skip
        before = _baseline_median(baseline, key) if baseline else None
        if before is not None:
            speed_up = before / ours
            value = f"{speed_up:.1f}x ({before:.1f} -> {ours:.1f} ms){_peer_note(baseline, key)}"
            rows.append((f"{what}: >= {SPEED_UP:g}x faster than the baseline", value,
                         speed_up >= SPEED_UP))  # fmt: skip
    return rows


def _load_baseline(path: Path | None) -> dict[str, Any] | None:
    """The last `bench cli --json` line of `path` (None when no baseline is wanted or, for the
    default file, when there is none yet)."""
    if path is None or (path == DEFAULT_BASELINE and not path.exists()):
        return None
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        record = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"bench: cli: cannot read the baseline {path}: {exc}") from None
    if not isinstance(record, dict) or record.get("bench") != "cli" or "median_ms" not in record:
        raise SystemExit(f"bench: cli: {path} ends with no `bench cli --json` line")
    return record


def _tmux_version() -> str:
    done = subprocess.run([tmux_binary(), "-V"], capture_output=True, text=True, check=False)
    return done.stdout.strip().removeprefix("tmux ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m bench cli`."""
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each job")
    parser.add_argument(
        "--baseline",
        type=Path,
        default=DEFAULT_BASELINE,
        help="an earlier `bench cli --json` line to compare the targets with",
    )
    parser.add_argument("--no-baseline", action="store_true", help="compare with no baseline")
    one_record_arguments(parser)


def _summary(found: dict[str, Runs], runs: int, with_format: bool) -> dict[str, Any]:
    return {
        "bench": "cli",
        "runs": runs,
        "python": platform.python_version(),
        "tmux": _tmux_version(),
        "format_tmux": with_format,
        "median_ms": {key: round(r.median, 2) for key, r in found.items()},
        "p90_ms": {key: round(r.p90, 2) for key, r in found.items()},
    }


def run(args: argparse.Namespace) -> int:
    """Time every job; the exit status is 1 only with --strict and a failed target."""
    if args.runs < 1:
        raise SystemExit("bench: cli: --runs must be >= 1")
    baseline = _load_baseline(None if args.no_baseline else args.baseline)
    script = tmuxorch_script()
    package = compile_package()
    progress(f"cli: bytecode written for {package}; timing {script}")
    with_format = has_format_option(script, clean_environ())
    try:
        found = _measure_fleets(args.runs, script, with_format)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        raise SystemExit(f"bench: cli: {exc}") from None
    record = _summary(found, args.runs, with_format)
    if baseline is not None:
        record["baseline_median_ms"] = baseline["median_ms"]
    _print_table(record, baseline)
    targets = _targets(record, baseline)
    print_targets(targets)
    return finish(args, record, targets)
