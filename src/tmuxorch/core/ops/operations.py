"""Everything besides `send` that changes or reads a pane: keys, interrupt, capture, spawn, kill,
rename. Each is addressed by tmux id (never by a name tmux would prefix-match) and validated
before tmux sees it."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence

from tmuxorch.core.agents.tracker import AGENT_OPTION
from tmuxorch.core.errors import BadInputError, SpawnFailedError, TmuxCommandError
from tmuxorch.core.ids import require_id
from tmuxorch.core.models import MAX_CAPTURE_LINES, Receipt, Snapshot, Spawned
from tmuxorch.core.names import validate_key, validate_kind, validate_name
from tmuxorch.core.ops.delivery import (
    input_off_query,
    paste_bytes,
    receipts_for,
    run_for_panes,
)
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.ops.start import start_options, validate_fleet_label
from tmuxorch.core.sanitize import sanitize
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.snapshot import FLEET_OPTION, SEPARATOR


async def send_keys(
    engine: Driver,
    snapshot: Snapshot,
    pane_ids: Sequence[str],
    keys: Sequence[str],
    *,
    leave_mode: bool = False,
) -> list[Receipt]:
    """Press named keys (`C-c`, `Escape`, `Enter`…) in every pane, in order, as typed: tmux
    repeats them in every pane of a window with `synchronize-panes` on. With `leave_mode`, a
    pane in copy mode leaves it first (the keys would drive copy mode, not the program)."""
    if not keys:
        raise BadInputError("no keys given")
    names = [validate_key(key) for key in keys]
    present = [pid for pid in dict.fromkeys(pane_ids) if pid in snapshot.panes_by_id]
    batch: list[tuple[str | None, list[str]]] = []
    for pid in present:
        batch.append((pid, input_off_query(pid)))
        if leave_mode:
            batch.append((pid, ["copy-mode", "-q", "-t", pid]))
        batch.append((pid, ["send-keys", "-t", pid, "--", *names]))
    failed = await run_for_panes(engine, batch)
    failed.update({pid: "no such pane" for pid in pane_ids if pid not in present})
    return receipts_for(list(dict.fromkeys(pane_ids)), failed)


KEY_BYTES = {"Escape": "\x1b", "C-c": "\x03"}
"""Interrupt keys as the bytes tmux sends for them. Pasted, they reach the target pane only:
typed keys are repeated in every pane of a window with `synchronize-panes` on (interrupting
the neighbours too), and go to copy mode instead of the program."""


async def interrupt(engine: Driver, snapshot: Snapshot, pane_ids: Sequence[str]) -> list[Receipt]:
    """Stop what each agent is doing with the keys its CLI expects (its kind file's
    `interrupt`: Escape for Claude Code, Escape twice for opencode, C-c for aider and for
    plain panes), `interrupt_gap` seconds apart. Panes that take the same keys get them
    together, each group at its own pace: every group's steps go on one timeline, run in
    time order (waiting on the driver's clock, so it needs no event loop)."""
    groups: dict[tuple[tuple[str, ...], float], list[str]] = {}
    receipts: dict[str, Receipt] = {}
    for pane_id in dict.fromkeys(pane_ids):
        pane = snapshot.panes_by_id.get(pane_id)
        if pane is None:
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail="no such pane")
            continue
        profile = engine.agents.profile(pane.agent.kind) if pane.agent else None
        keys = profile.interrupt_keys if profile else ("C-c",)
        gap = profile.interrupt_gap if profile else 0.0
        groups.setdefault((keys, gap), []).append(pane_id)
    timeline = sorted(
        ((index * gap, order, panes, step)
         for order, ((keys, gap), panes) in enumerate(groups.items())
         for index, step in enumerate([list(keys)] if gap == 0 else [[key] for key in keys])),
        key=lambda planned: planned[:2],
    )  # fmt: skip
    started = time.monotonic()
    for at, _, panes, step in timeline:
        # a pane a step failed for gets no more keys, and its receipt says why
        live = [pid for pid in panes if pid not in receipts or receipts[pid].status != "failed"]
        if not live:
            continue
        if (wait := at - (time.monotonic() - started)) > 0:
            await engine.sleep(wait)
        receipts.update((r.target, r) for r in await _press(engine, snapshot, live, step))
    return [receipts[pane_id] for pane_id in dict.fromkeys(pane_ids)]


async def _press(
    engine: Driver, snapshot: Snapshot, pane_ids: list[str], step: Sequence[str]
) -> list[Receipt]:
    """One step of an interrupt: pasted as bytes when all its keys are in KEY_BYTES, else
    pressed out of copy mode."""
    if all(key in KEY_BYTES for key in step):
        return await paste_bytes(engine, pane_ids, "".join(KEY_BYTES[key] for key in step))
    return await send_keys(engine, snapshot, pane_ids, step, leave_mode=True)


async def capture(engine: Driver, pane_id: str, lines: int = 50, *, colours: bool = False) -> str:
    """The last `lines` lines of a pane (history included), sanitised; with `colours`, SGR colour
    sequences are kept for a renderer that parses them (nothing else survives)."""
    require_id(pane_id)
    if not 1 <= lines <= MAX_CAPTURE_LINES:
        raise BadInputError(f"--lines must be between 1 and {MAX_CAPTURE_LINES}")
    command = ["capture-pane", "-p", "-J", "-t", pane_id, "-S", f"-{lines}"]
    if colours:
        command.insert(2, "-e")
    (result,) = await engine.run([command])
    result.check()
    text_lines = list(result.lines)
    while text_lines and not text_lines[-1].strip():
        text_lines.pop()
    text = "\n".join(text_lines[-lines:])
    return sanitize_keeping_colours(text) if colours else sanitize(text)


def sanitize_keeping_colours(text: str) -> str:
    """Like sanitize(), but SGR (`ESC [ … m`) colour sequences stay."""
    parts = text.split("\x1b[")
    kept = [sanitize(parts[0])]
    for part in parts[1:]:
        head, sep, rest = part.partition("m")
        if sep and all(c.isdigit() or c in ";:" for c in head):
            kept.append("\x1b[" + head + "m" + sanitize(rest))
        else:
            kept.append(sanitize("\x1b[" + part))
    return "".join(kept)


SIMAGENT = "tmuxorch-simagent"
"""The simulated agent's command (an installed script too). Whoever spawns it runs its own copy,
with the Python running tmuxorch there: a demo started from a remote client works whatever the
client's paths, and needs nothing on the tmux server's PATH."""


def host_command(command: Sequence[str]) -> list[str]:
    """`command` as this host runs it (the simulated agent by its module, see SIMAGENT)."""
    if command and command[0] == SIMAGENT:
        return [sys.executable, "-m", "tmuxorch.simagent", *command[1:]]
    return list(command)


SPAWN_CHECK = 1.0
"""How long a spawned command must keep running to count as started (seconds)."""
PLACEHOLDER = ["sleep", "86400"]
"""What a new window runs until its pane is set up: the real command replaces it (respawn-pane)
once remain-on-exit is on, so even a command that exits in a millisecond leaves a dead pane to
read its status and output from."""


def exact_argv(command: Sequence[str]) -> list[str]:
    """`command` as an argv tmux execs as it is: tmux runs a one-element command through
    `sh -c`, so one element goes through `env --`, which execs it by name (safety rule 7)."""
    return ["env", "--", *command] if len(command) == 1 else list(command)


def shell_command(line: str) -> list[str]:
    """The argv that runs `line` through a shell, for a user who asked for one (--shell)."""
    return ["sh", "-c", line]


async def spawn(
    engine: Driver,
    snapshot: Snapshot,
    session: str,
    command: Sequence[str],
    *,
    name: str | None = None,
    kind: str | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    fleet: str | None = None,
    check: float = SPAWN_CHECK,
) -> Spawned:
    """A new window running `command` (an argv, never a shell line) in `session` (created when
    missing), tagged as an agent of `kind`, started in `cwd` with `env` added to its
    environment, and marked as started by `fleet` (FLEET_OPTION). A command that exits within
    `check` seconds is a SpawnFailedError (with its status and last output), and its window is
    removed."""
    if not command or not any(command):
        raise BadInputError("no command given (put it after --)")
    start = start_options(cwd, env)
    if fleet is not None:
        validate_fleet_label(fleet)
    existing = [s for s in snapshot.sessions if s.name == session or s.id == session]
    if not existing:
        validate_name(session, "session")
    if name is not None:
        validate_name(name, "window")
    if kind is not None:
        validate_kind(kind)
    fmt = SEPARATOR.join(("#{session_id}", "#{window_id}", "#{pane_id}"))
    window_name = ["-n", name] if name else []
    if existing:
        create = ["new-window", "-d", "-P", "-F", fmt, *window_name, "-t", existing[0].id]
    else:
        create = ["new-session", "-d", "-P", "-F", fmt, "-s", session, *window_name]
    (result,) = await engine.run(
        [[*create, "--", *PLACEHOLDER]], idempotent=False, start_server=True
    )
    line = result.check().lines[0] if result.lines else ""
    ids = line.split(SEPARATOR)
    if len(ids) != 3:
        raise TmuxCommandError(create[0], f"unexpected reply {line!r}")
    spawned = Spawned(session_id=ids[0], window_id=ids[1], pane_id=ids[2])
    setup = [["set-option", "-w", "-t", spawned.window_id, "remain-on-exit", "on"]]
    if kind is not None:
        setup.append(["set-option", "-p", "-t", spawned.pane_id, AGENT_OPTION, kind])
    if fleet is not None:
        setup.append(["set-option", "-w", "-t", spawned.window_id, FLEET_OPTION, fleet])
    setup.append(  # -c and -e here: the command starts here, the placeholder was only a hold
        ["respawn-pane", "-k", *start, "-t", spawned.pane_id, "--",
         *exact_argv(host_command(command))]
    )  # fmt: skip
    results = await engine.run(setup, idempotent=False)
    if not all(r.ok for r in results):
        await engine.run([["kill-window", "-t", spawned.window_id]], idempotent=False)
        next(r for r in results if not r.ok).check()
    await _check_started(engine, spawned, command, check)
    if kind is not None:
        engine.agents.remember_tag(spawned.pane_id, kind)
    return spawned


REAP = ["run-shell", "-b", "true"]
"""tmux 3.3a sometimes leaves a child that exited at once unreaped (a zombie, `pane_dead` 1 with
no `pane_dead_status`) until the next SIGCHLD; this command (fixed, nothing from a user) makes
one. Measured: 6 of 40 quick exits had no status after 3 s; with this, 0 of 40."""
_DEATH = SEPARATOR.join(("#{pane_dead}", "#{pane_dead_status}", "#{pane_dead_signal}"))


def _death(result: CommandResult) -> tuple[str, str] | None:
    """(exit status, signal) of a dead pane, from a display-message of _DEATH; None if alive.
    Both are empty until tmux has reaped the process (see REAP)."""
    line = (result.check().lines or ("",))[0]
    dead, status, signal = [*line.split(SEPARATOR), "", ""][:3]
    return (status, signal) if dead == "1" else None


async def _check_started(
    engine: Driver, spawned: Spawned, command: Sequence[str], check: float
) -> None:
    """Poll the new pane until it has run `check` seconds, then restore remain-on-exit (our
    window only). A pane that died by then is read (status, output) and its window killed."""
    query = ["display-message", "-p", "-t", spawned.pane_id, _DEATH]
    deadline = time.monotonic() + check
    while True:
        death = _death((await engine.run([query]))[0])
        late = time.monotonic() - deadline
        if (death is None and late >= 0) or (death is not None and (any(death) or late >= 2)):
            break
        if death is not None:  # dead, status unknown: tmux may not have reaped the process
            await engine.run([REAP], idempotent=False)
        await engine.sleep(0.05)
    if death is None:
        restore = ["set-option", "-w", "-u", "-t", spawned.window_id, "remain-on-exit"]
        death = _death((await engine.run([restore, query], idempotent=False))[1])
        if death is None:  # alive with the option restored: started
            return
    status, signal = death
    output = [
        line.strip()
        for line in (await capture(engine, spawned.pane_id, 500)).splitlines()
        if line.strip() and not line.startswith("Pane is dead")  # tmux's own note
    ]
    await engine.run([["kill-window", "-t", spawned.window_id]], idempotent=False)
    how = f"on signal {signal}" if signal else f"with status {status or 'unknown'}"
    said = f"last output: {' | '.join(output[-3:])[-300:]}" if output else "no output kept"
    import shlex  # for this message only

    raise SpawnFailedError(
        spawned.pane_id, f"failed: {shlex.join(command)} exited within {check:g} s {how}; {said}"
    )


async def kill(engine: Driver, target_id: str) -> None:
    """Kill a pane, window or session by id."""
    command = f"kill-{require_id(target_id)}"
    (result,) = await engine.run([[command, "-t", target_id]], idempotent=False)
    result.check()


async def rename(engine: Driver, target_id: str, name: str) -> None:
    """Rename a window or session by id; the name is validated first."""
    kind = require_id(target_id)
    if kind == "pane":
        raise BadInputError("panes have no name in tmux: rename their window (@N) instead")
    validate_name(name, kind)
    command = f"rename-{kind}"
    (result,) = await engine.run([[command, "-t", target_id, "--", name]], idempotent=False)
    result.check()
