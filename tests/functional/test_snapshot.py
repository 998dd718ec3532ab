"""Snapshots against a real server: exact names, ids, the hidden session, no extra processes."""

from __future__ import annotations

import asyncio
import time

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.hidden import is_hidden
from tmuxorch.core.tmux.snapshot import SnapshotParser
from tmuxorch.core.tmux.watched import WATCHED

from ..conftest import TmuxFixture, wait_for

WINDOW_NAMES = [
    "with spaces",
    "co:lon",
    "do.t",
    "ha#sh",
    "quo\"te's",
    "emoji 🚀 漢字",
    "x" * 64,
    "-leading-dash",
]


async def test_snapshot_matches_tmux_for_every_pane(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    for name in WINDOW_NAMES:
        running_tmux.tmux("new-window", "-d", "-t", "main", "-n", name, "sleep", "100000")
    running_tmux.tmux("split-window", "-d", "-t", "main:1", "sleep", "100000")
    running_tmux.tmux("new-session", "-d", "-s", "second session 🚀", "sleep", "100000")

    snapshot = await engine.snapshot()

    listed = running_tmux.tmux(
        "list-panes", "-a", "-F",
        "#{pane_id}\t#{session_id}\t#{session_name}\t#{window_id}\t#{window_name}\t#{pane_pid}",
    ).splitlines()  # fmt: skip
    expected = {
        line.split("\t")[0]: line.split("\t")[1:]
        for line in listed
        if not is_hidden(line.split("\t")[2])
    }
    assert set(snapshot.panes_by_id) == set(expected)
    for pane in snapshot.panes():
        sid, sname, wid, wname, pid = expected[pane.id]
        assert (pane.session_id, pane.window_id, str(pane.pid)) == (sid, wid, pid)
        assert snapshot.sessions_by_id[sid].name == sname
        assert snapshot.windows_by_id[wid].name == wname
    names = {w.name for w in snapshot.windows()}
    assert set(WINDOW_NAMES) <= names
    assert "second session 🚀" in {s.name for s in snapshot.sessions}


async def test_steady_state_snapshots_start_no_process(engine: Engine) -> None:
    await engine.snapshot()
    started = engine.connection.processes_started
    for _ in range(20):
        await engine.snapshot()
    assert engine.connection.processes_started == started == 1
    assert engine.connection.fallback_batches == 0


async def test_status_document_shape(engine: Engine, running_tmux: TmuxFixture) -> None:
    document = (await engine.snapshot()).to_status_document()
    assert document["schema"] == "tmuxorch.status/1"
    version = running_tmux.tmux("-V").strip().removeprefix("tmux ")  # "tmux 3.3a"
    assert document["tmux"] == {
        "socket": str(running_tmux.socket_path), "version": version, "running": True,
    }  # fmt: skip
    session = document["sessions"][0]  # type: ignore[index]
    assert {"id", "name", "attached", "created", "windows"} <= set(session)
    window = session["windows"][0]
    assert {"id", "index", "name", "active", "kind", "panes"} <= set(window)
    pane = window["panes"][0]
    expected_keys = {"id", "index", "active", "pid", "command", "cwd", "dead", "width", "height"}
    assert expected_keys | {"agent"} <= set(pane)
    assert pane["agent"] is None
    assert pane["command"] == "sleep"


async def test_no_server_means_not_running_and_none_is_started(tmux: TmuxFixture) -> None:
    eng = Engine(tmux.server)
    try:
        snapshot = await eng.snapshot()
    finally:
        await eng.close()
    assert snapshot.tmux.running is False
    assert snapshot.sessions == ()
    assert not tmux.socket_path.exists()


async def test_dead_pane_and_cwd_with_newline(engine: Engine, running_tmux: TmuxFixture) -> None:
    odd = running_tmux.tmpdir / "odd\ndir\x1fsep"
    odd.mkdir()
    running_tmux.tmux("set-option", "-g", "remain-on-exit", "on")
    running_tmux.tmux(
        "new-window", "-d", "-t", "main", "-n", "odd", "-c", str(odd), "sleep", "100000"
    )
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "dies", "sh", "-c", "exit 7")
    running_tmux.wait_dead("=main:dies", 7)  # tmux has seen it exit

    def every_live_pane_has_a_cwd() -> bool:  # a pane just started (the engine's own
        # placeholder among them) reports no directory for a moment: the two reads compared
        # below must see the same panes
        listed = running_tmux.tmux("list-panes", "-a", "-F", "#{pane_dead}:#{pane_current_path}")
        return all(line.startswith("1:") or line != "0:" for line in listed.splitlines())

    await wait_for(every_live_pane_has_a_cwd)
    snapshot = await engine.snapshot()
    by_name = {w.name: w for w in snapshot.windows()}
    assert by_name["odd"].panes[0].cwd == str(odd)
    dead = by_name["dies"].panes[0]
    assert dead.dead
    assert dead.dead_status == 7
    # The subscription value this listing implies is the one tmux gives (newlines made '?').
    (told,) = await engine.run([["display-message", "-p", WATCHED]])
    assert engine._listing.parser.watched == told.check().lines[0]
    assert "odd?dir" in told.lines[0]


@pytest.mark.parametrize("count", [1, 30])
async def test_pipelined_batch_returns_each_result_in_order(engine: Engine, count: int) -> None:
    commands = [["display-message", "-p", f"n{i}"] for i in range(count)]
    commands.insert(count // 2, ["list-windows", "-t", "=no-such-session"])
    results = await engine.run(commands)
    assert len(results) == count + 1
    failed = [r for r in results if not r.ok]
    assert len(failed) == 1
    assert "no-such-session" in failed[0].error
    assert [r.lines[0] for r in results if r.ok] == [f"n{i}" for i in range(count)]


async def test_unchanged_server_reuses_models_and_a_change_shows(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    await engine.snapshot()  # the engine attaches: its hidden session is made now
    assert engine.connection.hidden is not None
    running_tmux.wait_command(engine.connection.hidden.pane_id, "sleep")  # its command settles
    first = await engine.snapshot()
    again = await engine.snapshot()
    assert again.sessions is first.sessions  # nothing changed: nothing rebuilt
    assert again.taken_at >= first.taken_at

    running_tmux.tmux("rename-window", "-t", "main:0", "renamed")
    changed = await engine.snapshot()
    assert changed.sessions is not first.sessions
    assert [w.name for w in changed.windows()] == ["renamed"]
    assert [w.name for w in (await engine.snapshot()).windows()] == ["renamed"]


def record_marker(parser: SnapshotParser) -> str:
    """What starts each pane record `parser` reads (its format, up to the first field)."""
    listing = parser.list_panes[-1]
    return listing[: listing.index("#{")]


@pytest.mark.parametrize("marked", [False, True], ids=["bare", "another-tmuxorch-marker"])
@pytest.mark.parametrize("where", ["directory", "argv0"])
async def test_a_path_or_command_cannot_forge_a_pane_record(
    engine: Engine, running_tmux: TmuxFixture, where: str, marked: bool
) -> None:
    """The current path and the command (argv[0] of the foreground process) are the two fields
    tmux prints raw: either may hold a newline followed by text shaped like a pane record. The
    marker that starts each record is drawn anew for every parser: a pane that runs a tmuxorch
    of its own to learn one (`marked`) still cannot predict ours."""
    victim = (await engine.snapshot()).panes()[0]
    forged = "\x1f".join(
        [victim.session_id, "@999", "7", "prod", victim.id, "0", "1", "1", "-", "80", "24", "sh"]
    )
    payload = f"x\n{record_marker(SnapshotParser()) if marked else ''}{forged}\x1fp"
    if where == "directory":
        directory = running_tmux.tmpdir / payload
        directory.mkdir()
        running_tmux.tmux("new-window", "-d", "-t", "main", "-c", str(directory), "sleep 100000")
        expected = str(directory)
    else:
        script = 'exec -a "$0" sleep 100000'
        running_tmux.tmux("new-window", "-d", "-t", "main", "bash", "-c", script, payload)
        expected = "x\n"  # its separators push the rest into its own path field

    snapshots = []

    async def settled() -> bool:
        snapshots.append(await engine.snapshot())
        return any(
            p.cwd == expected or p.command.startswith(expected) for p in snapshots[-1].panes()
        )

    deadline = time.monotonic() + 5
    while not await settled():
        assert time.monotonic() < deadline, f"pane never showed {expected!r}"
        await asyncio.sleep(0.02)
    snapshot = snapshots[-1]
    assert [len(snapshot.windows()), len(snapshot.panes())] == [2, 2]
    assert "prod" not in {w.name for w in snapshot.windows()}
    assert "@999" not in snapshot.windows_by_id


async def test_linked_and_grouped_windows_land_in_their_own_sessions(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """Pane lines carry no session: the parser follows tmux's listing order. These layouts put
    the same window in consecutive runs, where a wrong split would show."""
    t = running_tmux.tmux
    t("split-window", "-d", "-t", "main:0", "sleep 100000")
    t("link-window", "-s", "main:0", "-t", "main:1")  # twice in a row in one session
    t("new-session", "-d", "-s", "a", "sleep 100000")
    t("new-session", "-d", "-s", "b", "sleep 100000")
    t("move-window", "-s", "b:0", "-t", "b:3")
    t("link-window", "-s", "a:0", "-t", "b:0")  # last of a, then first of b
    t("new-session", "-d", "-t", "main", "-s", "mirror")  # a grouped session
    listed = t(
        "list-panes", "-a", "-F", "#{session_id} #{window_index} #{window_id} #{pane_id}"
    ).splitlines()
    expected: dict[tuple[str, int, str], list[str]] = {}
    for line in listed:
        sid, index, wid, pid = line.split()
        if sid in {s.id for s in (await engine.snapshot()).sessions}:
            expected.setdefault((sid, int(index), wid), []).append(pid)

    snapshot = await engine.snapshot()
    got = {
        (s.id, w.index, w.id): [p.id for p in w.panes] for s in snapshot.sessions for w in s.windows
    }
    assert got == expected
    assert len(got) == 2 + 2 + 2 + 1  # main, b, mirror: two each; a: one
    main = next(s for s in snapshot.sessions if s.name == "main")
    current = t("display", "-p", "-t", "main", "#{window_index}").strip()
    assert [w.index for w in main.windows if w.active] == [int(current)]  # the same window twice
    once = [w for s in snapshot.sessions for w in s.windows if sum(k[2] == w.id for k in got) == 1]
    assert once
    assert all(p.session_id == w.session_id for w in once for p in w.panes)
