"""One-shot commands import only what they use (issue 17): scripts and status bars run them again
and again, and every module loaded costs each run. Each command runs in its own interpreter, as a
user runs it, and reports the modules it ended with; what it must not have loaded is pinned here,
the way the layering contracts pin what a layer may import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import TmuxFixture
from ..simfleet import start_agent

EVERYWHERE_FORBIDDEN = (
    "textual",
    "websockets",
    "tmuxorch.tui",
    "tmuxorch.server",
    "tmuxorch.client",
    "tmuxorch.protocol",
    "pydantic",
    "pydantic_core",
    "pydantic_settings",
    "tomlkit",
    "libtmux",
)
"""What no one-shot command loads: the TUI, the WebSocket server and client, the hooks' TOML
editor, pydantic (core's models are dataclasses; it checks only a config file that exists)
and the settings library (the config is read with tomllib)."""

HEAVY_STDLIB = (
    "subprocess",  # core/tmux/process.py runs tmux with posix_spawn
    "tempfile",
    "socket",  # core/tmux/server.py connects with _socket
    "shutil",  # which(), and argparse's terminal width (cli/parser.py)
    "pathlib",  # paths are strings (core/store/paths.py)
    "platformdirs",  # the XDG spec on Linux
    "datetime",  # the plans' modules
)
"""What costs a one-shot look 1-6 ms each and it does without (issue 17)."""

RUN_AND_LIST = (
    "import sys\n"
    "from tmuxorch.cli.main import main\n"
    "code = main(sys.argv[2:])\n"
    "sys.stdout.flush()\n"
    "open(sys.argv[1], 'w').write(repr([code, sorted(sys.modules)]))\n"
)
"""A command run as the script runs it, then its modules listed (with repr: json is a module
a status bar's count must not load)."""


def modules_after(tmux: TmuxFixture, tmp_path: Path, *args: str) -> list[str]:
    """Run `tmuxorch -S SOCKET ARGS` (`--version` alone) in a fresh interpreter; the modules it
    had loaded when it returned."""
    listing = tmp_path / "modules.json"
    server = [] if args == ("--version",) else ["-S", str(tmux.socket_path)]
    argv = [sys.executable, "-c", RUN_AND_LIST, str(listing), *server, *args]
    result = subprocess.run(argv, capture_output=True, text=True, env=tmux.env, timeout=30)
    assert result.returncode == 0, result.stderr
    code, modules = ast.literal_eval(listing.read_text())
    assert code == 0, result.stderr
    return list(modules)


def loaded(modules: list[str], *packages: str) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def test_version_loads_nothing_of_the_engine(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    modules = modules_after(running_tmux, tmp_path, "--version")
    assert loaded(modules, "pydantic", "asyncio", "argparse", "typing", "tmuxorch.core") == []
    assert loaded(modules, "tmuxorch") == ["tmuxorch", "tmuxorch.cli", "tmuxorch.cli.main"]


@pytest.mark.parametrize(
    "args", [("status", "--json"), ("capture", "%0", "--json"), ("status", "--format", "tmux")]
)
def test_a_look_loads_no_rendering_store_or_delivery(
    running_tmux: TmuxFixture, tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = modules_after(running_tmux, tmp_path, *args)
    assert loaded(modules, *EVERYWHERE_FORBIDDEN) == []
    assert loaded(modules, "rich", "sqlite3", "tmuxorch.core.store.audit") == []
    assert loaded(modules, "difflib") == []  # no target to suggest for
    assert loaded(modules, "logging") == []  # it logs only an audit write that failed
    assert loaded(modules, "importlib.resources", "zipfile") == []  # kind files: a directory
    assert loaded(modules, "tomllib") == []  # no config file; built-in kinds from a module
    assert loaded(modules, "shlex") == []  # start commands are read of dead panes only
    assert loaded(modules, "dataclasses", "inspect") == []  # core/fields.py makes the models
    assert loaded(modules, "tmuxorch.usecases.broadcast", "tmuxorch.usecases.demo") == []
    assert loaded(modules, "asyncio", "tmuxorch.core.engine") == []
    assert loaded(modules, *HEAVY_STDLIB) == []
    assert "tmuxorch.core.oneshot" in modules  # it did run the one-shot engine
    if args[-1] == "tmux":  # a status bar's count: before the parser, no JSON to print
        assert loaded(modules, "argparse", "json", "tmuxorch.cli.parser") == []
        assert loaded(modules, "typing") == []  # core's aliases are made on demand


async def test_send_loads_no_rendering_with_json(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    modules = modules_after(running_tmux, tmp_path, "send", agent.pane, "-m", "hi", "--json")
    assert loaded(modules, *EVERYWHERE_FORBIDDEN) == []
    assert loaded(modules, "rich", "tmuxorch.cli.render", "tmuxorch.usecases.broadcast") == []
    assert "tmuxorch.core.store.audit" in modules  # a change to tmux is audited
    assert loaded(modules, "logging", "concurrent") == []  # in place, no store threads
    assert loaded(modules, "dataclasses", "inspect", "tomllib", "_hashlib") == []  # no OpenSSL
    assert loaded(modules, *(m for m in HEAVY_STDLIB if m != "datetime")) == []  # sqlite3's
    assert loaded(modules, "asyncio", "tmuxorch.core.engine") == []


async def test_send_to_a_pipe_prints_its_receipts_without_rich(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    modules = modules_after(running_tmux, tmp_path, "send", agent.pane, "-m", "hi")
    assert "tmuxorch.cli.plain_table" in modules
    assert loaded(modules, "rich", "tmuxorch.cli.render") == []


async def test_a_status_bar_read_from_a_keeper_loads_no_pydantic_asyncio_nor_engine(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    from tmuxorch.core.engine import Engine
    from tmuxorch.core.status_segment import OPTION

    from ..conftest import wait_for

    await start_agent(running_tmux, tmp_path, "--busy", "0")
    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        await engine.subscribe()  # a keeper, as the TUI, serve or watch would be
        await wait_for(lambda: running_tmux.tmux("show-options", "-gqv", OPTION) == "○1\n")
        modules = modules_after(running_tmux, tmp_path, "status", "--format", "tmux")
    finally:
        await engine.close()
    assert loaded(modules, "pydantic", "tmuxorch.core.engine", "tmuxorch.core.models") == []
    assert loaded(modules, "asyncio", "_hashlib") == []  # OpenSSL's library costs 10 ms to load
    assert loaded(modules, "argparse", "typing", "dataclasses") == []  # interpreter + 1 tmux
    assert "tmuxorch.core.status_segment" in modules


def test_the_human_tree_loads_rich_but_not_what_other_commands_print(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    modules = modules_after(running_tmux, tmp_path, "status")
    assert "rich.tree" in modules  # it did print the tree
    assert loaded(modules, "tmuxorch.usecases.broadcast", "tmuxorch.core.store.audit") == []
    assert loaded(modules, "tmuxorch.core.summary", "tmuxorch.usecases.events") == []


def test_the_tuis_start_loads_no_http_client_or_pydantic() -> None:
    """Its first frame waits for every import: a webhook's HTTP client waits for a webhook."""
    code = (
        "import sys, tmuxorch.cli.main, tmuxorch.tui.app, tmuxorch.core.local\n"
        "print(' '.join(sorted(n for n in sys.modules if n.split('.')[0] in"
        " ('pydantic', 'pydantic_core', 'http') or n == 'urllib.request')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "tmuxorch" not in result.stderr
    assert result.stdout.split() == []


@pytest.mark.parametrize(
    ("args", "collecting"), [(("status", "--json"), False), (("kinds",), True)]
)
def test_the_collector_stays_off_for_a_one_shot_command_only(
    running_tmux: TmuxFixture, args: tuple[str, ...], collecting: bool
) -> None:
    """`entry` turns the cyclic collector off; `main` turns it back on for what runs on."""
    code = (
        "import gc, sys\n"
        "from tmuxorch.cli.main import main\n"
        "gc.disable()\n"
        "code = main(sys.argv[1:])\n"
        "print('collecting', gc.isenabled(), code)\n"
    )
    argv = [sys.executable, "-c", code, "-S", str(running_tmux.socket_path), *args]
    result = subprocess.run(argv, capture_output=True, text=True, env=running_tmux.env, timeout=30)
    assert result.stdout.splitlines()[-1] == f"collecting {collecting} 0", result.stderr
