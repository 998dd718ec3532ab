"""Which tmux server we talk to, resolved exactly as the tmux client resolves `-L` / `-S` / $TMUX,
and cheap checks on it that start no process: read-only commands must never start a server."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from tmuxorch.core.errors import TmuxUnavailableError


@dataclass(frozen=True)
class TmuxServer:
    """A tmux server addressed by the absolute path of its socket; always passed to tmux as `-S`."""

    socket_path: Path

    @classmethod
    def resolve(
        cls,
        socket_name: str | None = None,
        socket_path: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> TmuxServer:
        """Mirror tmux: `-S` wins, then `-L`, then the server of $TMUX, then `default`."""
        env = os.environ if environ is None else environ
        if socket_path:
            return cls(Path(socket_path).expanduser().absolute())
        if not socket_name:
            tmux_var = env.get("TMUX", "")
            if tmux_var:
                return cls(Path(tmux_var.split(",", 1)[0]))
            socket_name = "default"
        if "/" in socket_name:
            raise TmuxUnavailableError(f"invalid socket name {socket_name!r}: it contains '/'")
        tmpdir = env.get("TMUX_TMPDIR") or "/tmp"
        return cls(Path(tmpdir) / f"tmux-{os.getuid()}" / socket_name)

    def prepare_directory(self) -> None:
        """Create the socket's directory (mode 0700) before starting a server: tmux does that
        itself only for `-L`, and we always address the server with `-S`."""
        try:
            self.socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise TmuxUnavailableError(
                f"cannot create {self.socket_path.parent}: {exc.strerror}"
            ) from exc

    def is_running(self) -> bool:
        """True when a server accepts connections on the socket. Raises when it is inaccessible.

        A connect() on the unix socket answers this without starting any process; a stale socket
        file (server gone) refuses the connection.
        """
        try:
            mode = self.socket_path.stat().st_mode
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise TmuxUnavailableError(
                f"tmux socket {self.socket_path} is not accessible: {exc.strerror}"
            ) from exc
        if not stat.S_ISSOCK(mode):
            raise TmuxUnavailableError(f"{self.socket_path} is not a tmux socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(self.socket_path))
        except (FileNotFoundError, ConnectionRefusedError):
            return False
        except PermissionError as exc:
            raise TmuxUnavailableError(
                f"tmux socket {self.socket_path} is not accessible: permission denied"
            ) from exc
        except OSError as exc:
            if exc.errno in (errno.ENOTSOCK, errno.ENOTDIR, errno.ENAMETOOLONG):
                raise TmuxUnavailableError(
                    f"tmux socket {self.socket_path} is not usable: {exc.strerror}"
                ) from exc
            return False
        finally:
            sock.close()
        return True


def tmux_binary() -> str:
    """The tmux executable, or a clear error when it is not installed."""
    path = shutil.which(os.environ.get("TMUXORCH_TMUX", "tmux"))
    if path is None:
        raise TmuxUnavailableError(
            "tmux is not installed (or not on PATH): install tmux >= 3.2, "
            "e.g. 'apt-get install tmux'"
        )
    return path


def tmux_environ() -> dict[str, str]:
    """Environment for tmux child processes: without $TMUX, since we always pass `-S` explicitly
    and tmux refuses some commands when it thinks it is nested."""
    env = dict(os.environ)
    env.pop("TMUX", None)
    env.pop("TMUX_PANE", None)
    return env
