"""`make mutate [ARGS="MODULE..."]`: mutation testing of the modules where a silent bug hurts most.

Each module is mutated by cosmic-ray and tested by the tests that are about it only (MODULES
below), one module at a time and one mutant at a time: the suite starts real tmux servers, and a
full-suite run per mutant would take hours. cosmic-ray edits the module in place, so everything
the tests start (`python -m tmuxorch` for the CLI, servers) runs the mutant too.

Before a module's mutants, two checks say the run means something: its tests pass on the code as
it is, and fail on a copy of the module that raises on import (were they importing some other
copy, every mutant would "survive"). The baseline's duration sets the timeout of a mutant's run.

A session (`.cosmic-ray/MODULE-DIGEST.sqlite`) is named after a digest of the module, so an
interrupted run resumes where it stopped and a changed module starts over (`--fresh` starts over
anyway, e.g. after tests changed); `--survivors` runs the survivors alone again, to see a new
test kill them. The report prints killed / survived / timeout / total and every survivor's diff.
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cosmic_ray.mutating import mutate_and_test  # type: ignore[import-untyped]
from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / ".cosmic-ray"


@dataclass(frozen=True)
class Module:
    """A module to mutate, the tests that are about it, and optionally the one function of it
    that matters (server.py is mostly plumbing; its scope check is one method)."""

    path: str
    tests: tuple[str, ...]
    only: str | None = None


MODULES: dict[str, Module] = {
    "delivery": Module(
        "src/tmuxorch/core/ops/delivery.py",
        (
            "tests/functional/test_delivery.py",
            "tests/functional/test_submit.py",
            "tests/functional/test_send_targets.py",
        ),
    ),
    "targets": Module(
        "src/tmuxorch/core/targets.py",
        ("tests/functional/test_targets.py", "tests/functional/test_send_targets.py"),
    ),
    "names": Module(
        "src/tmuxorch/core/names.py",
        (
            "tests/functional/test_operations.py::test_validate_name_messages",
            "tests/functional/test_operations.py::test_bad_names_are_refused_before_tmux",
            "tests/functional/test_operations.py::test_good_names_arrive_exactly",
            "tests/functional/test_operations.py::test_spawn_refuses_bad_kind_and_empty_command",
            "tests/functional/test_operations.py::test_keys_and_interrupt",
            "tests/functional/test_cli_input.py::test_names_tmux_would_change_or_read_as_ids_are_refused",
            "tests/functional/test_cli_input.py::test_a_dollar_is_refused_in_session_names_only",
            "tests/functional/test_cli_input.py::test_keys_without_a_target_says_so",
        ),
    ),
    "fleet_file": Module(
        "src/tmuxorch/usecases/fleet_file.py",
        ("tests/unit/test_fleet_file.py", "tests/unit/test_fleet_plan.py"),
    ),
    "quoting": Module("src/tmuxorch/core/tmux/quoting.py", ("tests/functional/test_quoting.py",)),
    "auth": Module(
        "src/tmuxorch/server/auth.py",
        ("tests/unit/test_server_units.py", "tests/functional/test_server.py"),
    ),
    "scope": Module(
        "src/tmuxorch/server/session.py",
        ("tests/functional/test_server_errors_logged.py", "tests/functional/test_server.py"),
        only="ClientSession._serve",
    ),
    "hub": Module(
        "src/tmuxorch/server/hub.py",
        ("tests/unit/test_server_units.py", "tests/functional/test_server.py"),
    ),
}

BROKEN = 'raise ImportError("scripts/mutate.py: a deliberately broken module")\n'


def pytest_command(module: Module) -> list[str]:
    """Stop at the first failure: a killed mutant costs one failing test, not the whole list."""
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *module.tests]


def session_path(name: str, module: Module) -> Path:
    """Named after the module's source: a mutant is an occurrence of an operator in that source,
    so a session is worth keeping exactly as long as the source is unchanged."""
    digest = hashlib.sha256((ROOT / module.path).read_bytes()).hexdigest()[:12]
    return SESSIONS / f"{name}-{digest}.sqlite"


def kept_session(name: str) -> Path:
    """The session of `name`'s last run (the module on disk may be a mutant right now)."""
    sessions = list(SESSIONS.glob(f"{name}-*.sqlite"))
    if not sessions:
        raise SystemExit(f"mutate: {name} has not been run")
    return sessions[0]


def function_lines(path: Path, qualname: str) -> str:
    """The line range `first-last` of a function given as `Class.method` or `function`."""
    body: list[ast.stmt] = ast.parse(path.read_text()).body
    node: ast.AST | None = None
    for part in qualname.split("."):
        node = next(
            (n for n in body if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
             and n.name == part),
            None,
        )  # fmt: skip
        if node is None:
            raise SystemExit(f"mutate: no {qualname} in {path}")
        body = node.body
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    return f"{node.lineno}-{node.end_lineno}"


def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's annotations are that Python never evaluates: every module here has
    `from __future__ import annotations`, so a signature's or a local variable's annotation stays
    a string, and a mutant inside one (`str | None` -> `str & None`) is equivalent by
    construction. A class body's annotations are kept: pydantic evaluates them."""
    tree = ast.parse(path.read_text())
    class_level = {
        id(node) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for node in cls.body
    }
    annotations: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            annotations.append(node.returns)
        elif isinstance(node, ast.AnnAssign) and id(node) not in class_level:
            annotations.append(node.annotation)
    return [
        ((node.lineno, node.col_offset), (node.end_lineno or 0, node.end_col_offset or 0))
        for node in annotations
    ]


def skip_annotations(session: Path, path: Path) -> None:
    spans = annotation_spans(path)
    with use_db(str(session), WorkDB.Mode.open) as db:
        skipped = [
            item.job_id
            for item in db.pending_work_items
            if any(start <= tuple(item.mutations[0].start_pos) < end for start, end in spans)
        ]
        db.set_multiple_results(
            skipped, WorkResult(output="in an annotation", worker_outcome=WorkerOutcome.SKIPPED)
        )


def run_tests(module: Module) -> tuple[bool, float]:
    start = time.monotonic()
    result = subprocess.run(pytest_command(module), cwd=ROOT, capture_output=True, check=False)
    return result.returncode == 0, time.monotonic() - start


def check_tests_see_the_module(module: Module) -> float:
    """Baseline green, a broken module red; return the baseline's duration."""
    passed, took = run_tests(module)
    if not passed:
        raise SystemExit(f"mutate: {shlex.join(pytest_command(module))} fails on the code as is")
    path = ROOT / module.path
    original = path.read_text()
    try:
        path.write_text(BROKEN + original)
        broken_passed, _ = run_tests(module)
    finally:
        path.write_text(original)
    if broken_passed:
        raise SystemExit(f"mutate: the tests of {module.path} pass with it broken: not its copy")
    return took


def write_config(name: str, module: Module, timeout: float) -> Path:
    lines = [
        "[cosmic-ray]",
        f'module-path = "{module.path}"',
        f"timeout = {timeout:.0f}",
        "excluded-modules = []",
        f"test-command = {json.dumps(shlex.join(pytest_command(module)))}",
        "",
        "[cosmic-ray.distributor]",
        'name = "local"',
    ]
    if module.only is not None:
        span = function_lines(ROOT / module.path, module.only)
        lines += ["", "[cosmic-ray.filters.line-filter.lines]", f'"{module.path}" = ["{span}"]']
    config = SESSIONS / f"{name}.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def cosmic_ray(*args: str | Path) -> None:
    """Run one of cosmic-ray's commands. Should we be stopped while it runs, it is stopped first
    with SIGINT, which makes it put back the module it mutated."""
    process = subprocess.Popen([Path(sys.executable).parent / args[0], *args[1:]], cwd=ROOT)
    try:
        code = process.wait()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait()
    if code != 0:
        raise SystemExit(f"mutate: {args[0]} {args[1]} failed (exit {code})")


def mutate(name: str, module: Module, fresh: bool) -> tuple[int, int, int, int]:
    """Run (or resume) one module's session; return killed, survived, timeout, total."""
    session = session_path(name, module)
    took = check_tests_see_the_module(module)
    config = write_config(name, module, timeout=max(60.0, 4 * took))
    if fresh or not session.exists():
        for stale in SESSIONS.glob(f"{name}-*.sqlite"):
            stale.unlink()
        cosmic_ray("cosmic-ray", "init", config, session)
        cosmic_ray("cr-filter-pragma", session)
        skip_annotations(session, ROOT / module.path)
        if module.only is not None:
            cosmic_ray("cr-filter-lines", "--config", config, session)
    print(f"mutate: {name}: {module.path} (baseline {took:.0f} s)", flush=True)
    path = ROOT / module.path
    original = path.read_text()
    try:
        cosmic_ray("cosmic-ray", "exec", config, session)
    finally:
        if path.read_text() != original:  # cosmic-ray itself was killed mid-mutant
            path.write_text(original)
            print(f"mutate: put the original {module.path} back", file=sys.stderr)
    return report(name, session)


def retest_survivors(name: str, module: Module) -> tuple[int, int, int, int]:
    """Run the survivors of the kept session again against the tests as they are now: how a
    new test shows which survivors it kills, without running every mutant again."""
    session = session_path(name, module)
    if not session.exists():
        raise SystemExit(f"mutate: no session of {name} for its current source: run it first")
    took = check_tests_see_the_module(module)
    command = shlex.join(pytest_command(module))
    with use_db(str(session), WorkDB.Mode.open) as db:
        survivors = [
            item
            for item, result in db.completed_work_items
            if result.test_outcome == TestOutcome.SURVIVED
        ]
        for item in survivors:
            print(f"mutate: {name}: survivor {item.job_id} again", flush=True)
            db.set_result(item.job_id, mutate_and_test(item.mutations, command, max(60, 4 * took)))
    return report(name, session)


def report(name: str, session: Path) -> tuple[int, int, int, int]:
    killed = survived = timeout = total = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            total += 1
            if result.test_outcome == TestOutcome.SURVIVED:
                survived += 1
                where = item.mutations[0]
                print(f"\nSURVIVED {item.job_id} {where.operator_name} line {where.start_pos[0]}")
                print(result.diff)
            elif result.output == "timeout":
                timeout += 1
            else:
                killed += 1
    print(f"\n{name}: killed {killed} / survived {survived} / timeout {timeout} / total {total}\n")
    return killed, survived, timeout, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"of {', '.join(MODULES)} (default: all)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--report", action="store_true", help="print the last run, run nothing")
    what.add_argument(
        "--survivors", action="store_true", help="run only the last run's survivors again"
    )
    what.add_argument("--fresh", action="store_true", help="start over, do not resume")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on the way out
    names = args.modules or list(MODULES)
    if unknown := set(names) - set(MODULES):
        parser.error(f"no such module: {', '.join(sorted(unknown))}")
    os.chdir(ROOT)  # cosmic-ray's module paths and test command are relative to it
    SESSIONS.mkdir(exist_ok=True)
    lock = (SESSIONS / "lock").open("w")
    if not args.report:  # two runs would put two mutants in the tree at once
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit("mutate: another run is under way in this tree") from None
    scores = {}
    for name in names:
        module = MODULES[name]
        if args.report:
            scores[name] = report(name, kept_session(name))
        elif args.survivors:
            scores[name] = retest_survivors(name, module)
        else:
            scores[name] = mutate(name, module, fresh=args.fresh)
    print("module     killed  survived  timeout  total")
    for name, (killed, survived, timeout, total) in scores.items():
        print(f"{name:<10} {killed:>6}  {survived:>8}  {timeout:>7}  {total:>5}")


if __name__ == "__main__":
    main()
