"""Getting one message into many panes exactly once, with a receipt per target.

The promise: the exact text arrives in the pane that was meant and is submitted once. So:
- the text goes through a paste buffer unique to this send, set once and pasted into every
  target in one pipelined batch: one line as the very bytes typing it would send, anything
  multi-line, with a tab, or long as one bracketed paste (when the app asked for that). Text is
  never keys: characters a program would read as keys (ESC, which would also end a bracketed
  paste early with `ESC[201~`; C-c; C-u…) are pasted as visible symbols, and the receipt says
  so. Not `send-keys`: keys go to *every* pane of a window with `synchronize-panes` on, and to
  copy mode instead of the program when the user scrolled back; a paste reaches the target
  pane's program only;
- Enter follows after a short pause (several agent CLIs drop an Enter that arrives with the
  text; Codex takes one soon after fast input for a newline): the kind file's
  `submit.enter_delay`, else the config's `enter_delay`. It is pasted the same way (a
  carriage return, the byte the Enter key sends), and not before the text shows in the input
  (for at most a share of the submit timeout): a program slow to read would get text and Enter
  in one read, and the submit check would take text not shown yet for text gone;
- submission is checked: while the end of the text (or the summary a CLI shows for a paste,
  its kind's `submit.pasted`) still sits on the pane's cursor line, the message is still in
  the input box, and Enter — never the text — is pressed again;
- an agent whose screen we do not understand is skipped unless forced: one showing an approval
  prompt (typing there would answer it), and one whose screen matches none of its patterns (a
  login menu or a trust dialog: the Enter would choose an item); one busy agent gets the
  message `queued` (agent CLIs queue input while working).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from tmuxorch.core.agents.pane_reads import capture_command
from tmuxorch.core.agents.reading import AgentProfile
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import Receipt, Snapshot
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.ops.submit_check import POLL, check_input, until_shown
from tmuxorch.core.tmux.results import CommandResult

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState, Confirmation, ReceiptStatus

PASTE_THRESHOLD = 512
"""Longer single lines are pasted bracketed too: the app gets them as one input event."""
_ENTER_RETRIES = 2


def input_off_query(pane_id: str) -> list[str]:
    """Asks whether input to the pane is switched off (`select-pane -d`): tmux then drops
    anything sent to it without an error, so a receipt must say so."""
    return ["display-message", "-p", "-t", pane_id, "#{pane_input_off}"]


def _input_is_off(result: CommandResult) -> bool:
    """The answer to `input_off_query`."""
    return result.ok and result.lines == ("1",)


INPUT_OFF = "input to this pane is switched off (tmux select-pane -e turns it on)"

HELD_BACK: dict[AgentState, tuple[ReceiptStatus, str]] = {
    "waiting": ("skipped_waiting", "the agent shows an approval prompt or a question"),
    "unknown": ("skipped_unknown", "the agent shows a screen tmuxorch does not recognise"),
}
"""States that get no keystrokes unless forced: the receipt, and why (short, for plans)."""


def held_back(pane_id: str, state: AgentState, *, force: bool) -> Receipt | None:
    """The `skipped_*` receipt for an agent in `state`, or None when it may be typed into. The
    one rule send, broadcast plans, the TUI and the server share (DESIGN.md safety rule 6)."""
    if force or state not in HELD_BACK:
        return None
    status, why = HELD_BACK[state]
    return Receipt(target=pane_id, status=status, detail=f"{why} (use --force to send anyway)")


def validate_message(text: str) -> str:
    """`text` if it can be sent; else BadInputError saying why (also checked by the CLI before
    it goes to a remote server, so both say the same)."""
    if not text:
        raise BadInputError("the message is empty")
    if not text.strip():  # pasted, it would be a stray Enter or spaces in an agent's input
        raise BadInputError("the message is only whitespace")
    if "\x00" in text:
        raise BadInputError("the message contains a NUL byte, which a terminal cannot receive")
    return text


KEY_PICTURES = {c: 0x2400 + c for c in range(0x20) if chr(c) not in "\t\n\r"} | {0x7F: 0x2421}
"""Characters a program reads as keys, not text, and the visible symbol (Unicode's control
picture: ␛ ␃ ␕ ␡ …) pasted instead. ESC starts a key sequence (`ESC[A` is Up; `ESC[201~` ends a
bracketed paste, so what follows would arrive as typed keys), C-c interrupts, C-u erases the line,
DEL and C-h erase a character: even inside a paste, as not every program asks for bracketed
paste. Tab and line breaks stay: they go as one bracketed paste."""


def as_text(text: str) -> tuple[str, str]:
    """What is pasted for `text`, and a note for its receipts ('' when it is `text` itself):
    KEY_PICTURES replaced, and CRLF line endings made one line break each (tmux pastes every LF
    as the CR a terminal sends for Enter, so a CRLF would be two)."""
    pasted = text.replace("\r\n", "\n").translate(KEY_PICTURES)
    shown = sorted({chr(KEY_PICTURES[ord(c)]) for c in text if ord(c) in KEY_PICTURES})
    if not shown:
        return pasted, ""
    return pasted, (
        f"control characters pasted as {' '.join(shown)}: as bytes they would be keys, not text"
    )


def _tail(text: str) -> str:
    """The end of the message as it shows on the input line: what must be gone after Enter."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[-12:] if lines else ""


def paste_batch(
    pane_ids: Sequence[str], data: str, buffer: str, *, bracketed: bool = False
) -> list[tuple[str | None, list[str]]]:
    """Commands that paste `data` into every pane, each with the pane it acts on (None: the
    shared buffer, set first and deleted last). Unbracketed, the program gets exactly the bytes
    typing `data` would send. Bracketed, a pane in copy mode leaves it first: tmux brackets a
    paste only when the screen showing asked for it, and copy mode's screen never does."""
    paste = ["paste-buffer", *(["-p"] if bracketed else []), "-b", buffer, "-t"]
    batch: list[tuple[str | None, list[str]]] = [(None, ["set-buffer", "-b", buffer, "--", data])]
    for pane_id in pane_ids:
        if bracketed:
            batch.append((pane_id, ["copy-mode", "-q", "-t", pane_id]))
        batch.append((pane_id, [*paste, pane_id]))
    batch.append((None, ["delete-buffer", "-b", buffer]))
    return batch


def typing_batch(
    pane_ids: Sequence[str], text: str, buffer: str
) -> list[tuple[str | None, list[str]]]:
    """The commands that type `text` into every pane (see the module docstring)."""
    bracketed = any(c in text for c in "\n\r\t") or len(text) > PASTE_THRESHOLD
    return paste_batch(pane_ids, text, buffer, bracketed=bracketed)


async def run_for_panes(
    engine: Driver, batch: Sequence[tuple[str | None, list[str]]]
) -> dict[str, str]:
    """Run a batch of commands, each for a pane (None: a shared paste buffer); the reason for
    each pane it failed for: its first error, input switched off (an `input_off_query` said
    so), or, for all of them, a shared buffer that could not be set."""
    results = await engine.run([command for _, command in batch], idempotent=False)
    shared = next((r.error for r in results if r.command == "set-buffer" and not r.ok), "")
    failed: dict[str, str] = {}
    for (owner, command), result in zip(batch, results, strict=True):
        if owner is None or owner in failed:
            continue
        if shared or not result.ok:
            failed[owner] = shared or result.error
        elif command == input_off_query(owner) and _input_is_off(result):
            failed[owner] = INPUT_OFF
    return failed


async def paste_bytes(engine: Driver, pane_ids: Sequence[str], data: str) -> list[Receipt]:
    """Paste `data` unbracketed (the bytes typing it would send) into each pane: it reaches
    that pane's program only, whatever copy mode or `synchronize-panes` say."""
    batch = [(pid, input_off_query(pid)) for pid in pane_ids]
    failed = await run_for_panes(engine, [*batch, *paste_batch(pane_ids, data, _buffer())])
    return receipts_for(pane_ids, failed)


def receipts_for(pane_ids: Sequence[str], failed: dict[str, str]) -> list[Receipt]:
    """`delivered` for each pane, unless `failed` gives the reason it was not."""
    return [
        Receipt(target=pid, status="failed", detail=failed[pid])
        if pid in failed
        else Receipt(target=pid, status="delivered")
        for pid in pane_ids
    ]


async def deliver(
    engine: Driver,
    snapshot: Snapshot,
    pane_ids: Sequence[str],
    text: str,
    *,
    enter: bool = True,
    force: bool = False,
    enter_delay: float = 0.08,
    submit_timeout: float = 1.0,
) -> list[Receipt]:
    """Type `text` into every pane, as text only (see `as_text`), submit it, and say per pane
    what happened."""
    pasted, note = as_text(validate_message(text))
    receipts = await _type_and_submit(
        engine, snapshot, pane_ids, pasted, enter=enter, force=force,
        enter_delay=enter_delay, submit_timeout=submit_timeout,
    )  # fmt: skip
    return [_noted(receipt, note) for receipt in receipts]


def _noted(receipt: Receipt, note: str) -> Receipt:
    """The receipt of a pane the text was typed into, with `note` added to its detail."""
    if not note or receipt.status not in ("delivered", "queued", "not_submitted"):
        return receipt
    detail = "; ".join(part for part in (receipt.detail, note) if part)
    return receipt.model_copy(update={"detail": detail})


async def _type_and_submit(
    engine: Driver,
    snapshot: Snapshot,
    pane_ids: Sequence[str],
    text: str,
    *,
    enter: bool,
    force: bool,
    enter_delay: float,
    submit_timeout: float,
) -> list[Receipt]:
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

    # One round trip: is input to each pane switched off, and what does each agent show now?
    kinds = {pid: agent.kind for pid in candidates if (agent := panes[pid].agent) is not None}
    results = await engine.run(
        [input_off_query(pid) for pid in candidates] + [capture_command(pid) for pid in kinds]
    )
    for pane_id, result in zip(candidates, results[: len(candidates)], strict=True):
        if _input_is_off(result):
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=INPUT_OFF)
    busy: set[str] = set()
    for (pane_id, kind), result in zip(kinds.items(), results[len(candidates) :], strict=True):
        if pane_id in receipts:
            continue
        if not result.ok:  # gone since the snapshot: nothing to type into
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=result.error)
            continue
        state = engine.agents.classify_now(kind, result.lines)
        skipped = held_back(pane_id, state, force=force)
        if skipped is not None:
            receipts[pane_id] = skipped
        elif state == "busy":
            busy.add(pane_id)
    targets = [pid for pid in candidates if pid not in receipts]

    failed = await run_for_panes(engine, typing_batch(targets, text, _buffer())) if targets else {}
    for pane_id, error in failed.items():
        receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=error)
    pending = [pid for pid in targets if pid not in failed]
    if not enter:
        for pane_id in pending:
            receipts[pane_id] = Receipt(
                target=pane_id, status="delivered", detail="typed, not submitted (no Enter)"
            )
        return [receipts[pid] for pid in dict.fromkeys(pane_ids)]

    tail = _tail(text)
    profiles = {pid: engine.agents.profile(kind) for pid, kind in kinds.items()}
    delays = {pid: _enter_delay(profiles.get(pid), enter_delay) for pid in pending}
    shown = {pid: profile.pasted for pid, profile in profiles.items() if profile.pasted}
    share = submit_timeout / (_ENTER_RETRIES + 1)
    for attempt in range(_ENTER_RETRIES + 1):
        if not pending:
            break
        # the pause agent CLIs need between text and Enter: the longest any target needs
        await engine.sleep(max(delays[pid] for pid in pending))
        if attempt == 0 and tail:
            await until_shown(engine, pending, tail, shown, time.monotonic() + share)
        pressed = time.time()
        for pane_id, error in (
            await run_for_panes(engine, paste_batch(pending, "\r", _buffer()))
        ).items():
            pending.remove(pane_id)
            receipts[pane_id] = Receipt(target=pane_id, status="failed", detail=error)
        deadline = time.monotonic() + share
        while pending and tail:
            check = await check_input(engine, pending, tail, shown, since=pressed)
            for pane_id in [pid for pid in pending if pid in check.taken or pid not in check.still]:
                pending.remove(pane_id)
                how: Confirmation = "hook" if pane_id in check.taken else "screen"
                receipts[pane_id] = _submitted(pane_id, pane_id in busy, attempt, how)
            if not pending or time.monotonic() > deadline:
                break
            await engine.sleep(POLL)
        if not tail:
            for pane_id in pending:
                receipts[pane_id] = _submitted(pane_id, pane_id in busy, attempt, "none")
            pending = []
    for pane_id in pending:
        receipts[pane_id] = Receipt(
            target=pane_id, status="not_submitted",
            detail=f"the text is still in the input after {_ENTER_RETRIES + 1} Enter presses",
        )  # fmt: skip
    return [receipts[pid] for pid in dict.fromkeys(pane_ids)]


def _enter_delay(profile: AgentProfile | None, default: float) -> float:
    """The seconds between text and Enter for a pane: its kind's `submit.enter_delay`, else
    the config's `enter_delay` (a pane that is no agent too)."""
    if profile is None or profile.enter_delay is None:
        return default
    return profile.enter_delay


def _buffer() -> str:
    """A paste buffer name no other send (or user) uses."""
    return f"tmuxorch-{os.urandom(6).hex()}"  # `secrets` would load hashlib


def _submitted(pane_id: str, was_busy: bool, attempt: int, how: Confirmation) -> Receipt:
    retried = f" (Enter pressed {attempt + 1} times)" if attempt else ""
    said = {"hook": "; the agent's hook confirmed it", "screen": "", "none": ""}[how]
    if was_busy:
        detail = "the agent was busy" + retried + said
        return Receipt(target=pane_id, status="queued", detail=detail, confirmed=how)
    detail = (retried.strip(" ()") + said).strip("; ")
    return Receipt(target=pane_id, status="delivered", detail=detail, confirmed=how)
