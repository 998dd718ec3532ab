"""`python -m bench chaos`: faults that are ordinary for our users, and whether tmux survives them.

Each run starts a private tmux server and inflicts one fault on it while real tmuxorch processes
(the CLI, the engine of a TUI or `events`, `serve`, the TUI itself in a pane) work against it:
- stall: the server is stopped (SIGSTOP: a suspended laptop, swapping, a stray Ctrl-Z) while 1-3
  tmuxorch processes start, then continued;
- early kill: a tmuxorch process gets SIGKILL or SIGHUP (`kill-window` on the TUI's pane) at a
  random point of its first 2 s;
- restart: tmux is killed mid-send and a new server started while `events` keeps watching.
A run counts a crash when the server died (a crashed tmux 3.3a segfaults and may linger as a
zombie), and a leak when a control client of ours is still attached, or a `tmux -C` of ours
still runs, once every tmuxorch process has gone. tests/chaos/test_chaos.py runs the same
scenarios; this prints crashes and leaks over many runs (target 0 / 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import finish, one_record_arguments, print_targets

STALL_ACTORS: dict[int, list[list[str]]] = {
    1: [["events", "--json"]],
    2: [["events", "--json"], ["status", "--json"]],
    3: [["events", "--json"], ["serve", "--port", "0"], ["status", "--json"]],
}
"""The tmuxorch processes that start while the server is stopped, by how many there are."""
EARLY_ACTORS = (["events", "--json"], ["serve", "--port", "0"], ["tui"], ["status"])
ONE_SHOT = frozenset({"status", "send", "summary"})


@dataclass
class Outcome:
    """What one run left behind."""

    scenario: str
    crashed: bool = False
    leaks: list[str] = field(default_factory=list)


class ChaosServer:
    """A private tmux server on its own socket, and the tmuxorch processes run against it."""

    def __init__(self) -> None:
        self.tmpdir = Path(tempfile.mkdtemp(prefix="tmo-chaos-"))
        self.socket = self.tmpdir / f"tmux-{os.getuid()}" / "chaos"
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env.update(
            TMUX_TMPDIR=str(self.tmpdir), XDG_DATA_HOME=str(self.tmpdir / "data"),
            XDG_CONFIG_HOME=str(self.tmpdir / "config"),
        )  # fmt: skip
        self.pid = 0
        self.actors: list[subprocess.Popen[bytes]] = []

    def tmux(self, *args: str, timeout: float = 10) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", "/dev/null", *args], env=self.env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        return result.stdout if result.returncode == 0 else ""

    def start(self) -> int:
        """Start the server with the user's work in it; return its PID."""
        self.socket.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        end = time.monotonic() + 10
        while "work" not in self.tmux("list-sessions", "-F", "#{session_name}"):
            if time.monotonic() > end:  # (a killed server's socket can refuse a moment)
                raise RuntimeError(f"tmux did not start on {self.socket}")
            self.tmux("new-session", "-d", "-s", "work", "-x", "120", "-y", "40", "sleep", "600")
        self.tmux("new-window", "-d", "-t", "work", "-n", "agent", "cat")
        self.pid = int(self.tmux("display-message", "-p", "#{pid}").strip() or 0)
        if self.pid <= 0:  # never signal PID 0: that is our own process group
            raise RuntimeError(f"tmux did not start on {self.socket}")
        return self.pid

    def tmuxorch(self, *argv: str) -> subprocess.Popen[bytes]:
        """A real tmuxorch process against this server (the TUI in a pane of it)."""
        if argv[0] == "tui":
            command = f"exec {sys.executable} -m tmuxorch -S {self.socket} tui"
            self.tmux("new-window", "-d", "-t", "work", "-n", "tmuxorch-tui", command)
            pid = self.tmux("display-message", "-p", "-t", "=work:tmuxorch-tui", "#{pane_pid}")
            return _Adopted(int(pid.strip() or 0))  # type: ignore[return-value]
        process = subprocess.Popen(
            [sys.executable, "-m", "tmuxorch", "-S", str(self.socket), *argv], env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.actors.append(process)
        return process

    def alive(self) -> bool:
        """The same server still runs (not a zombie) and answers."""
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            return False
        return state != "Z" and "work" in self.tmux("list-sessions", "-F", "#{session_name}")

    def leaks(self, deadline: float = 10.0) -> list[str]:
        """Control clients of ours still attached, `tmux -C` processes of ours still running,
        hidden sessions left: polled until none or the deadline (a client leaves in steps)."""
        end = time.monotonic() + deadline
        while True:
            found = [f"attached client {line}" for line in self.tmux(
                "list-clients", "-F", "#{client_pid} #{client_control_mode} #{session_name}",
            ).splitlines() if line.split()[1:2] == ["1"]]  # fmt: skip
            found += [f"process {pid}" for pid in _control_processes(self.socket)]
            found += [
                f"session {name}"
                for name in self.tmux("list-sessions", "-F", "#{session_name}").split()
                if name.startswith("_tmuxorch-")
            ]
            if not found or time.monotonic() > end:
                return found
            time.sleep(0.05)  # a poll step of a bounded wait

    def wait_attached(self, timeout: float = 20) -> bool:
        """Wait until a control client of ours is attached (a watcher is up)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            clients = self.tmux("list-clients", "-F", "#{client_control_mode}").split()
            if "1" in clients:
                return True
            time.sleep(0.02)  # a poll step of a bounded wait
        return False

    def stop_actors(self) -> None:
        for process in self.actors:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.actors:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        """Kill every process of the run by PID, then the server, and remove its files."""
        for process in self.actors:
            if process.poll() is None:
                process.kill()
                process.wait()
        for pid in [self.pid, *_control_processes(self.socket)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if pid > 0:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class _Adopted:
    """A process we did not start ourselves (the TUI, started by tmux in a pane)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        return None if Path(f"/proc/{self.pid}").exists() else 0


def _control_processes(socket: Path) -> list[int]:
    """PIDs of `tmux ... -C` processes on this socket (by their argv, never by name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if b"-C" in argv and str(socket).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def chaos_server() -> Iterator[ChaosServer]:
    server = ChaosServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


def _wait_line(process: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bool:
    """Read the process's stdout until a line holds `needle` (False at EOF or the deadline)."""
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    end, buffer = time.monotonic() + timeout, b""
    while time.monotonic() < end:
        chunk = process.stdout.read() or b""
        buffer += chunk
        if needle in buffer:
            return True
        if not chunk and process.poll() is not None:
            return False
        time.sleep(0.02)  # a poll step of a bounded wait
    return False


def _sees_a_change(server: ChaosServer, watcher: subprocess.Popen[bytes]) -> bool:
    """Does the watcher report a new window? (Tried a few times: one made while it was taking
    its first snapshot is in that snapshot, not in an event.)"""
    for attempt in range(5):
        name = f"after-stall-{attempt}"
        server.tmux("new-window", "-d", "-t", "work", "-n", name, "sleep", "600")
        if _wait_line(watcher, name.encode(), 4):
            return True
    return False


def stall(actors: int, seconds: float) -> Outcome:
    """Stop the server, start `actors` tmuxorch processes, continue it after `seconds`."""
    outcome = Outcome(f"stall x{actors}")
    with chaos_server() as server:
        os.kill(server.pid, signal.SIGSTOP)
        started = [(argv, server.tmuxorch(*argv)) for argv in STALL_ACTORS[actors]]
        time.sleep(seconds)  # the fault itself: how long the server stays stopped
        os.kill(server.pid, signal.SIGCONT)
        for argv, process in started:
            if argv[0] in ONE_SHOT:
                process.wait(timeout=30)
        watcher = next(p for argv, p in started if argv[0] == "events")
        if not server.wait_attached():
            outcome.leaks.append("events did not attach after the stall")
        elif not _sees_a_change(server, watcher):
            outcome.leaks.append("events did not see a change after the stall")
        server.stop_actors()
        outcome.crashed = not server.alive()
        outcome.leaks += server.leaks()
    return outcome


def early_kill(actor: list[str], signum: int, delay: float) -> Outcome:
    """Kill one tmuxorch process `delay` seconds after it started."""
    outcome = Outcome(f"{signal.Signals(signum).name} {actor[0]} at {delay:.2f} s")
    with chaos_server() as server:
        process = server.tmuxorch(*actor)
        time.sleep(delay)  # the fault's moment, drawn at random by the caller
        if actor[0] == "tui":
            server.tmux("kill-window", "-t", "=work:tmuxorch-tui")  # SIGHUP, as a user does
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)
        end = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < end:
            time.sleep(0.02)  # a poll step of a bounded wait
        outcome.crashed = not server.alive()
        outcome.leaks += server.leaks()
    return outcome


def restart_mid_send(delay: float) -> Outcome:
    """Kill tmux while `send` types a long message, start a new server; `events` watches."""
    outcome = Outcome(f"restart mid-send at {delay:.2f} s")
    with chaos_server() as server:
        watcher = server.tmuxorch("events", "--json")
        if not server.wait_attached():
            outcome.leaks.append("events never attached")
        text = "\n".join(f"line {i} of a long message" for i in range(400))
        sender = subprocess.Popen(
            [sys.executable, "-m", "tmuxorch", "-S", str(server.socket), "send", "work:agent",
             "--force", "-"], env=server.env, stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        server.actors.append(sender)
        assert sender.stdin is not None
        sender.stdin.write(text.encode())
        sender.stdin.close()
        time.sleep(delay)  # the fault's moment
        os.kill(server.pid, signal.SIGKILL)
        sender.wait(timeout=30)
        assert sender.stderr is not None
        if b"Traceback" in sender.stderr.read():
            outcome.leaks.append("send printed a traceback")
        server.start()
        if not _wait_line(watcher, b"tmux_up", 20):
            outcome.leaks.append("events did not see the new server")
        server.stop_actors()
        outcome.crashed = not server.alive()
        outcome.leaks += server.leaks()
    return outcome


def one_run(rng: random.Random, stall_seconds: float) -> Outcome:
    """One run of a scenario drawn at random."""
    choice = rng.randrange(3)
    if choice == 0:
        return stall(rng.choice((1, 2, 3)), stall_seconds)
    if choice == 1:
        signum = rng.choice((signal.SIGKILL, signal.SIGHUP))
        return early_kill(list(rng.choice(EARLY_ACTORS)), signum, rng.uniform(0, 2))
    return restart_mid_send(rng.uniform(0, 0.3))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=50, help="how many runs")
    parser.add_argument("--stall", type=float, default=8.0, help="seconds tmux stays stopped")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    one_record_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the scenarios and print crashes and leaks."""
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    crashes = leaks = 0
    print(f"chaos: {args.runs} runs, stall {args.stall:g} s, seed {seed}")
    for number in range(1, args.runs + 1):
        outcome = one_run(rng, args.stall)
        crashes += outcome.crashed
        leaks += bool(outcome.leaks)
        verdict = "CRASH" if outcome.crashed else ("LEAK " if outcome.leaks else "ok   ")
        print(f"{number:3d} {verdict} {outcome.scenario} {'; '.join(outcome.leaks)}", flush=True)
    print(f"crashes {crashes}/{args.runs}, runs with leaks {leaks}/{args.runs} (target 0/0)")
    record = {"bench": "chaos", "runs": args.runs, "crashes": crashes, "leaks": leaks,
              "seed": seed, "stall": args.stall}  # fmt: skip
    targets = [("no crash", f"{crashes}/{args.runs}", crashes == 0),
               ("no leak", f"{leaks}/{args.runs}", leaks == 0)]  # fmt: skip
    print_targets(targets)
    return finish(args, record, targets)
