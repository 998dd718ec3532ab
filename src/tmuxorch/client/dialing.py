"""What `--connect` needs before and around the connection itself: a URL that is a ws(s) URL
with a valid port and no credentials, the token (from --token-file or $TMUXORCH_TOKEN), and a
reason a person can act on when the connection cannot be made."""

from __future__ import annotations

import os
import ssl
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from tmuxorch.core.errors import BadInputError

TOKEN_ENV = "TMUXORCH_TOKEN"


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
        return token
    token = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    if not token:
        raise BadInputError(
            f"--connect needs a token: --token-file FILE or the {TOKEN_ENV} environment variable "
            "(create one on the server with `tmuxorch token create NAME`)"
        )
    return token


def failure(url: str, exc: OSError) -> str:
    """Why connecting to `url` failed, never empty: a TLS client meeting a plain server gets a
    reset with no message (or an SSL error about version numbers), which says nothing useful."""
    if url.startswith("wss://") and isinstance(exc, ssl.SSLError | ConnectionResetError):
        return "the TLS handshake failed: is the server serving TLS? (use ws:// if not)"
    return exc.strerror or str(exc) or type(exc).__name__
