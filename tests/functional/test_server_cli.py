"""`tmuxorch token` and `tmuxorch serve` as a user runs them: real processes, a private tmux server,
the database under a private XDG_DATA_HOME."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tmuxorch.server.tokens import hash_token

from ..conftest import TmuxFixture
from ..serverkit import Client, bearer

TOKEN = re.compile(r"tmo_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\n")


def database(t: TmuxFixture) -> Path:
    return t.tmpdir / "data" / "tmuxorch" / "tmuxorch.db"


def test_token_create_prints_only_the_token_and_list_never_shows_it(tmux: TmuxFixture) -> None:
    created = tmux.cli("token", "create", "ci-bot", "--scope", "control", "--expires", "30d")
    assert created.returncode == 0, created.stderr
    assert TOKEN.fullmatch(created.stdout)
    token = created.stdout.strip()
    assert "shown only this once" in created.stderr
    assert token not in created.stderr

    assert tmux.cli("token", "create", "viewer").returncode == 0
    duplicate = tmux.cli("token", "create", "ci-bot")
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    assert duplicate.stdout == ""
    assert tmux.cli("token", "create", "bad name!").returncode == 2
    assert tmux.cli("token", "create", "x", "--expires", "soon").returncode == 2

    for args in (("token", "list"), ("token", "list", "--json")):
        listed = tmux.cli(*args)
        assert listed.returncode == 0, listed.stderr
        for secret in (token, token[4:20], hash_token(token)):
            assert secret not in listed.stdout
            assert secret not in listed.stderr
    rows = [json.loads(line) for line in tmux.cli("token", "list", "--json").stdout.splitlines()]
    assert [(r["name"], r["scope"], r["status"]) for r in rows] == [
        ("ci-bot", "control", "active"),
        ("viewer", "read", "active"),
    ]
    assert rows[0]["expires"] is not None
    assert rows[1]["expires"] is None

    revoked = tmux.cli("token", "revoke", "ci-bot")
    assert revoked.returncode == 0, revoked.stderr
    assert tmux.cli("token", "revoke", "ci-bot").returncode == 2
    rows = [json.loads(line) for line in tmux.cli("token", "list", "--json").stdout.splitlines()]
    assert [r["status"] for r in rows] == ["revoked", "active"]

    path = database(tmux)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = path.read_bytes() + b"".join(
        p.read_bytes() for p in path.parent.glob("tmuxorch.db-*") if p.is_file()
    )
    assert token.encode() not in raw  # only its hash is stored


def test_non_loopback_bind_without_tls_is_refused(running_tmux: TmuxFixture) -> None:
    refused = running_tmux.cli("serve", "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 2
    assert "refusing to listen on '0.0.0.0' without TLS" in refused.stderr
    assert "--insecure" in refused.stderr
    half = running_tmux.cli("serve", "--tls-cert", "/nonexistent")
    assert half.returncode == 2
    assert "both --tls-cert and --tls-key" in half.stderr


def test_port_in_use_is_a_clear_error(running_tmux: TmuxFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = running_tmux.cli("serve", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@asynccontextmanager
async def serve_process(
    t: TmuxFixture, *args: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`tmuxorch serve` in a subprocess; yields it and the URL it reports, kills it at the end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tmuxorch", "-S", str(t.socket_path), "serve", "--port", "0", *args,
        env=t.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        url = ""
        while not url:
            line = (await asyncio.wait_for(process.stderr.readline(), 15)).decode()
            assert line, "tmuxorch serve exited before listening"
            found = re.search(r"listening on (wss?://\S+)", line)
            url = found.group(1) if found else ""
        yield process, url
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sigterm_closes_every_client_with_1001(running_tmux: TmuxFixture) -> None:
    token = running_tmux.cli("token", "create", "watcher").stdout.strip()
    async with serve_process(running_tmux) as (process, url):
        clients = []
        for _ in range(3):
            ws = await connect(url, additional_headers=bearer(token))
            client = Client(ws)
            client.hello = await client.frame()
            await client.ok("subscribe")
            clients.append(client)
        process.send_signal(signal.SIGTERM)
        for client in clients:
            with pytest.raises(ConnectionClosed) as info:
                await client.frame(timeout=10)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 1001
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_insecure_non_loopback_bind_serves(running_tmux: TmuxFixture) -> None:
    token = running_tmux.cli("token", "create", "lan").stdout.strip()
    async with serve_process(running_tmux, "--host", "0.0.0.0", "--insecure") as (process, url):
        port = url.rsplit(":", 1)[1]
        async with connect(f"ws://127.0.0.1:{port}", additional_headers=bearer(token)) as ws:
            hello = json.loads(await ws.recv())
            assert hello["scope"] == "read"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_tls_bind(running_tmux: TmuxFixture) -> None:
    import ssl

    cert, key = running_tmux.tmpdir / "cert.pem", running_tmux.tmpdir / "key.pem"
    openssl = await asyncio.create_subprocess_exec(
        *["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(openssl.wait(), 60) == 0
    os.chmod(key, 0o600)
    token = running_tmux.cli("token", "create", "remote", "--scope", "control").stdout.strip()
    args = ("--host", "0.0.0.0", "--tls-cert", str(cert), "--tls-key", str(key))
    async with serve_process(running_tmux, *args) as (process, url):
        assert url.startswith("wss://")
        port = url.rsplit(":", 1)[1]
        context = ssl.create_default_context(cafile=str(cert))
        async with connect(
            f"wss://localhost:{port}", ssl=context, additional_headers=bearer(token)
        ) as ws:
            client = Client(ws)
            client.hello = await client.frame()
            assert client.hello["scope"] == "control"
            assert (await client.ok("snapshot"))["tmux"]["running"] is True
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0
