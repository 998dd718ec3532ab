"""Child processes that cannot outlive us.

Why: a `tmux -C` client is started in its own session (so a terminal's SIGHUP does not reach it
before we have detached it properly), which also means nothing ends it when we die. tmux 3.3a
sometimes leaves such a client attached forever under init when its parent dies during the first
seconds. On Linux the kernel sends the child SIGTERM when its parent dies (PR_SET_PDEATHSIG);
a tmux client answers SIGTERM by leaving the server the regular way.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_libc: ctypes.CDLL | None = None


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when this process dies (None where the
    platform has no such thing). libc is loaded here, in the parent: the child only calls it."""
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    prctl = _libc.prctl
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child
