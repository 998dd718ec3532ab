"""spawn's `cwd` and `env`, and its fleet label: each value reaches the command exactly as given
(one tmux argument each: a leading `-`, `#{...}`, a `;` are text), over control mode, over a
plain `tmux` process (the CLI) and over --connect; what tmux would misread is refused before
tmux sees anything."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tmuxorch.core.backend import Backend

from ..conftest import TmuxFixture, wait_for
from .test_remote import fleet

__all__ = ["fleet"]  # the fixture: the same fleet through the local and the remote backend

HAZARDS = {
    "DASH": "-x --y",
    "FORMAT": "#{session_name} #(echo hi)",
    "TRAILING": "a;",
    "MIDDLE": "x ; y",
    "DOLLAR": "$HOME",
    "TILDE": "~",
    "QUOTES": "'\" \\",
    "EMPTY": "",
    "LINES": "one\ntwo",
}


def probe(out: Path) -> list[str]:
    """A command that writes its directory and the HAZARDS variables to `out`, then stays."""
    names = json.dumps(sorted(HAZARDS))
    code = (
        "import json, os, time; "
        f"data = {{'cwd': os.getcwd(), 'env': {{k: os.environ.get(k) for k in {names}}}}}; "
        f"open({str(out)!r} + '.part', 'w').write(json.dumps(data)); "
        f"os.rename({str(out)!r} + '.part', {str(out)!r}); time.sleep(1000)"
    )
    return [sys.executable, "-c", code]


def read_probe(out: Path) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while not out.exists():
        assert time.monotonic() < deadline, "the probe did not start"
        time.sleep(0.02)  # a poll step of a deadline-bounded wait
    data: dict[str, object] = json.loads(out.read_text())
    return data


def odd_directory(base: Path) -> Path:
    directory = base / "a dir; with -c and 'quotes'"
    directory.mkdir()
    return directory


async def test_cwd_and_env_arrive_exactly(
    fleet: Backend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    directory = odd_directory(tmp_path)
    out = tmp_path / "probe.json"
    spawned = await fleet.spawn(
        "work", probe(out), name="probe", kind=None, cwd=str(directory), env=HAZARDS,
        fleet="/some/where/tmuxorch.toml",
    )  # fmt: skip
    await wait_for(out.exists, timeout=10)
    assert read_probe(out) == {"cwd": str(directory), "env": HAZARDS}
    window = (await fleet.snapshot()).windows_by_id[spawned.window_id]
    assert window.fleet == "/some/where/tmuxorch.toml"
    other = await fleet.spawn("work", ["sleep", "1000"], name="plain", kind=None)
    assert (await fleet.snapshot()).windows_by_id[other.window_id].fleet is None


def test_the_cli_passes_cwd_and_env_as_given(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    directory = odd_directory(tmp_path)
    out = tmp_path / "probe.json"
    env = [f"--env={key}={value}" for key, value in HAZARDS.items()]
    result = running_tmux.cli("spawn", "main", "--cwd", str(directory), *env, "--", *probe(out))
    assert result.returncode == 0, result.stderr
    assert read_probe(out) == {"cwd": str(directory), "env": HAZARDS}
    status = json.loads(running_tmux.cli("status", "--json").stdout)
    assert all(w["fleet"] is None for s in status["sessions"] for w in s["windows"])

    home = running_tmux.cli("spawn", "main", "--cwd", "~", "--", "sleep", "1000")
    assert home.returncode == 0, home.stderr
    pane = home.stdout.split()[1]
    path = running_tmux.tmux("display-message", "-p", "-t", pane, "#{pane_start_path}").strip()
    assert path in ("", str(Path.home()))  # tmux 3.3a has no pane_start_path
    assert running_tmux.tmux("display-message", "-p", "-t", pane, "#{pane_current_path}").strip()


def test_what_tmux_would_misread_is_refused(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    hashed = tmp_path / "a#b"
    hashed.mkdir()
    before = running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}")
    cases = {
        ("--cwd", "relative/dir"): "not an absolute path",
        ("--cwd", str(tmp_path / "missing")): "not a directory",
        ("--cwd", str(hashed)): "contains '#', which tmux reads as format syntax",
        ("--cwd=-c",): "not an absolute path",
        ("--env", "1X=y"): "env name '1X' is not valid",
        ("--env", "A-B=y"): "env name 'A-B' is not valid",
        ("--env", "NOVALUE"): "give NAME=VALUE",
    }
    for option, problem in cases.items():
        result = running_tmux.cli("spawn", "main", *option, "--", "sleep", "1000")
        assert result.returncode == 2, (option, result.stderr)
        assert problem in result.stderr, (option, result.stderr)
    assert running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}") == before
