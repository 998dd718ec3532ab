"""Bare `tmux -C` clients: the benchmarks' floor rows (what tmux itself needs to answer), and a
witness of the moment a pane's screen changed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

from bench.fleet import clean_environ, tmux_binary
from tmuxorch.core.tmux.quoting import control_lines


class BareControlClient:
    """`tmux -C` and nothing else: the floor under anything tmuxorch does over control mode.
    It sends the very commands the engine sends and only counts reply blocks, so the difference
    to tmuxorch is tmuxorch's own work (encoding, framing, parsing, asyncio plumbing)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def attach(cls, socket_path: Path, session: str) -> BareControlClient:
        """Attach to `session` with the flags the engine uses, after its first reply block."""
        client = cls(await _attach(socket_path, session, "no-output,ignore-size"))
        await client._replies(1)
        return client

    async def run(self, commands: Sequence[Sequence[str]]) -> None:
        """Write the commands as one batch and wait for all their replies."""
        assert self._process.stdin is not None
        self._process.stdin.write(control_lines(commands))
        await self._replies(len(commands))

    async def _replies(self, count: int) -> None:
        assert self._process.stdout is not None
        seen = b"\n"
        while seen.count(b"\n%end ") + seen.count(b"\n%error ") < count:
            chunk = await self._process.stdout.read(1 << 20)
            if not chunk:
                raise RuntimeError("bare tmux -C client exited")
            seen += chunk

    async def close(self) -> None:
        """Detach (see `_detach`)."""
        await _detach(self._process)


async def _attach(socket_path: Path, session: str, flags: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        tmux_binary(), "-S", str(socket_path), "-C",
        "attach-session", "-t", session, "-f", flags,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env=clean_environ(), limit=1 << 24,
    )  # fmt: skip


async def _detach(process: asyncio.subprocess.Process) -> None:
    """Detach by closing stdin (the session is the fleet's own, not a destroy-unattached one, so
    this is the safe way out on tmux 3.3a); kill the client by its PID if it lingers."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        process.kill()
        await process.wait()


class ScreenWitness:
    """A `tmux -C` client that gets the output of one pane as tmux reads it (`%output`), and
    notes when text appeared there: that is when the pane's screen changed, the instant a user
    could have seen it, whatever tmuxorch did about it. Attach it before any engine handshakes
    (two handshakes at once can crash tmux 3.3a)."""

    def __init__(self, process: asyncio.subprocess.Process, pane: str) -> None:
        self._process = process
        self._prefix = f"%output {pane} ".encode()
        self._tail = b""
        self._seen: list[tuple[float, bytes]] = []
        self._reader = asyncio.create_task(self._read(), name="bench-screen-witness")

    @classmethod
    async def attach(cls, socket_path: Path, session: str, pane: str) -> ScreenWitness:
        """Watch `pane` (of `session`, whose panes are the ones tmux reports output for)."""
        return cls(await _attach(socket_path, session, "ignore-size"), pane)

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            if line.startswith(self._prefix):
                # With the tail of the last one, so text split over two reads is still found.
                text = self._tail + line[len(self._prefix) :].rstrip(b"\n")
                self._seen.append((time.perf_counter(), text))
                self._tail = text[-256:]

    async def appeared(self, text: str, after: float, timeout: float = 10.0) -> float:
        """The perf_counter time `text` first showed in the pane's output after `after`."""
        wanted = text.encode()
        index = 0
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for at, tail in self._seen[index:]:
                if at > after and wanted in tail:
                    return at
            index = len(self._seen)
            await asyncio.sleep(0.001)
        raise RuntimeError(f"{text!r} never showed in the watched pane")

    async def close(self) -> None:
        """Stop reading and detach."""
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await _detach(self._process)
