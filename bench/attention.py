"""Issue 13's targets, measured: an agent entering `waiting` -> the `[notify]` hook and webhook
fired (from the screen, and from a precise source: the agent's own hook report), exactly once
with three tmuxorch processes watching (the TUI, `serve`, `watch`); and `status --format tmux`
(whole processes) at 100 simulated agents with a watcher running.

Run: `.venv/bin/python -m bench.attention [--rounds N] [--agents N]`. Everything runs on a
private tmux server (`-L h13-attention-<pid>`) in a temporary directory, killed by socket at
the end; `min_seconds = 0`, so the figure is tmuxorch's own delay, not the configured one.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from tmuxorch.core.agents.hook_events import report_snippet

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/screens/claude"
HOOK = """#!/bin/sh
now=$(date +%s.%N)
printf '%s %s\\n' "$now" "$(tr -d '\\n')" >> "{out}"
"""


class Receiver(http.server.BaseHTTPRequestHandler):
    """The webhook's receiver: each POST's arrival time and body."""

    got: ClassVar[list[tuple[float, dict[str, object]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((time.time(), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class Bench:
    """A private tmux server (and one for the TUI's terminal) and the watchers started on it,
    all killed by socket or pid in `close`."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.name = f"h13-attention-{os.getpid()}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env.update(
            TMUX_TMPDIR=str(tmp), XDG_DATA_HOME=str(tmp / "data"),
            XDG_CONFIG_HOME=str(tmp / "config"), HOME=str(tmp),
        )  # fmt: skip
        self.processes: list[subprocess.Popen[bytes]] = []

    def tmux(self, *args: str, server: str | None = None) -> str:
        return subprocess.run(
            ["tmux", "-L", server or self.name, "-f", "/dev/null", *args],
            env=self.env, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    def socket(self) -> str:
        return self.tmux("display-message", "-p", "#{socket_path}").strip()

    def start(self, *argv: str) -> None:
        """A tmuxorch watcher of the bench's server, its output kept in the temporary dir."""
        log = open(self.tmp / f"{argv[0]}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        argv_ = [sys.executable, "-m", "tmuxorch", "-L", self.name, *argv]
        self.processes.append(subprocess.Popen(argv_, env=self.env, stdout=log, stderr=log))

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for server in (self.name, f"{self.name}-tui"):
            subprocess.run(
                ["tmux", "-L", server, "kill-server"], env=self.env, capture_output=True,
                check=False,
            )  # fmt: skip


def wait(predicate: Callable[[], bool], timeout: float, step: float = 0.002) -> float:
    """Poll `predicate` until it holds; the wall-clock time it first held."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(step)
    return time.time()


def notified(out: Path) -> list[tuple[float, dict[str, object]]]:
    if not out.exists():
        return []
    rows = []
    for line in out.read_text().splitlines():
        stamp, _, body = line.partition(" ")
        rows.append((float(stamp), json.loads(body)))
    return rows


def summary(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (
        f"{name}: n={len(ms)} median {statistics.median(ms):.0f} ms, "
        f"max {ms[-1]:.0f} ms, min {ms[0]:.0f} ms"
    )


def latency(bench: Bench, out: Path, rounds: int) -> None:
    """Screen source (the simulated agent draws its question) and precise source (a claude
    pane's own hook reports PermissionRequest), each `rounds` times; the hook command and the
    webhook are timed from the moment the screen showed the question / the report was made."""
    sim = bench.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main",
        sys.executable, "-m", "tmuxorch.simagent", "--busy", "0.2",
    ).strip()  # fmt: skip
    claude = bench.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "sleep", "100000"
    ).strip()
    bench.tmux("set-option", "-p", "-t", claude, "@tmuxorch-agent", "claude")
    body = (FIXTURE / "idle-prompt-80x24.txt").read_text().partition("\n---\n")[2].rstrip()
    (bench.tmp / "idle.screen").write_text(body)
    bench.tmux(
        "respawn-pane", "-k", "-t", claude, f"clear; cat '{bench.tmp}/idle.screen'; exec sleep 1e6"
    )
    pid = bench.tmux("display-message", "-p", "#{pid}").strip()
    hook_env = {**bench.env, "TMUX_PANE": claude, "TMUX": f"{bench.socket()},{pid},0"}
    time.sleep(3)  # the three watchers have listed the fleet and settled (not a measurement)
    screen_hook, screen_web, precise_hook, precise_web = [], [], [], []
    for _ in range(rounds):
        for source in ("screen", "precise"):
            before_hook, before_web = len(notified(out)), len(Receiver.got)
            if source == "screen":
                bench.tmux("send-keys", "-t", sim, "-l", "please APPROVE this")
                bench.tmux("send-keys", "-t", sim, "Enter")
                asked = wait(lambda: "1. Yes" in bench.tmux("capture-pane", "-p", "-t", sim), 10)
            else:
                asked = time.time()
                snippet = report_snippet("claude", "PermissionRequest")
                subprocess.run(["sh", "-c", snippet], env=hook_env, check=True)
            wait(lambda b=before_hook: len(notified(out)) > b, 10)
            wait(lambda b=before_web: len(Receiver.got) > b, 10)
            hook_at = notified(out)[before_hook][0]
            web_at = Receiver.got[before_web][0]
            (screen_hook if source == "screen" else precise_hook).append(hook_at - asked)
            (screen_web if source == "screen" else precise_web).append(web_at - asked)
            time.sleep(1.5)  # any second notification of this event would have come by now
            assert len(notified(out)) == before_hook + 1, "notified more than once"
            assert len(Receiver.got) == before_web + 1, "webhook more than once"
            if source == "screen":
                bench.tmux("send-keys", "-t", sim, "Enter")  # yes: it works, then idles
                wait(lambda: "1. Yes" not in bench.tmux("capture-pane", "-p", "-t", sim), 10)
            else:
                subprocess.run(
                    ["sh", "-c", report_snippet("claude", "Stop")], env=hook_env, check=True
                )
            time.sleep(1.0)  # idle again in every watcher's eyes
    print(summary("screen -> hook command", screen_hook))
    print(summary("screen -> webhook", screen_web))
    print(summary("precise (hook report) -> hook command", precise_hook))
    print(summary("precise (hook report) -> webhook", precise_web))
    print(
        f"notified events: {len(notified(out))} hook runs, {len(Receiver.got)} webhook POSTs "
        f"for {2 * rounds} waits"
    )


def status_bar(bench: Bench, agents: int, runs: int) -> None:
    """`tmuxorch status --format tmux` at `agents` simulated agents, a watcher running."""
    for n in range(agents):
        bench.tmux(
            "new-window", "-d", "-t", "fleet", sys.executable, "-m", "tmuxorch.simagent",
            "--state-cycle", "--seed", str(n),
        )  # fmt: skip
    time.sleep(5)  # the agents drew their screens, the watcher follows them all
    script = str(Path(sys.executable).parent / "tmuxorch")  # as a status line runs it
    for name, argv in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("tmuxorch --version", [script, "--version"]),
        (f"status --format tmux at {agents} agents", [script, "-L", bench.name, "status",
                                                      "--format", "tmux"]),
        ("tmux show -gv @tmuxorch-status", ["tmux", "-L", bench.name, "show", "-gv",
                                            "@tmuxorch-status"]),
    ):  # fmt: skip
        subprocess.run(argv, env=bench.env, capture_output=True, check=True)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(argv, env=bench.env, capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - start)
        print(summary(name, times), f"-> {done.stdout.strip()!r}")
    clients = bench.tmux("list-clients", "-F", "#{client_pid} #{client_control_mode}")
    print(f"clients after the runs (the watchers' own control clients): {clients.count(chr(10))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="h13-attention-"))
    bench = Bench(tmp)
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    out = tmp / "hook.out"
    hook = tmp / "hook"
    hook.write_text(HOOK.format(out=out))
    hook.chmod(0o755)
    (tmp / "config" / "tmuxorch").mkdir(parents=True)
    (tmp / "config" / "tmuxorch" / "config.toml").write_text(
        '[notify]\nstates = ["waiting"]\nmin_seconds = 0\n'
        f"hook = [{json.dumps(str(hook))}]\n"
        f'webhook = "http://127.0.0.1:{http_server.server_port}/hook"\n'
    )
    bench.env["TMUXORCH_CONFIG"] = str(tmp / "config" / "tmuxorch" / "config.toml")
    try:
        bench.tmux("new-session", "-d", "-s", "main", "-x", "120", "-y", "40", "sleep", "1e6")
        bench.tmux("new-session", "-d", "-s", "fleet", "sleep", "1e6")
        bench.start("watch")
        bench.start("serve", "--port", "0")
        tui = f"{bench.name}-tui"  # the TUI in a terminal of its own: a pane of another server
        bench.tmux(
            "new-session", "-d", "-s", "tui", "-x", "160", "-y", "50",
            "env", f"TMUXORCH_CONFIG={bench.env['TMUXORCH_CONFIG']}",
            sys.executable, "-m", "tmuxorch", "-L", bench.name, "tui", server=tui,
        )  # fmt: skip
        latency(bench, out, args.rounds)
        status_bar(bench, args.agents, args.runs)
    finally:
        bench.close()
        http_server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
