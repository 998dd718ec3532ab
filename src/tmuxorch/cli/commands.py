"""The CLI's commands: each resolves TARGET strings to ids against a snapshot, calls the
Backend, and prints rich or JSON output. Exit status: 0 ok, 1 a target was not delivered or an
operation failed, 2 bad input (DESIGN.md).

What only some commands use (rich rendering, delivery, the store, broadcast plans, the demo) is
imported inside them: `status --json` and `send` are run by scripts and status bars again and
again, and pay only for what they use (tests/unit/test_cli_imports.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from tmuxorch.core.errors import BadInputError, TargetNotFoundError, TmuxUnavailableError
from tmuxorch.core.models import Pane, Receipt, Snapshot
from tmuxorch.core.names import is_key, validate_key
from tmuxorch.core.targets import input_panes, resolve_target, subtree

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.backend import Backend


def print_json(document: object) -> None:
    """JSON on stdout, one document per line, UTF-8 kept readable, flushed."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def read_message(args: argparse.Namespace) -> str:
    """The message from -m TEXT, -f FILE or `-` (stdin), given once, anywhere among the
    arguments (see cli.take_texts); one trailing newline of a file or stdin is dropped."""
    from tmuxorch.core.ops.delivery import validate_message

    sources: list[tuple[str, str]] = [*args.texts, *([("stdin", "")] if args.stdin else [])]
    if len(sources) != 1:
        raise BadInputError("give the message exactly once: -m TEXT, -f FILE or - (stdin)")
    kind, value = sources[0]
    if kind == "message":
        return validate_message(value)
    path = value if kind == "file" else None
    try:
        if path is None:
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                raw = file.read()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BadInputError(f"the message is not valid UTF-8 (byte {exc.start})") from exc
    return validate_message(text[:-1] if text.endswith("\n") else text)


def resolve_input_panes(snapshot: Snapshot, targets: Sequence[str]) -> list[Pane]:
    """Every TARGET resolved (all must exist), then expanded to the panes that take input."""
    panes: dict[str, Pane] = {}
    for target in targets:
        for pane in input_panes(resolve_target(snapshot, target)):
            panes.setdefault(pane.id, pane)
    return list(panes.values())


def report(
    args: argparse.Namespace, op: str, snapshot: Snapshot, receipts: Sequence[Receipt]
) -> int:
    """Print receipts (table or JSON); exit 1 unless every target got its message."""
    from tmuxorch.cli.plain_table import plain_table
    from tmuxorch.usecases.receipts import RECEIPT_COLUMNS, all_delivered, receipt_rows

    if args.json:
        print_json(
            {
                "schema": "tmuxorch.receipts/1",
                "op": op,
                "receipts": [r.plain() for r in receipts],
            }
        )
    elif text := plain_table("Receipts", RECEIPT_COLUMNS, receipt_rows(snapshot, receipts)):
        sys.stdout.write(text)
    else:
        from tmuxorch.cli.render import make_console, receipts_table

        make_console().print(receipts_table(snapshot, receipts))
    return 0 if all_delivered(receipts) else 1


async def cmd_status(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    if args.target is not None:
        snapshot = subtree(snapshot, resolve_target(snapshot, args.target))
    if args.format == "tmux":  # no watcher keeps it (cli/status_bar.py): counted here
        from tmuxorch.cli.status_bar import print_segment
        from tmuxorch.core.status_segment import segment

        return print_segment(segment(snapshot))
    if args.format == "json":
        print_json(snapshot.to_status_document())
    else:
        from tmuxorch.cli.render import make_console, status_tree

        make_console().print(status_tree(snapshot, detailed=args.detailed))
    return 0


async def cmd_summary(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.cli.render import make_console, summary_tables
    from tmuxorch.core.summary import summarize

    summary = summarize(await backend.snapshot(activity=True))
    if args.json:
        print_json(summary.to_document())
    else:
        console = make_console()
        for block in summary_tables(summary):
            console.print(block)
    return 0


async def cmd_send(args: argparse.Namespace, backend: Backend) -> int:
    text = read_message(args)
    snapshot = await backend.snapshot(states=False)  # the send reads its targets' screens
    panes = resolve_input_panes(snapshot, args.targets)
    receipts = await backend.send(
        [p.id for p in panes], text, enter=not args.no_enter, force=args.force
    )
    return report(args, "send", snapshot, receipts)


async def cmd_broadcast(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.cli.render import make_console, plan_table
    from tmuxorch.usecases.broadcast import plan_broadcast

    text = read_message(args)
    snapshot = await backend.snapshot()
    if not snapshot.tmux.running:
        raise TmuxUnavailableError(f"no tmux server running on {snapshot.tmux.socket}")
    plan = plan_broadcast(
        snapshot, kinds=args.kind or (), states=args.state or (), sessions=args.session or (),
        force=args.force,
    )  # fmt: skip
    if args.json and args.dry_run:
        print_json(plan.document(snapshot))
    elif not args.json:
        make_console().print(plan_table(snapshot, plan))
    if not plan.send and not plan.held:
        if not args.json:
            print("no agent matches: nothing sent", file=sys.stderr)
        elif not args.dry_run:
            print_json({"schema": "tmuxorch.receipts/1", "op": "broadcast", "receipts": []})
        return 1
    if args.dry_run:
        return 0 if plan.send else 1
    targets = [pane.id for pane in plan.send]
    sent = await backend.send(targets, text, force=args.force) if targets else []
    return report(args, "broadcast", snapshot, plan.receipts(sent))


async def cmd_keys(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    targets, keys = split_targets_and_keys(snapshot, args.items)
    panes = resolve_input_panes(snapshot, targets)
    return report(args, "keys", snapshot, await backend.keys([p.id for p in panes], keys))


def split_targets_and_keys(snapshot: Snapshot, items: Sequence[str]) -> tuple[list[str], list[str]]:
    """`TARGET... KEY...` (or `TARGET... -- KEY...`): targets come first, keys are the rest."""
    if "--" in items:
        cut = list(items).index("--")
        targets, keys = list(items[:cut]), list(items[cut + 1 :])
    else:
        cut = 0
        while cut < len(items):
            try:
                resolve_target(snapshot, items[cut])
            except TargetNotFoundError:
                break
            cut += 1
        targets, keys = list(items[:cut]), list(items[cut:])
        if not targets and items and is_key(items[0]):
            raise BadInputError(
                f"no TARGET given: {items[0]!r} is a key (keys TARGET... KEY..., e.g. keys %3 C-c)"
            )
        if not targets and items:
            resolve_target(snapshot, items[0])  # raises the clear `no such target` error
    if not targets:
        raise BadInputError("no TARGET given")
    if not keys:
        raise BadInputError("no KEY given (e.g. C-c, Escape, Enter)")
    for key in keys:
        validate_key(key)
    return targets, keys


async def cmd_interrupt(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    panes = resolve_input_panes(snapshot, args.targets)
    return report(args, "interrupt", snapshot, await backend.interrupt([p.id for p in panes]))


async def cmd_capture(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    panes = resolve_input_panes(snapshot, [args.target])
    if len(panes) != 1:
        raise BadInputError(f"{args.target!r} covers {len(panes)} panes: name one pane (%N)")
    text = await backend.capture(panes[0].id, args.lines)
    if args.json:
        print_json({"pane": panes[0].id, "lines": args.lines, "text": text})
    else:
        sys.stdout.write(text + ("\n" if text else ""))
    return 0


async def cmd_spawn(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.core.ops.operations import shell_command

    if args.shell is not None and args.argv:
        raise BadInputError("give the command after -- or with --shell, not both")
    command = shell_command(args.shell) if args.shell is not None else list(args.argv)
    if not command:
        raise BadInputError("no command given (put it after --, or a shell line with --shell)")
    env: dict[str, str] = {}
    for assignment in args.env:
        key, equals, value = assignment.partition("=")
        if not equals:
            raise BadInputError(f"--env {assignment!r}: give NAME=VALUE")
        env[key] = value
    restart = None
    if args.max_restarts is not None and args.restart is None:
        raise BadInputError("--max-restarts goes with --restart")
    if args.restart is not None:
        from tmuxorch.core.restart_policy import RestartPolicy

        restart = RestartPolicy(when=args.restart, max_restarts=args.max_restarts)
    spawned = await backend.spawn(
        args.session,
        command,
        name=args.name,
        kind=args.kind,
        cwd=args.cwd,
        env=env or None,
        restart=restart,
    )
    if args.json:
        print_json(spawned.plain())
    else:
        print(f"spawned {spawned.pane_id} in window {spawned.window_id} of {spawned.session_id}")
    return 0


async def cmd_kill(args: argparse.Namespace, backend: Backend) -> int:
    import asyncio

    from tmuxorch.usecases.labels import describe

    snapshot = await backend.snapshot()
    target = resolve_target(snapshot, args.target)
    what = describe(snapshot, target)
    if not args.yes:
        if not sys.stdin.isatty():
            raise BadInputError(f"refusing to kill {what} without --yes (stdin is not a terminal)")
        answer = await asyncio.to_thread(input, f"kill {what}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not killed", file=sys.stderr)
            return 1
    await backend.kill(target.id)
    print(f"killed {what}")
    return 0


async def cmd_rename(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    target = resolve_target(snapshot, args.target)
    await backend.rename(target.id, args.name)
    print(f"renamed {target.id} to {args.name!r}")
    return 0


async def cmd_events(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.cli.render import event_line, make_console

    subscription = await backend.subscribe()
    console = None if args.json else make_console()
    try:
        async for event in subscription:
            if console is None:
                print_json({"event": event.event, **event.data()})
            else:
                console.print(event_line(event))
    finally:
        await subscription.close()
    return 0


async def cmd_demo(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.usecases.demo import start_demo

    session = await start_demo(backend, args.agents, args.session)
    print(
        f"demo fleet of {args.agents} simulated agents running in session {session!r}.\n"
        "Try: tmuxorch status   ·   tmuxorch broadcast --state idle -m 'hello'   ·   "
        f"tmuxorch kill {session} --yes"
    )
    return 0


async def cmd_log(args: argparse.Namespace, _backend: Backend | None) -> int:
    import time

    from tmuxorch.cli.render import audit_table, make_console
    from tmuxorch.core.store.audit import AuditLog
    from tmuxorch.core.store.store import Store

    with Store() as store:
        entries = AuditLog(store).entries(limit=args.limit, op=args.op)
    if args.json:
        for entry in entries:
            print_json(entry.model_dump(mode="json"))
    else:
        make_console().print(audit_table(entries, time.time()))
    return 0
