"""Questions about the real CLIs' keys, answered on the CLIs themselves against the fake model
(`python scripts/realagents/probes.py [NAME...]`, after `make real-agents` has the CLIs):

- interrupt: does one Escape (or C-c) stop a streamed reply, or does it take two, and how far
  apart may the two be? "Stopped" means the CLI hung up on the model's stream;
- submit: does an Enter right after fast typed / pasted input submit the prompt, or is it taken
  as a newline (Codex), and from which delay on is it safe? "Submitted" means the request
  reached the model;
- paste: does one Enter submit a multi-line bracketed paste shown as `[Pasted text #N]` (Claude)?

Each result line is printed as it is measured, and all of them as one JSON line at the end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clis import CLIS
from fake_model import FakeModel
from walk import Walker

Found = list[dict[str, Any]]


def _long_turn(w: Walker) -> bool:
    """Starts a long streamed reply (Enter 0.5 s after the text: see the submit probe);
    whether it is streaming."""
    t = time.time()
    w.tmux("send-keys", "-t", w.pane, "-l", "LONGREPLY again")
    time.sleep(0.5)
    w.tmux("send-keys", "-t", w.pane, "Enter")
    started = w._mark(t, "stream_start", "long", wait=15) is not None
    time.sleep(1.5)
    return started


def _stopped(w: Walker, since: float, wait: float = 3.0) -> float | None:
    """When the CLI hung up on the model's stream (an interrupt that worked)."""
    return w._mark(since, "aborted", "long", wait=wait)


def _settle_idle(w: Walker) -> None:
    """Waits out any turn still running (a failed interrupt streams for a minute: interrupt it
    for good with a double key, then give it time)."""
    for _ in range(3):
        if not w._mark(time.time() - 1, "stream_start", "long", wait=0) and _screen_quiet(w):
            return
        for key in w.cli.interrupt:
            w.tmux("send-keys", "-t", w.pane, key)
            time.sleep(0.15)
        time.sleep(1.5)


def _screen_quiet(w: Walker) -> bool:
    a = w.tmux.capture(w.pane)
    time.sleep(0.6)
    return a == w.tmux.capture(w.pane)


def _warm_up(w: Walker) -> None:
    """One quick turn first: a CLI's first prompt right after start can be slow to go."""
    t = time.time()
    w.tmux("send-keys", "-t", w.pane, "-l", "QUICKREPLY warm up")
    time.sleep(0.5)
    w.tmux("send-keys", "-t", w.pane, "Enter")
    w._mark(t, "stream_end", "quick", wait=15)
    time.sleep(1.5)


def interrupt(w: Walker, found: Found) -> None:
    keys = w.cli.interrupt
    _warm_up(w)
    gaps = (None, None) if len(keys) == 1 else (None, 0.05, 0.2, 0.5, 1.0, 2.0)
    for gap in gaps:
        if not _long_turn(w):
            print(f"  {w.cli.name}: the long turn did not start", flush=True)
            continue
        pressed = time.time()
        w.tmux("send-keys", "-t", w.pane, keys[0])
        if gap is not None:
            time.sleep(gap)
            for key in keys[1:]:
                w.tmux("send-keys", "-t", w.pane, key)
        stop = _stopped(w, pressed)
        label = (
            f"{keys[0]} once" if gap is None else f"{' then '.join(keys)} {gap * 1000:.0f} ms apart"
        )
        found.append(
            {
                "probe": "interrupt",
                "keys": label,
                "stopped": stop is not None,
                "ms": round((stop - pressed) * 1000) if stop else None,
            }
        )
        print(
            f"  {w.cli.name}: interrupt by {label}: {'stopped' if stop else 'NOT stopped'}",
            flush=True,
        )
        _settle_idle(w)


def submit(w: Walker, found: Found) -> None:
    for how in ("typed", "pasted"):
        for delay in (0.0, 0.0, 0.0, 0.01, 0.03, 0.03, 0.08, 0.12, 0.2, 0.4):
            text = f"QUICKREPLY {how} {int(delay * 1000)} ms"
            t = time.time()
            if how == "typed":
                w.tmux("send-keys", "-t", w.pane, "-l", text)
            else:
                w.tmux("set-buffer", "-b", "probe", text)
                w.tmux("paste-buffer", "-p", "-d", "-b", "probe", "-t", w.pane)
            time.sleep(delay)
            w.tmux("send-keys", "-t", w.pane, "Enter")
            went = w._mark(t, "request", "quick", wait=4)
            found.append(
                {
                    "probe": "submit",
                    "input": how,
                    "enter_after_ms": int(delay * 1000),
                    "submitted": went is not None,
                }
            )
            print(
                f"  {w.cli.name}: {how}, Enter after {delay * 1000:.0f} ms: "
                f"{'submitted' if went else 'NOT submitted'}",
                flush=True,
            )
            if went is None:  # the Enter became a newline: clear the input for the next try
                w.tmux("send-keys", "-t", w.pane, "Enter")
                w._mark(t, "request", "quick", wait=4)
            w._mark(t, "stream_end", "quick", wait=5)
            time.sleep(1.0)


def paste(w: Walker, found: Found) -> None:
    text = "QUICKREPLY first line\nsecond line\nthird line\nfourth line"
    t = time.time()
    w.tmux("set-buffer", "-b", "probe", text)
    w.tmux("paste-buffer", "-p", "-d", "-b", "probe", "-t", w.pane)
    time.sleep(0.5)
    shown = "[Pasted text #" in w.tmux.capture(w.pane)
    w.tmux("send-keys", "-t", w.pane, "Enter")
    went = w._mark(t, "request", "quick", wait=4) is not None
    found.append({"probe": "paste", "placeholder": shown, "one_enter_submits": went})
    print(f"  {w.cli.name}: multi-line paste: placeholder: {shown}; one Enter submits: {went}")


PROBES: dict[str, tuple[Callable[[Walker, Found], None], ...]] = {
    "claude": (interrupt, submit, paste),
    "codex": (interrupt, submit),
    "opencode": (interrupt, submit),
    "gemini": (interrupt, submit),
    "aider": (interrupt,),
}


def main() -> int:
    names = sys.argv[1:] or list(PROBES)
    found: Found = []
    with tempfile.TemporaryDirectory(prefix="tmuxorch-probe-") as tmp, FakeModel() as fake:
        for cli in (c for c in CLIS if c.name in names and c.installed()):
            w = Walker(cli, fake, Path(tmp) / cli.name, None)
            w.start()
            try:
                if not w.ready():
                    print(f"  {cli.name}: never at its prompt", flush=True)
                    continue
                for probe in PROBES[cli.name]:
                    mark = len(found)
                    probe(w, found)
                    for item in found[mark:]:
                        item["cli"] = cli.name
            finally:
                w.stop()
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
