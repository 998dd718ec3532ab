"""A one-shot command's `tmux` process, run without `subprocess` (core/tmux/process.py): its
output and status as subprocess gives them, none of our descriptors handed on, and a process
that overruns its limit, or is waited on when Ctrl-C comes, killed and reaped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tmuxorch.core.tmux.process import run_process

SH = shutil.which("sh") or "/bin/sh"


def sh(script: str, timeout: float = 10.0) -> tuple[int, bytes, bytes]:
    return run_process([SH, "-c", script], dict(os.environ), timeout)


def test_it_gives_status_stdout_and_stderr_as_subprocess_does() -> None:
    script = "printf 'out\\n'; printf 'err' >&2; exit 3"
    done = subprocess.run([SH, "-c", script], capture_output=True, check=False)
    assert sh(script) == (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err")
    assert sh("kill -TERM $$")[0] == -signal.SIGTERM


def test_output_larger_than_a_pipe_is_whole() -> None:
    code, out, _ = sh("head -c 300000 /dev/zero | tr '\\0' x")
    assert (code, len(out), set(out)) == (0, 300000, {ord("x")})


def test_stdin_is_empty_and_the_process_has_a_session_of_its_own() -> None:
    code, out, _ = sh("cat; ps -o sid= -p $$ | tr -d ' '; echo $$")
    assert code == 0
    sid, pid = out.split()
    assert sid == pid  # its own session, as subprocess's start_new_session
    assert int(sid) != os.getsid(0)


def test_no_descriptor_of_ours_reaches_the_process(tmp_path: Path) -> None:
    """One we were started with (inheritable) is closed for it, as subprocess's close_fds."""
    given = os.open(tmp_path / "given", os.O_WRONLY | os.O_CREAT)
    os.set_inheritable(given, True)
    try:
        code, out, _ = sh("ls /proc/$$/fd")
    finally:
        os.close(given)
    assert code == 0
    assert sorted(int(fd) for fd in out.split()) == [0, 1, 2]


def test_a_process_over_its_limit_is_killed_and_reaped() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        sh("echo $$ >&2; exec sleep 30", timeout=0.3)
    assert time.monotonic() - started < 5
    assert not _children()  # killed and reaped: no zombie left


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_while_waiting_kills_the_process() -> None:
    stop = threading.Event()

    def interrupt_once_it_runs() -> None:  # Ctrl-C while the child runs, not before it is there
        deadline = time.monotonic() + 20
        while not stop.is_set() and time.monotonic() < deadline:
            if _children():
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=interrupt_once_it_runs)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sh("exec sleep 30")
    finally:
        stop.set()
        watcher.join()
    assert not _children()


def _children() -> list[int]:
    """Our child processes, zombies included (what is left of a process not reaped)."""
    own = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if stat.rpartition(")")[2].split()[1] == own:
                found.append(int(name))
    return found
