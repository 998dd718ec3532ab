"""The notification channels every watcher has: a hook command, a webhook, notify-send.

Each runs off the event loop's critical path (a subprocess awaited with a timeout, or urllib in
a thread), is bounded by its timeout, and fails by raising one line fit for a log: nothing in it
can carry a webhook URL's secrets (its userinfo, path, query), because a URL such as a Slack or
ntfy one is the credential. The TUI's own channel (bell, OSC 9/777) lives with the TUI.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import urllib.error
import urllib.parse
from collections.abc import Sequence

from tmuxorch import __version__
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.usecases.notifier import Channel, Notification

RETRY_BACKOFF = 0.5
"""Seconds before the webhook's first retry, doubled for each next one."""
NOTIFY_SEND_TIMEOUT = 5.0


class ChannelError(Exception):
    """A channel failed; the message is safe to log."""


def redacted(url: str) -> str:
    """`scheme://host[:port]/…`: where a webhook goes, without anything that may be secret."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}/…"


async def run_command(
    argv: Sequence[str], stdin: bytes, env: dict[str, str], timeout: float
) -> None:
    """Run `argv` (no shell) with `stdin`; killed by its own PID at the timeout; raises
    ChannelError unless it exits 0."""
    name = os.path.basename(argv[0])
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        raise ChannelError(f"{name}: cannot run: {exc.strerror or exc}") from None
    try:
        async with asyncio.timeout(timeout):
            _, err = await process.communicate(stdin)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChannelError(f"{name}: killed after {timeout:g}s") from None
    except BaseException:  # cancelled (the watcher stops): leave no process behind
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        first = err.decode(errors="replace").strip().splitlines()[:1]
        said = f": {first[0][:200]}" if first else ""
        raise ChannelError(f"{name}: exited {process.returncode}{said}")


def hook_channel(argv: Sequence[str], timeout: float) -> Channel:
    """The user's command, given the event as JSON on stdin and as TMUXORCH_* variables."""

    async def send(notification: Notification) -> None:
        body = json.dumps(notification.payload()).encode() + b"\n"
        await run_command(argv, body, {**os.environ, **notification.environment()}, timeout)

    return Channel("hook", send)


def post_json(url: str, body: bytes, timeout: float) -> None:
    """One HTTP POST (blocking: run in a thread); raises urllib's errors. A URL's userinfo
    (`https://user:password@host/…`, as ntfy accepts) becomes basic authentication: urllib
    would take it for part of the host. urllib.request (with http.client, ~10 ms) is imported
    for the first POST, not by every watcher that may never send one."""
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    headers = {"Content-Type": "application/json", "User-Agent": f"tmuxorch/{__version__}"}
    if parts.username is not None:
        secret = (
            f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
        url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:  # the config lets http(s) URLs only
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:  # it holds the connection: closed, then told
        exc.close()
        raise


def _why(exc: Exception) -> tuple[str, bool]:
    """What went wrong, without the URL, and whether trying again may help."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}", exc.code >= 500 or exc.code == 429
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        return f"{text}", True
    if isinstance(exc, TimeoutError):
        return "timed out", True
    return type(exc).__name__, isinstance(exc, OSError)


def webhook_channel(url: str, timeout: float, retries: int) -> Channel:
    """POST the event's JSON to `url`; 5xx, 429 and network errors are retried with backoff."""

    async def send(notification: Notification) -> None:
        body = json.dumps(notification.payload()).encode()
        for attempt in range(retries + 1):
            try:
                await asyncio.to_thread(post_json, url, body, timeout)
                return
            except Exception as exc:
                why, again = _why(exc)
                if not again or attempt == retries:
                    tries = f" after {attempt + 1} tries" if attempt else ""
                    raise ChannelError(f"{redacted(url)}: {why}{tries}") from None
            await asyncio.sleep(RETRY_BACKOFF * 2**attempt)

    return Channel("webhook", send)


def desktop_available() -> bool:
    """Whether notify-send can reach a desktop: a session bus and the binary."""
    return (
        bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) and shutil.which("notify-send") is not None
    )


def desktop_channel() -> Channel:
    """A desktop notification through notify-send."""

    async def send(notification: Notification) -> None:
        urgency = "critical" if notification.state == "error" else "normal"
        argv = ["notify-send", "--app-name=tmuxorch", f"--urgency={urgency}", "--",
                notification.title, notification.body]  # fmt: skip
        await run_command(argv, b"", dict(os.environ), NOTIFY_SEND_TIMEOUT)

    return Channel("desktop", send)


def channels(config: NotifyConfig, *, terminal: Channel | None = None) -> list[Channel]:
    """The channels a watcher runs: the configured ones that can work here. A watcher with
    a terminal (the TUI) gives its channel; `desktop = "auto"` leaves notify-send out when
    that terminal gets an OSC notification."""
    found: list[Channel] = []
    if terminal is not None and (config.bell or config.osc):
        found.append(terminal)
    osc_sent = terminal is not None and bool(config.osc)
    wants_desktop = config.desktop is True or (config.desktop == "auto" and not osc_sent)
    if wants_desktop and desktop_available():
        found.append(desktop_channel())
    if config.hook:
        found.append(hook_channel(config.hook, config.hook_timeout))
    if config.webhook is not None:
        found.append(
            webhook_channel(config.webhook, config.webhook_timeout, config.webhook_retries)
        )
    return found
