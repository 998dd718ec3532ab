"""Bad settings are usage errors that say what is wrong, in one line, exit 2: an out-of-range port
for --connect or serve, a config file that is not there, a keymap that cannot work. And a
connection that fails says why. Real CLI processes."""

from __future__ import annotations

import subprocess

from .conftest import TmuxFixture
from .serverkit import Served
from .test_remote import run_cli


def usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """The last line of stderr of a run that must be a usage error (exit 2, never a traceback)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return result.stderr.splitlines()[-1]


async def test_a_port_out_of_range_is_a_usage_error(running_tmux: TmuxFixture) -> None:
    far = await run_cli(
        running_tmux, "--connect", "ws://127.0.0.1:99999", "status", env={"TMUXORCH_TOKEN": "t"}
    )
    assert usage_error(far) == "tmuxorch: --connect: port 99999 is out of range (0-65535)"
    assert far.stderr.count("\n") == 1
    here = running_tmux.cli("serve", "--port", "99999")
    assert usage_error(here) == "tmuxorch: argument --port: 99999 is not a port (0-65535)"
    assert running_tmux.cli("serve", "--port", "-1").returncode == 2


async def test_wss_to_a_plain_server_says_why(srv: Served, running_tmux: TmuxFixture) -> None:
    url = srv.url.replace("ws://", "wss://")
    result = await run_cli(
        running_tmux, "--connect", url, "status", env={"TMUXORCH_TOKEN": srv.control}
    )
    assert result.returncode == 3
    reason = result.stderr.removeprefix(f"tmuxorch: cannot connect to {url}: ")
    assert reason != result.stderr
    assert reason == "the TLS handshake failed: is the server serving TLS? (use ws:// if not)\n"
