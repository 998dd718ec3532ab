"""Getting one message into many panes exactly once, with a receipt per target.

The promise: the exact text arrives in the pane that was meant and is submitted once. So:
- the text is typed literally: one line with `send-keys -l --` (a leading `-` is text), anything
  multi-line or long through a paste buffer unique to this send (bracketed paste when the app
  asked for it), all targets in one pipelined batch;
- a pane in copy mode (the user scrolled back) leaves it first: keys sent there would drive copy
  mode (`q` quits it, Enter copies) and never reach the program;
- Enter follows after a short pause (several agent CLIs drop an Enter that arrives with the text);
- submission is checked: while the end of the text still sits on the pane's cursor line, the
  message is still in the input box, and Enter — never the text — is pressed again;
- an agent showing an approval prompt is skipped (typing there would answer the prompt) unless
  forced; one busy agent gets the message `queued` (agent CLIs queue input while working).
"""

from __future__ import annotations

import asyncio
import secrets
import time
import unicodedata
from collections.abc import Sequence
from typing import Literal

from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import Frozen, Snapshot
from tmuxorch.core.results import CommandResult
from tmuxorch.core.tracker import AgentTracker, capture_command

ReceiptStatus = Literal["delivered", "queued", "not_submitted", "skipped_waiting", "failed"]
PASTE_THRESHOLD = 512
"""Longer single lines go through a paste buffer too: one tmux argument stays well under its
~16 KB limit, and a paste arrives as one input event."""
_ENTER_RETRIES = 2
_POLL = 0.05


class Receipt(Frozen):
    """What happened to the message in one target pane."""

    target: str
    status: ReceiptStatus
    detail: str = ""


def _tail(text: str) -> str:
    """The end of the message as it shows on the input line: what must be gone after Enter."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[-12:] if lines else ""


def leave_mode(pane_id: str) -> list[str]:
    """Leave copy mode (or any mode) first: keys sent to a pane in a mode drive the mode (`q`
    quits it, Enter copies a selection) and never reach the program. A no-op otherwise."""
    return ["copy-mode", "-q", "-t", pane_id]


def typing_batch(
    pane_ids: Sequence[str], text: str, buffer: str
) -> list[tuple[str | None, list[str]]]:
    """The tmux commands that type `text` literally into every pane, each with the pane it acts
    on (None: the send's one shared paste buffer, set first and deleted last)."""
    paste = "\n" in text or "\r" in text or len(text) > PASTE_THRESHOLD
    batch: list[tuple[str | None, list[str]]] = []
    if paste:
        batch.append((None, ["set-buffer", "-b", buffer, "--", text]))
    for pane_id in pane_ids:
        batch.append((pane_id, leave_mode(pane_id)))
        if paste:
            batch.append((pane_id, ["paste-buffer", "-p", "-b", buffer, "-t", pane_id]))
        else:
            batch.append((pane_id, ["send-keys", "-t", pane_id, "-l", "--", text]))
    if paste:
        batch.append((None, ["delete-buffer", "-b", buffer]))
    return batch


async def deliver(
    tracker: AgentTracker,
    snapshot: Snapshot,
    pane_ids: Sequence[str],
    text: str,
    *,
    enter: bool = True,
    force: bool = False,
    enter_delay: float = 0.08,
    submit_timeout: float = 1.0,
) -> list[Receipt]:
    """Type `text` into every pane, submit it, and say per pane what happened."""
    if not text:
        raise BadInputError("the message is empty")
    if "\x00" in text:
        raise BadInputError("the message contains a NUL byte, which a terminal cannot receive")
    engine = tracker.engine
    receipts: dict[str, Receipt] = {}
    panes = snapshot.panes_by_id
    candidates: list[str] = []
    for pane_id in dict.fromkeys(pane_ids):
        pane = panes.get(pane_id)
        if pane is None:
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail="no such pane")
        elif pane.dead:
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail="pane is dead")
        else:
            candidates.append(pane_id)

    busy: set[str] = set()
    kinds = {pid: agent.kind for pid in candidates if (agent := panes[pid].agent) is not None}
    if kinds:
        captures = await engine.run([capture_command(pid) for pid in kinds])
        for (pane_id, kind), result in zip(kinds.items(), captures, strict=True):
            state = tracker.classify_now(kind, result.lines) if result.ok else "unknown"
            if state == "waiting" and not force:
                receipts[pane_id] = Receipt(
                    target=pane_id, status="skipped_waiting",
                    detail="the agent shows an approval prompt (use --force to send anyway)",
                )  # fmt: skip
            elif state == "busy":
                busy.add(pane_id)
    targets = [pid for pid in candidates if pid not in receipts]

    typed = set(targets)
    if targets:
        batch = typing_batch(targets, text, f"tmuxorch-{secrets.token_hex(6)}")
        results = await engine.run([command for _, command in batch], idempotent=False)
        buffer_error = next(
            (r.error for r in results if r.command == "set-buffer" and not r.ok), ""
        )
        for (owner, _), result in zip(batch, results, strict=True):
            if owner in typed and (buffer_error or not result.ok):
                typed.discard(owner)
                detail = buffer_error or result.error
                receipts[owner] = Receipt(target=owner, status="failed", detail=detail)
    pending = [pid for pid in targets if pid in typed]
    if not enter:
        for pane_id in pending:
            receipts[pane_id] = Receipt(
                target=pane_id, status="delivered", detail="typed, not submitted (no Enter)"
            )
        return [receipts[pid] for pid in dict.fromkeys(pane_ids)]

    tail = _tail(text)
    for attempt in range(_ENTER_RETRIES + 1):
        if not pending:
            break
        await asyncio.sleep(enter_delay)  # the pause agent CLIs need between text and Enter
        presses = [[leave_mode(pid), ["send-keys", "-t", pid, "Enter"]] for pid in pending]
        results = await engine.run([c for press in presses for c in press], idempotent=False)
        for pane_id, result in zip(list(pending), results[1::2], strict=True):
            if not result.ok:
                pending.remove(pane_id)
                receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=result.error)
        deadline = time.monotonic() + submit_timeout / (_ENTER_RETRIES + 1)
        while pending and tail:
            still = await _still_in_input(engine, pending, tail)
            for pane_id in [pid for pid in pending if pid not in still]:
                pending.remove(pane_id)
                receipts[pane_id] = _submitted(pane_id, pane_id in busy, attempt)
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(_POLL)
        if not tail:
            for pane_id in pending:
                receipts[pane_id] = _submitted(pane_id, pane_id in busy, attempt)
            pending = []
    for pane_id in pending:
        receipts[pane_id] = Receipt(
            target=pane_id, status="not_submitted",
            detail=f"the text is still in the input after {_ENTER_RETRIES + 1} Enter presses",
        )  # fmt: skip
    return [receipts[pid] for pid in dict.fromkeys(pane_ids)]


def _submitted(pane_id: str, was_busy: bool, attempt: int) -> Receipt:
    retried = f" (Enter pressed {attempt + 1} times)" if attempt else ""
    if was_busy:
        return Receipt(target=pane_id, status="queued", detail="the agent was busy" + retried)
    return Receipt(target=pane_id, status="delivered", detail=retried.strip(" ()"))


async def _still_in_input(engine: Engine, pane_ids: Sequence[str], tail: str) -> set[str]:
    """Panes where the text just before the cursor still ends like the message: the message is
    still in the input box (after a submit the cursor sits on an empty prompt)."""
    batch: list[list[str]] = []
    for pane_id in pane_ids:
        batch += [
            ["display-message", "-p", "-t", pane_id, "#{cursor_x} #{cursor_y}"],
            capture_command(pane_id),
        ]
    results = await engine.run(batch)
    return {
        pane_id
        for index, pane_id in enumerate(pane_ids)
        if _tail_before_cursor(results[2 * index], results[2 * index + 1], tail)
    }


def _tail_before_cursor(cursor: CommandResult, screen: CommandResult, tail: str) -> bool:
    if not (cursor.ok and screen.ok and cursor.lines):
        return False
    x_text, _, y_text = cursor.lines[0].partition(" ")
    if not (x_text.isdigit() and y_text.isdigit()) or int(y_text) >= len(screen.lines):
        return False
    before = columns_prefix(screen.lines[int(y_text)], int(x_text)).rstrip()
    overlap = min(len(tail), len(before))
    return overlap > 0 and before.endswith(tail[-overlap:])


def columns_prefix(line: str, columns: int) -> str:
    """The characters of `line` that fill its first `columns` terminal cells (wide characters,
    such as CJK and most emoji, take two)."""
    used = 0
    for index, char in enumerate(line):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > columns:
            return line[:index]
    return line
