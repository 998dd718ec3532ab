"""A simulated AI coding agent: a small terminal program that looks and reacts like Claude Code.

Why it exists: tmuxorch's promises (see DESIGN.md) are about agents — telling busy from idle from
waiting-for-approval by reading the screen, and delivering a message so that it is submitted exactly
once. Testing that against real agent CLIs needs network access, accounts and money, and their
behaviour changes from release to release. This program reproduces the parts that matter, on cue
and deterministically, with nothing but the standard library:

- an idle prompt box at the bottom, with the cursor inside it right after the typed text;
- a busy spinner line containing ``esc to interrupt`` for ``--busy`` seconds after each message;
- a numbered approval question when a message contains the ``--approval-cue`` word;
- interrupts (Escape / Ctrl-C), a queue for messages sent while busy, a crash on ``--crash``;
- quirks of real agent CLIs, each on request (see `modes`): an Enter lost in the same read as
  text (``--drop-enter``), the first N Enters lost whenever they come (``--drop-first-enters``),
  every submit shown and logged, an empty one too (``--show-submits``), a slow reader
  (``--read-delay``);
- a JSON-lines log of every message received (``--log``), so tests can check exact bytes and
  "submitted exactly once".

Tests, ``tmuxorch demo`` and the benchmarks run it as ``python -m tmuxorch.simagent [options]``
(or the ``tmuxorch-simagent`` script). Modules: `keys` (input parsing), `screen` (what it draws),
`modes` (the quirks), `agent` (the state machine), `main` (the process). The names below are
those that tests, the demo and the benchmarks use.
"""

from tmuxorch.simagent.main import main
from tmuxorch.simagent.screen import PROMPT_PREFIX, REPLY_PREFIX

__all__ = ["PROMPT_PREFIX", "REPLY_PREFIX", "main"]
