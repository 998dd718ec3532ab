"""A bare `tmux -C` client for the benchmarks' floor rows: what tmux itself needs to answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bench.fleet import clean_environ, tmux_binary
from tmuxorch.core.quoting import control_lines


class BareControlClient:
    """`tmux -C` and nothing else: the floor under anything tmuxorch does over control mode.
    It sends the very commands the engine sends and only counts reply blocks, so the difference
    to tmuxorch is tmuxorch's own work (encoding, framing, parsing, asyncio plumbing)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def attach(cls, socket_path: Path, session: str) -> BareControlClient:
        """Attach to `session` with the flags the engine uses, after its first reply block."""
        process = await asyncio.create_subprocess_exec(
            tmux_binary(), "-S", str(socket_path), "-C",
            "attach-session", "-t", session, "-f", "no-output,ignore-size",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env=clean_environ(), limit=1 << 24,
        )  # fmt: skip
        client = cls(process)
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
        """Detach by closing stdin (the session is the fleet's own, not a destroy-unattached
        one, so this is the safe way out on tmux 3.3a); kill it if it lingers."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 5)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
