"""Which tmux server we talk to, resolved exactly as the tmux client resolves `-L` / `-S` / $TMUX,
and cheap checks on it that start no process: read-only commands must never start a server.

Paths here are strings, read with `os.path`: pathlib (with urllib.parse, ipaddress, fnmatch and
re) would be half of what a status bar's read of a watcher's segment imports (issue 17)."""

from __future__ import annotations

import _socket  # socket's own C module: `socket` adds enums and selectors, ~4 ms a status bar pays
import errno
import os
import stat
import sys

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.frozen import Frozen, frozen_record


@frozen_record
class TmuxServer(Frozen):
    """A tmux server addressed by the absolute path of its socket; always passed to tmux as `-S`.
    Made with a `Path` too: it keeps the path as a string."""

    socket_path: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "socket_path", _pure(os.fspath(self.socket_path)))

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
            return cls(os.path.join(os.getcwd(), os.path.expanduser(socket_path)))
        if not socket_name:
            tmux_var = env.get("TMUX", "")
            if tmux_var:
                return cls(tmux_var.split(",", 1)[0])
            socket_name = "default"
        if "/" in socket_name:
            raise TmuxUnavailableError(f"invalid socket name {socket_name!r}: it contains '/'")
        tmpdir = env.get("TMUX_TMPDIR") or "/tmp"
        return cls(os.path.join(tmpdir, f"tmux-{os.getuid()}", socket_name))

    def prepare_directory(self) -> None:
        """Create the socket's directory (mode 0700) before starting a server: tmux does that
        itself only for `-L`, and we always address the server with `-S`."""
        directory = os.path.dirname(self.socket_path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise TmuxUnavailableError(f"cannot create {directory}: {exc.strerror}") from exc

    def is_running(self) -> bool:
        """True when a server accepts connections on the socket. Raises when it is inaccessible.

        A connect() on the unix socket answers this without starting any process; a stale socket
        file (server gone) refuses the connection.
        """
        return self.server_pid() is not None

    def server_pid(self) -> int | None:
        """The PID of the server listening on the socket (None when none does), read from the
        connection's peer credentials: it needs no answer from tmux, so it works on a stopped
        server too. Raises when the socket is inaccessible."""
        try:
            mode = os.stat(self.socket_path).st_mode
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TmuxUnavailableError(
                f"tmux socket {self.socket_path} is not accessible: {exc.strerror}"
            ) from exc
        if not stat.S_ISSOCK(mode):
            raise TmuxUnavailableError(f"{self.socket_path} is not a tmux socket")
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.connect(self.socket_path)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except PermissionError as exc:
            raise TmuxUnavailableError(
                f"tmux socket {self.socket_path} is not accessible: permission denied"
            ) from exc
        except OSError as exc:
            if exc.errno in (errno.ENOTSOCK, errno.ENOTDIR, errno.ENAMETOOLONG):
                raise TmuxUnavailableError(
                    f"tmux socket {self.socket_path} is not usable: {exc.strerror}"
                ) from exc
            return None
        else:
            credentials = sock.getsockopt(_socket.SOL_SOCKET, _SO_PEERCRED, _PEERCRED_SIZE)
            return int.from_bytes(credentials[:4], sys.byteorder, signed=True)  # its pid
        finally:
            sock.close()

    def is_stopped(self) -> bool:
        """True when the server process is stopped (SIGSTOP, a Ctrl-Z, a debugger): it then
        answers nothing until it is continued, and a control client must not be started or
        killed meanwhile (tmux 3.3a-3.6 can crash when it wakes, see docs/architecture.md)."""
        pid = self.server_pid()
        return pid is not None and process_stopped(pid)


_SO_PEERCRED = getattr(_socket, "SO_PEERCRED", 17)
_PEERCRED_SIZE = 12  # struct ucred: int pid, uid, gid (read without struct's module)


def process_stopped(pid: int) -> bool:
    """Is the process stopped (state T, or t when traced)? False where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            stat = file.read()
    except OSError:
        return False
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] in ("T", "t")


def tmux_binary() -> str:
    """The tmux executable, or a clear error when it is not installed."""
    path = _on_path(os.environ.get("TMUXORCH_TMUX", "tmux"))
    if path is None:
        raise TmuxUnavailableError(
            "tmux is not installed (or not on PATH): install tmux >= 3.2, "
            "e.g. 'apt-get install tmux'"
        )
    return path


def _pure(path: str) -> str:
    """The path as `str(PurePosixPath(path))` spells it: no empty or `.` parts, no trailing `/`;
    `..` kept (it may climb out of a symlink)."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/"):
        return "/" + "/".join(parts)
    return "/".join(parts) or "."


def _on_path(name: str) -> str | None:
    """`shutil.which(name)` for an executable, without importing shutil (it loads bz2, lzma and
    zlib: ~2.5 ms of every one-shot command, issue 17). A name with a `/` is taken as it is."""
    if "/" in name:
        candidates = [name]
    else:
        candidates = [os.path.join(d, name) for d in os.environ.get("PATH", os.defpath).split(":")]
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def tmux_environ() -> dict[str, str]:
    """Environment for tmux child processes: without $TMUX, since we always pass `-S` explicitly
    and tmux refuses some commands when it thinks it is nested."""
    env = dict(os.environ)
    env.pop("TMUX", None)
    env.pop("TMUX_PANE", None)
    return env
