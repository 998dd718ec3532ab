"""What `--connect` needs to open a connection: a URL that is a ws(s) URL with a valid port and
no credentials, the token (from --token-file or $TMUXORCH_TOKEN), the dial itself (handshake and
the server's hello, its protocol version checked), and a reason a person can act on when the
connection cannot be made or is refused. What happens on an open connection is client.link."""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from tmuxorch import __version__
from tmuxorch.client.errors import RefusedError
from tmuxorch.core.errors import BadInputError, TmuxorchError, TmuxUnavailableError
from tmuxorch.protocol.frames import PROTOCOL_VERSION, Hello, decode_frame
from tmuxorch.protocol.redaction import websockets_logger

TOKEN_ENV = "TMUXORCH_TOKEN"
MAX_FRAME = 64 * 1024 * 1024
"""The largest frame accepted from the server (a capture of 100,000 long lines fits)."""


def check_url(url: str) -> str:
    """`url` if it is a ws:// or wss:// URL without credentials, else BadInputError."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise BadInputError("--connect: not a valid URL") from None
    try:
        parts.port  # noqa: B018 (it validates: the connection would fail with OverflowError)
    except ValueError:
        port = parts.netloc.rpartition("@")[2].rpartition(":")[2]  # never the credentials
        what = "is out of range (0-65535)" if port.isdigit() else "is not a number"
        raise BadInputError(f"--connect: port {port[:20]} {what}") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise BadInputError(
            f"--connect: give a ws:// or wss:// URL (e.g. ws://127.0.0.1:8765), not {url[:60]!r}"
        )
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        # Never echo such a URL back: it may be carrying the token.
        raise BadInputError(
            "--connect: the URL must not carry credentials or a query; give the token with "
            f"--token-file or {TOKEN_ENV}"
        )
    return url


def load_token(token_file: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The token: the first line of `token_file` (stripped), else $TMUXORCH_TOKEN; BadInputError
    when there is none or the file cannot be read."""
    if token_file is not None:
        try:
            with Path(token_file).open(encoding="utf-8") as file:
                token = file.readline().strip()
        except OSError as exc:
            raise BadInputError(
                f"cannot read the token file {token_file}: {exc.strerror or exc}"
            ) from None
        except UnicodeDecodeError:
            raise BadInputError(f"the token file {token_file} is not UTF-8 text") from None
        if not token:
            raise BadInputError(f"the token file {token_file} is empty (the token goes on line 1)")
        warn_if_readable(token_file)
        return token
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise BadInputError(
            f"--connect needs a token: --token-file FILE or the {TOKEN_ENV} environment variable "
            "(create one on the server with `tmuxorch token create NAME`)"
        )
    return token


def warn_if_readable(token_file: str) -> None:
    """Say on stderr, as ssh does for a private key, that a token file others can read gives
    them the token; it is still used (refusing would break a setup that works, and says why)."""
    try:
        mode = stat.S_IMODE(os.stat(token_file).st_mode)
    except OSError:
        return
    if mode & 0o077:
        print(
            f"tmuxorch: WARNING: the token file {token_file} is accessible by others "
            f"(permissions {mode:04o}): anyone who can read it can use the token; "
            f"run: chmod 600 {token_file}",
            file=sys.stderr,
        )


def failure(url: str, exc: OSError) -> str:
    """Why connecting to `url` failed, never empty: a TLS client meeting a plain server gets a
    reset with no message (or an SSL error about version numbers), which says nothing useful."""
    if url.startswith("wss://") and isinstance(exc, ssl.SSLError | ConnectionResetError):
        return "the TLS handshake failed: is the server serving TLS? (use ws:// if not)"
    return exc.strerror or str(exc) or type(exc).__name__


def refusal(url: str, status: int, body: bytes | bytearray | None) -> TmuxorchError:
    """The error for an HTTP answer instead of the upgrade: 401 and 403 are final
    (RefusedError), anything else may pass."""
    detail = ""
    if body:
        text = body.decode("utf-8", "replace").strip().splitlines()
        detail = text[0][:200] if text else ""
    if status == 401:
        return RefusedError(
            401, f"the server refused the token (401): check --token-file / {TOKEN_ENV}"
        )
    if status == 403:
        return RefusedError(403, f"{url} refused the connection (403): {detail or 'forbidden'}")
    if status == 429:
        return TmuxUnavailableError(
            f"{url}: too many failed attempts from this address (429); try again later"
        )
    return TmuxUnavailableError(f"{url} answered HTTP {status}" + (f": {detail}" if detail else ""))


async def dial(
    url: str,
    token: str,
    timeout: float,
    *,
    ping: tuple[float | None, float | None],
    **connect_options: Any,
) -> tuple[ClientConnection, Hello]:
    """Connect to `url` with `token` and read the server's hello: the open connection and the
    hello, or RefusedError (401/403: final) or TmuxUnavailableError saying why not (not a
    tmuxorch server, another protocol version, unreachable). `ping` is websockets' keepalive
    (interval, timeout); `connect_options` go to websockets' connect() (e.g. `ssl=`)."""
    try:
        ws = await connect(
            url,
            additional_headers={"Authorization": f"Bearer {token}"},
            user_agent_header=f"tmuxorch/{__version__}",
            compression=None,
            open_timeout=timeout,
            ping_interval=ping[0],
            ping_timeout=ping[1],
            close_timeout=2.0,
            max_size=MAX_FRAME,
            logger=websockets_logger("tmuxorch.remote.websockets"),
            **connect_options,
        )
    except InvalidStatus as exc:
        raise refusal(url, exc.response.status_code, exc.response.body) from None
    except TimeoutError:
        raise TmuxUnavailableError(
            f"cannot connect to {url}: no answer within {timeout:g} s"
        ) from None
    except OSError as exc:
        raise TmuxUnavailableError(f"cannot connect to {url}: {failure(url, exc)}") from None
    except (InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
        raise TmuxUnavailableError(f"cannot connect to {url}: {exc}") from None
    try:
        async with asyncio.timeout(timeout):
            hello = decode_frame(await ws.recv())
        if not isinstance(hello, Hello):
            raise ValueError("no hello")
    except (TimeoutError, ValueError, ConnectionClosed):  # ValidationError is a ValueError
        ws.transport.abort()
        raise TmuxUnavailableError(
            f"{url} is not a tmuxorch server (it did not say hello)"
        ) from None
    if hello.protocol != PROTOCOL_VERSION:
        ws.transport.abort()
        raise TmuxUnavailableError(
            f"{url} speaks protocol {hello.protocol}; this tmuxorch speaks {PROTOCOL_VERSION}"
        )
    return ws, hello
