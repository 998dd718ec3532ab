"""`make real-agents`: every installed real agent CLI walks real turns against the local fake
model while tmuxorch watches, and the table says which state changes tmuxorch saw and how late.

For each CLI, in a tmux server of its own (socket `tmuxorch-walk-<cli>-<pid>`), in a private
HOME and a throwaway project directory (see clis.py):

  start -> idle;  prompt (slow reply) -> busy -> idle;
  prompt (tool call) -> busy -> waiting (approval) -> approve -> idle;
  prompt (long reply) -> busy -> `tmuxorch interrupt` -> idle.

Latency is from the CLI's change, as the fake model saw it (request arrived, tool call sent,
stream ended) or our keystroke (approve, interrupt), to the `agent_state` event read from
`tmuxorch events --json`. A phase with more events than real changes is flicker.

Screens met on the way are written as fixtures (`--fixtures DIR`, at 120x36 and 80x24), and
everything seen — events, pane titles, session files, hooks, the fake's timeline — goes to
`--out DIR/<cli>.json` for docs/agent-sources.md. Exit 0 when Claude Code and two others walked
the whole path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clis import CLIS, Cli
from fake_model import FakeModel
from watch import Tmux, Watch, kill_left_behind, settle, stop_on_term, tmuxorch

from report import Result, Step, fixture_text, result_dict, table
from tmuxorch.core.agents.hook_events import ADVISORY, HOOKED

START_TIMEOUT = 90.0
STEP_TIMEOUT = 15.0
SIZES = ((120, 36), (80, 24))


class Walker:
    def __init__(self, cli: Cli, fake: FakeModel, work: Path, fixtures: Path | None) -> None:
        self.cli, self.fake, self.fixtures = cli, fake, fixtures
        self.home, self.proj = work / "home", work / "proj"
        self.home.mkdir(parents=True)
        self.proj.mkdir(parents=True)
        self.tmux = Tmux(f"tmuxorch-walk-{cli.name}-{os.getpid()}")
        self.pane = ""
        self.result = Result(cli.name, cli.version())
        self.watch: Watch | None = None
        self.phases: list[tuple[int, int]] = []
        self.sent = 0.0
        self.approved = 0.0
        self.explained: list[dict[str, Any]] = []

    # -- the walk

    def run(self) -> Result:
        self.start()
        try:
            self._walk()
        finally:
            self.stop()
        return self.result

    def start(self) -> None:
        """The CLI in a pane of its own tmux server, watched from now on."""
        launch = self.cli.prepare(self.home, self.proj, self.fake.url(self.cli.name))
        if self.cli.name in HOOKED and self.cli.name not in ADVISORY:  # our hooks, as a user would
            settings = self.home / f".{self.cli.name}" / "settings.json"
            done = tmuxorch(self.tmux.socket, "hooks", "install", self.cli.name,
                            "--settings", str(settings))  # fmt: skip
            if done.returncode != 0:
                self.result.notes.append(f"hooks install failed: {done.stderr.strip()}")
        env_args = [f"{k}={v}" for k, v in launch.env.items()]
        self.pane = self.tmux(
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_id}",
            "-s",
            "walk",
            "-x",
            "120",
            "-y",
            "36",
            "-c",
            str(self.proj),
            "env",
            *env_args,
            *launch.argv,
        ).strip()
        self.tmux("set-option", "-p", "-t", self.pane, "@tmuxorch-agent", self.cli.name)
        self.tmux("set-option", "-p", "-t", self.pane, "remain-on-exit", "on")
        sessions = self.home / ".claude" / "sessions" if self.cli.name == "claude" else None
        self.watch = Watch(self.tmux, self.pane, sessions)
        self.watch.start()

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        self.tmux.kill()
        left = kill_left_behind(self.home)
        if left:
            self.result.notes.append(f"stopped {len(left)} process(es) it left running: {left}")

    def ready(self) -> bool:
        """Waits for the CLI at its prompt, answering its startup questions on the way."""
        started = time.time()
        self._answer_startup()
        if not self._step("start", 0, {"idle"}, started, "pane started", START_TIMEOUT):
            self._fixture("unknown-start", "unknown", "the screen the walk stopped at")
            return False
        time.sleep(1.0)
        return True

    def _walk(self) -> None:
        assert self.watch is not None
        w = self.watch
        if not self.ready():
            return
        self._fixture("idle-prompt", "idle", "at its prompt, set up against a local fake model")

        # 1. a slow streamed reply
        i, t = self._send("SLOWREPLY say something slowly", real=2)
        # (the screen first: the step below may wait long for a `busy` tmuxorch never reads)
        self._fixture_when_streaming(
            "busy-streaming", t, "slow", "streaming a reply from the model"
        )
        self._step("busy (reply)", i, {"busy"}, self.sent, "`tmuxorch send` returned")
        self._step(
            "idle (reply done)",
            i,
            {"idle"},
            self._mark(t, "stream_end", "slow", wait=20),
            "stream end",
        )
        self._fixture("idle-after-reply", "idle", "back at the prompt after a streamed reply")

        # 2. a tool call that needs approval
        i, t = self._send("TOOLCALL write hi into f.txt", real=4)
        self._step("busy (tool turn)", i, {"busy"}, self.sent, "`tmuxorch send` returned")
        sent = self._mark(t, "tool_call", wait=20) or self._mark(
            t, "stream_end", "tool-as-text", wait=5
        )
        asked = self._asked(i)  # then tmuxorch has 3 s more to say so
        self._step(
            "waiting (approval)", i, {"waiting"}, sent, "tool call sent", timeout=3 if asked else 0
        )
        if asked:
            self._fixture(
                "waiting-approval", "waiting", "asks to approve a shell command (echo hi > f.txt)"
            )
            self._approve()
        final = self._mark(t, "stream_end", "final", wait=8)  # aider has no final request
        ref = (final, "final stream end") if final else (self.approved or None, "approve keystroke")
        self._step("idle (tool turn done)", len(w.events) - 1, {"idle"}, *ref)
        self._fixture(
            "idle-after-tool", "idle", "back at the prompt after an approved shell command"
        )

        # 3. a long reply, interrupted
        i, t = self._send("LONGREPLY tell a long story", real=2)
        self._step("busy (long)", i, {"busy"}, self.sent, "`tmuxorch send` returned")
        streaming = self._mark(t, "stream_start", "long", wait=10) is not None
        time.sleep(2.0)
        if streaming:
            self._fixture(
                "busy-streaming-long", "busy", "streaming a long reply, before the interrupt"
            )
        j = len(w.events)
        pressed = time.time()
        receipt = tmuxorch(self.tmux.socket, "interrupt", "--json", self.pane)
        took = (time.time() - pressed) * 1000
        answer = receipt.stdout.strip() or receipt.stderr.strip()
        self.result.notes.append(f"`tmuxorch interrupt` took {took:.0f} ms: {answer}")
        if not self._step(
            "idle (interrupted)", j, {"idle"}, pressed, "interrupt keystroke", timeout=8
        ):
            self.result.notes.append("not idle 8 s after `tmuxorch interrupt`")
        hung_up = self._mark(pressed, "aborted", "long", wait=5)
        stopped = Step("model stream stopped", "stopped", seen=hung_up is not None, ref="interrupt")
        stopped.latency_ms = round((hung_up - pressed) * 1000, 1) if hung_up else None
        self.result.steps.append(stopped)
        if not streaming:
            self.result.notes.append("the long reply never started: no interrupted screen")
        elif hung_up:
            self._fixture("idle-interrupted", "idle", "after `tmuxorch interrupt` stopped a reply")
        else:  # the interrupt did not take: the reply is still streaming
            self._fixture("busy-not-interrupted", "busy", "`tmuxorch interrupt` did not stop it")
        self._count()

    def _answer_startup(self) -> None:
        """Answers the CLI's startup questions as they come (a fixture of each first)."""
        pending = list(self.cli.startup)
        deadline = time.time() + 20
        while pending and time.time() < deadline:
            screen = self.tmux.capture(self.pane)
            for item in pending:
                name, line, keys = item
                if line in screen:
                    self._fixture(name, "waiting", f"startup question: {line}")
                    self.tmux("send-keys", "-t", self.pane, *keys)
                    pending.remove(item)
                    break
            time.sleep(0.2)

    # -- steps

    def _send(self, text: str, real: int) -> tuple[int, float]:
        """Sends a prompt, which starts a phase of `real` state changes."""
        assert self.watch is not None
        index, t = len(self.watch.events), time.time()
        self.phases.append((index, real))
        receipt = tmuxorch(self.tmux.socket, "send", "--json", "-m", text, self.pane)
        if receipt.returncode != 0:
            self.result.notes.append(
                f"send {text.split()[0]}: rc {receipt.returncode} {receipt.stderr.strip()}"
                f" {receipt.stdout.strip()}"  # the receipts say why
            )
        self.sent = time.time()
        return index, t

    def _step(
        self,
        name: str,
        index: int,
        states: set[str],
        ref: float | None,
        what: str,
        timeout: float = STEP_TIMEOUT,
    ) -> bool:
        assert self.watch is not None
        step = Step(name, "/".join(sorted(states)), ref=what)
        self.result.steps.append(step)
        seen = self.watch.wait_state(index, states, timeout)
        if seen is not None:
            step.seen, step.via = True, seen.via
            if seen.via in ("hook", "session-file") and seen.since is not None:
                step.lag_ms = round((seen.t - seen.since) * 1000, 1)
            if ref is not None:
                step.latency_ms = round((seen.t - ref) * 1000, 1)
            self._explain(name)
        return step.seen

    def _explain(self, step: str) -> None:
        """What `tmuxorch explain` says at this step (kept in the walk's JSON dump)."""
        done = tmuxorch(self.tmux.socket, "explain", self.pane, "--json")
        if done.returncode == 0:
            self.explained.append({"step": step, **json.loads(done.stdout)["agents"][0]})
        else:
            self.explained.append({"step": step, "error": done.stderr.strip()})

    def _mark(self, after: float, what: str, script: str = "", wait: float = 5.0) -> float | None:
        """When the fake model saw `what` (for `script`) of this CLI since `after`."""
        deadline = time.time() + wait
        while True:
            for m in self.fake.timeline.since(after, self.cli.name):
                if m.what == what and (not script or m.script == script):
                    return m.t
            if time.time() > deadline:
                return None
            time.sleep(0.05)

    def _count(self) -> None:
        """Each phase's events against the real changes in it (busy, waiting, busy, idle...):
        more is flicker. Resizes for the fixtures fall inside phases: they change no state."""
        assert self.watch is not None
        time.sleep(1.0)
        ends = [index for index, _ in self.phases[1:]] + [len(self.watch.events)]
        for (index, real), end in zip(self.phases, ends, strict=True):
            self.result.events += end - index
            self.result.real_changes += real

    def _asked(self, index: int) -> bool:
        """Whether the approval question is up, by tmuxorch's reading or by its text."""
        assert self.watch is not None
        deadline = time.time() + STEP_TIMEOUT
        while time.time() < deadline:
            if self.watch.wait_state(index, {"waiting"}, 0.0) or self.cli.asks in self.tmux.capture(
                self.pane
            ):
                return True
            time.sleep(0.1)
        return False

    def _approve(self) -> None:
        """Says "yes" as a user of tmuxorch would (`tmuxorch answer PANE 1`), and again for its
        follow-up question when it has one (aider: add the command's output to the chat?)."""
        assert self.watch is not None
        j = len(self.watch.events)
        pressed = self.approved = time.time()
        self._answer_yes()
        if self.cli.again:
            deadline = pressed + 10
            while self.cli.again not in self.tmux.capture(self.pane) and time.time() < deadline:
                time.sleep(0.1)
            if self.cli.again in self.tmux.capture(self.pane):
                self._fixture("waiting-second-question", "waiting", f"asks: {self.cli.again}")
                self._answer_yes()
        left = self.watch.wait_state(j, {"busy", "idle"}, STEP_TIMEOUT)
        step = Step(
            "approved -> busy/idle", "busy/idle", seen=left is not None, ref="approve keystroke"
        )
        step.latency_ms = round((left.t - pressed) * 1000, 1) if left else None
        self.result.steps.append(step)

    def _answer_yes(self) -> None:
        """`tmuxorch answer PANE 1`; when it cannot (a menu it does not read, or the agent did
        not move on), the CLI's own "yes" keys, so the walk goes on: the notes say which."""
        done = tmuxorch(self.tmux.socket, "answer", self.pane, "1", "--json")
        said = done.stdout.strip() or done.stderr.strip()
        self.result.notes.append(f"`tmuxorch answer {self.pane} 1`: rc {done.returncode} {said}")
        pressed = '"state": "waiting"' in said  # it pressed the digit, the agent did not move on
        if done.returncode != 0:
            keys = ("Enter",) if pressed else self.cli.approve  # the digit moved the cursor only
            self.tmux("send-keys", "-t", self.pane, *keys)

    # -- fixtures

    def _fixture_when_streaming(self, name: str, after: float, script: str, note: str) -> None:
        """A busy screen, kept only if `script`'s stream was still running when it was taken."""
        if self._mark(after, "stream_start", script, wait=10) is None:
            return
        time.sleep(1.0)
        taken = len(self.result.fixtures)
        self._fixture(name, "busy", note, resize=False)
        ended = self._mark(after, "stream_end", script, wait=0)
        if ended is not None and ended < time.time():
            for path in self.result.fixtures[taken:]:
                Path(path).unlink()
            del self.result.fixtures[taken:]

    def _fixture(self, name: str, state: str, note: str, resize: bool = True) -> None:
        if self.fixtures is None:
            return
        out = self.fixtures / self.cli.name
        out.mkdir(parents=True, exist_ok=True)
        for width, height in SIZES if resize else SIZES[:1]:
            self.tmux(
                "resize-window", "-t", self.pane, "-x", str(width), "-y", str(height), check=False
            )
            screen = (
                settle(self.tmux, self.pane)
                if state != "busy"
                else (time.sleep(0.5), self.tmux.capture(self.pane))[1]
            )
            path = out / f"{name}-{width}x{height}.txt"
            text = fixture_text(state, self.result.version, width, height, note, screen)
            path.write_text(text, encoding="utf-8")
            self.result.fixtures.append(str(path))
        if resize:
            self.tmux("resize-window", "-t", self.pane, "-x", "120", "-y", "36", check=False)
            settle(self.tmux, self.pane)

    def dump(self, out: Path) -> None:
        assert self.watch is not None
        hooks = self.home / "hooks.jsonl"
        data = {
            "result": result_dict(self.result),
            "events": [asdict(s) for s in self.watch.events],
            "signals": [asdict(s) for s in self.watch.signals],
            "hooks": [json.loads(line) for line in hooks.read_text().splitlines()]
            if hooks.exists()
            else [],
            "model": [m.__dict__ for m in self.fake.timeline.since(0, self.cli.name)],
            "explained": self.explained,
        }
        (out / f"{self.cli.name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def main() -> int:
    signal.signal(signal.SIGTERM, stop_on_term)
    parser = argparse.ArgumentParser(
        description="walk the real agent CLIs through real turns offline"
    )
    parser.add_argument("clis", nargs="*", help="which CLIs (default: every installed one)")
    parser.add_argument("--fixtures", type=Path, help="write screen fixtures under DIR/<cli>/")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "tmuxorch-walk")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("real-agents: tmux not found", file=sys.stderr)
        return 2
    unknown = set(args.clis) - {c.name for c in CLIS}
    if unknown:
        print(f"real-agents: unknown CLI {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    chosen = [c for c in CLIS if (not args.clis or c.name in args.clis)]
    missing = [c.name for c in chosen if not c.installed()]
    if missing:
        print(
            f"real-agents: not installed (scripts/real-agents.sh): {', '.join(missing)}",
            file=sys.stderr,
        )
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="tmuxorch-walk-") as tmp,
        (args.out / "model.jsonl").open("w") as log,
        FakeModel(log=log) as fake,
    ):
        for cli in (c for c in chosen if c.installed()):
            print(f"real-agents: walking {cli.name} …", file=sys.stderr, flush=True)
            walker = Walker(cli, fake, Path(tmp) / cli.name, args.fixtures)
            try:
                results.append(walker.run())
            finally:
                walker.dump(args.out)
    print(table(results))
    for r in results:
        print(json.dumps(result_dict(r)))
    walked = {r.cli for r in results if r.whole_path}
    ok = "claude" in walked and len(walked) >= 3
    print(f"real-agents: whole path walked by {', '.join(sorted(walked)) or 'none'}")
    print(f"real-agents: everything seen is in {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
