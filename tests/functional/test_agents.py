"""Agent detection (process tree, tag, rules), window kinds, states and agent_state events."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tmuxorch.core.agents.catalog import builtin_files
from tmuxorch.core.agents.profiles import AgentDetector, load_profiles, window_kind
from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import Pane, Window
from tmuxorch.core.store.config import RuleConfig, Settings

from ..conftest import TmuxFixture, wait_for
from ..simfleet import exit_time, start_agent, state_changes


def _pane(command: str, *, agent: bool = False, active: bool = True) -> Pane:
    from tmuxorch.core.models import AgentInfo

    return Pane(
        id="%1", index=0, active=active, pid=1, command=command, cwd="/", dead=False,
        width=80, height=24, agent=AgentInfo(kind="claude") if agent else None,
        window_id="@1", session_id="$1",
    )  # fmt: skip


def _window(*panes: Pane) -> Window:
    return Window(id="@1", index=0, name="w", active=True, panes=panes, session_id="$1")


def test_window_kinds() -> None:
    assert window_kind(_window(_pane("bash")).panes) == "shell"
    assert window_kind(_window(_pane("nvim")).panes) == "editor"
    assert window_kind(_window(_pane("htop")).panes) == "monitor"
    assert window_kind(_window(_pane("vite")).panes) == "server"
    assert window_kind(_window(_pane("bash"), _pane("node", agent=True)).panes) == "agent"
    assert window_kind(_window(_pane("make")).panes) == "other"


def test_profiles_classify_typical_screens() -> None:
    claude = load_profiles(Settings())["claude"]
    assert claude.classify("✻ Thinking… (3s · esc to interrupt)\n╭──╮\n│ > │") == "busy"
    assert claude.classify("Do you want to proceed?\n❯ 1. Yes\n  2. No") == "waiting"
    assert claude.classify("╭────╮\n│ >  │\n╰────╯\n  ? for shortcuts") == "idle"
    assert claude.classify("nothing recognisable here") == "unknown"
    # A menu tmuxorch does not know yet is not a prompt: its selection cursor is also `❯`, and
    # typing into it would pick an option (DESIGN.md: never type into a screen we do not know)
    assert claude.classify("Pick a theme\n❯ 1. Dark mode\n  2. Light mode") == "unknown"
    assert claude.classify("──────\n❯ \n──────") == "idle"
    old_error = "API Error: 500\n" + "\n".join(f"line {n}" for n in range(40)) + "\n│ > │"
    assert claude.classify(old_error) == "idle"  # only the bottom of the screen counts


def test_config_overrides_and_adds_profiles() -> None:
    settings = Settings.model_validate(
        {"agents": {"claude": {"busy": ["CUSTOM BUSY"]}, "mybot": {"idle": ["^bot> $"]}}}
    )
    profiles = load_profiles(settings)
    assert profiles["claude"].classify("CUSTOM BUSY") == "busy"
    assert profiles["claude"].classify("esc to interrupt") != "busy"
    assert profiles["mybot"].classify("bot> ") == "idle"
    assert profiles["mybot"].processes == ("mybot",)
    assert set(builtin_files().kinds) <= set(profiles)


async def test_sim_agent_detected_by_process_tree(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    snapshot = await LocalBackend(engine).snapshot()
    pane = snapshot.panes_by_id[agent.pane]
    assert pane.command.startswith("python")
    assert pane.agent is not None
    assert (pane.agent.kind, pane.agent.state) == ("sim", "idle")
    assert snapshot.windows_by_id[pane.window_id].kind == "agent"
    main_pane = snapshot.sessions[0].windows[0].panes[0]
    assert main_pane.agent is None  # `sleep` is not an agent


async def test_tag_and_rule_make_agents(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "robot-1", "sleep", "100000")
    tagged = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "sleep", "100001"
    ).strip()
    running_tmux.tmux("set-option", "-p", "-t", tagged, "@tmuxorch-agent", "codex")
    settings = Settings.model_validate({"rules": [{"kind": "robot", "window_name": "^robot-"}]})
    eng = Engine(running_tmux.server, settings=settings)
    try:
        snapshot = await LocalBackend(eng).snapshot()
    finally:
        await eng.close()
    kinds = {w.name: w.panes[0].agent.kind for w in snapshot.windows() if w.panes[0].agent}
    assert kinds == {"robot-1": "robot", "sleep": "codex"}


def test_detector_ignores_shell_arguments_and_editors(tmp_path: Path) -> None:
    detector = AgentDetector(load_profiles(Settings()), [RuleConfig(kind="x", cwd="^/never$")])
    assert detector._match_argv(["vim", "claude.md"]) is None
    assert detector._match_argv(["bash", "-c", "claude"]) is None
    assert (
        detector._match_argv(["node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"])
        == "claude"
    )
    assert detector._match_argv(["python3", "-m", "tmuxorch.simagent"]) == "sim"
    # the console script README suggests for trying delivery by hand
    script = ["python3", "/x/.venv/bin/tmuxorch-simagent", "--busy", "2"]
    assert detector._match_argv(script) == "sim"
    assert detector._match_argv(["/usr/local/bin/codex"]) == "codex"


async def test_state_changes_arrive_as_events(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Each change of an agent's screen arrives once, as the state it shows. (How soon is
    measured in bench/states.py, not asserted here: a loaded machine makes it late.)"""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "2.5")
    async with state_changes(engine, agent.pane) as changes:
        agent.type("work please")
        agent.keys("Enter")
        await wait_for(lambda: [c.state for c in changes] == ["busy"], timeout=10)
        await wait_for(lambda: [c.state for c in changes] == ["busy", "idle"], timeout=10)
        agent.type("now APPROVE it")
        agent.keys("Enter")
        await wait_for(lambda: [c.state for c in changes][-1:] == ["waiting"], timeout=10)


async def test_a_dead_agent_is_exited_at_once(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Its last screen says `Error: simulated crash`, which a live agent's screen would make
    `error`; dead is `exited`, and without the hold: no screen can flip it back."""
    running_tmux.tmux("set-option", "-g", "remain-on-exit", "on")
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    backend = LocalBackend(engine)
    alive = (await backend.snapshot()).panes_by_id[agent.pane].agent
    assert alive is not None
    assert alive.state == "idle"
    agent.type("please --crash now")
    agent.keys("Enter")
    await wait_for(lambda: exit_time(running_tmux, agent.pane), timeout=10)
    dead = (await backend.snapshot()).panes_by_id[agent.pane].agent  # the next look after
    assert dead is not None
    assert dead.state == "exited"


async def test_a_state_that_flips_back_within_the_hold_is_never_published(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """A screen caught once on its way elsewhere (a spinner blinking, a redraw) must not make
    the state flicker: a new state is published only once it held for `state_debounce`. Driven
    sweep by sweep on a tracker of its own, so no timing decides what is seen."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "60")
    tracker = AgentTracker(engine.run)
    assert tracker.debounce > tracker.interval / 2  # else one sweep would be enough to settle

    async def sweep() -> list[tuple[str, str]]:
        changes = await tracker.sweep(await engine.snapshot())
        return [(c.previous, c.state) for c in changes if c.pane_id == agent.pane]

    assert await sweep() == []  # the first look is taken as it is
    assert {p: s for p, _, s in tracker.states()}[agent.pane] == "idle"
    agent.type("work")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    assert await sweep() == []  # busy seen once: not yet
    agent.keys("Escape")
    await wait_for(agent.idle)
    assert await sweep() == []  # and back to idle before it held: never published
    agent.type("work again")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    published: list[tuple[str, str]] = []

    async def settled() -> bool:
        published.extend(await sweep())
        return bool(published)

    deadline = time.monotonic() + 10
    while not await settled():  # a state that holds is published
        assert time.monotonic() < deadline, "busy was never published"
        await asyncio.sleep(tracker.interval)
    assert published == [("idle", "busy")]


async def test_annotating_an_unchanged_fleet_keeps_its_objects(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Windows without agents come back as the very objects of the last look (the TUI redraws
    only rows whose objects changed); windows with agents still carry their kind and state."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    first, second = await backend.snapshot(), await backend.snapshot()
    plain = [w for w in first.windows() if w.kind != "agent"]
    assert plain
    assert all(second.windows_by_id[w.id] is w for w in plain)
    assert second.panes_by_id[agent.pane].agent is not None
    assert second.windows_by_id[second.panes_by_id[agent.pane].window_id].kind == "agent"


async def test_an_unchanged_agent_pane_and_its_window_keep_their_objects(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Annotation copies an agent pane once, not on every look: the same screen, the same
    state, the very objects of the last look."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    first, second = await backend.snapshot(), await backend.snapshot()
    pane = first.panes_by_id[agent.pane]
    assert pane.agent is not None
    assert second.panes_by_id[agent.pane] is pane
    assert second.windows_by_id[pane.window_id] is first.windows_by_id[pane.window_id]


async def test_the_live_model_follows_agent_states_without_a_listing(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """While watching, the sweeper's agent_state events are applied to the live model: the
    next look shows the new state and asks tmux nothing."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "5")
    async with state_changes(engine, agent.pane) as changes:
        agent.type("work please")
        agent.keys("Enter")
        await wait_for(lambda: [c.state for c in changes] == ["busy"], timeout=10)
        await wait_for(lambda: engine.fresh)
        model = await engine.fleet()
        assert model is engine.last_snapshot
        seen = model.panes_by_id[agent.pane].agent
        assert seen is not None
        assert seen.state == "busy"


def test_what_a_pane_records_is_read_strictly() -> None:
    """`@tmuxorch-since` is a user-settable option: only `STATE TIME` is believed; tmux's own
    exit time of a dead pane wins; the start command is split as tmux quoted it."""
    from tmuxorch.core.agents.tags import parse_listed as _listed

    assert _listed(["claude", "idle 1764000100.500", "", ""]).recorded == ("idle", 1764000100.5)
    for record in ("idle", "idle soon", "asleep 1.0", "idle 1.0.0", "idle -1", ""):
        assert _listed(["", record, "", ""]).recorded is None, record
    dead = _listed(["", "idle 5.0", "1764000200", '"/usr/bin/python3" -m "tmuxorch.simagent"'])
    assert dead.recorded == ("exited", 1764000200.0)
    assert dead.started == ("/usr/bin/python3", "-m", "tmuxorch.simagent")
    assert _listed(["", "", "7", '"claude --resume"']).started == ("claude", "--resume")
    assert _listed(["", "", "7", '"unclosed']).started == ()
    assert _listed([]).tag == ""
