"""A local fake model endpoint, so the real agent CLIs walk real turns with no network.

It speaks just enough of four wire APIs, each streamed as the real services stream them:
Anthropic Messages (`POST /v1/messages`, Claude Code), OpenAI Chat Completions
(`/v1/chat/completions`, opencode and aider), OpenAI Responses (`/v1/responses`, Codex 0.171,
which refuses `wire_api = "chat"`), and Gemini (`:streamGenerateContent`, `:generateContent`,
`:countTokens`, Gemini CLI through GOOGLE_GEMINI_BASE_URL). Model lists answer too.

Each client gets its own path prefix (`http://127.0.0.1:PORT/<client>/…`), so one server serves
every CLI and its timeline says whose request it was. What each request is answered with is in
script.py, the wire formats in wire.py. Every request and every streaming milestone goes to the
timeline (and to `--log` as JSON lines) with its wall-clock time: the walk measures tmuxorch's
latency from these moments.

Standalone: `python fake_model.py [--port N] [--log FILE]` prints the base URL and serves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from script import Plan, Timeline, chunks
from wire import WireApis


class Handler(WireApis, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeline: Timeline  # set on the subclass made by serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the timeline is the log."""

    # -- plumbing

    def _client_and_path(self) -> tuple[str, str]:
        parts = self.path.split("?")[0].lstrip("/").split("/", 1)
        if len(parts) == 2 and parts[0] not in ("v1", "v1beta", "models"):
            return parts[0], "/" + parts[1]
        return "default", "/" + "/".join(parts)

    def _json(self, obj: Any, status: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _sse(self, data: Any, event: str | None = None) -> None:
        head = f"event: {event}\n" if event else ""
        self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}
        dump = os.environ.get("FAKE_MODEL_DUMP")  # a directory: every request body, to debug a CLI
        if dump:
            name = f"{time.time():.3f}-{self.path.strip('/').replace('/', '_')[:60]}.json"
            Path(dump, name).write_bytes(raw)
        return body if isinstance(body, dict) else {}

    def _stream(self, client: str, p: Plan, path: str, emit: Callable[[str], None]) -> bool:
        """Emits the plan's text piece by piece; False when the client hung up (interrupted)."""
        self.timeline.mark(client, "stream_start", p.script, path)
        try:
            for piece, pause in chunks(p.text, p.seconds):
                time.sleep(pause)
                emit(piece)
        except (BrokenPipeError, ConnectionResetError):
            self.timeline.mark(client, "aborted", p.script, path)
            return False
        return True

    # -- routes

    def do_GET(self) -> None:
        client, path = self._client_and_path()
        self.timeline.mark(client, "request", "GET", path)
        if path.endswith("/models") or "/models" in path:
            now = int(time.time())
            self._json(
                {
                    "object": "list",
                    "data": [
                        {"id": "fake-model", "object": "model", "created": now, "owned_by": "fake"}
                    ],
                    "models": [
                        {"name": "models/fake-model", "slug": "fake-model", "id": "fake-model"}
                    ],
                }
            )
        else:
            self._json({"ok": True})

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        client, path = self._client_and_path()
        body = self._body()
        try:
            if path.endswith("/messages/count_tokens"):
                self.timeline.mark(client, "request", "count_tokens", path)
                self._json({"input_tokens": 100})
            elif path.endswith("/messages"):
                self._anthropic(client, path, body)
            elif path.endswith("/chat/completions"):
                self._chat(client, path, body)
            elif path.endswith("/responses"):
                self._responses(client, path, body)
            elif ":countTokens" in path:
                self.timeline.mark(client, "request", "countTokens", path)
                self._json({"totalTokens": 100})
            elif ":streamGenerateContent" in path or ":generateContent" in path:
                self._gemini(client, path, body, stream=":streamGenerateContent" in path)
            else:
                self.timeline.mark(client, "request", "unknown", path)
                self._json({"ok": True})
        except (BrokenPipeError, ConnectionResetError):
            self.timeline.mark(client, "aborted", "", path)


class FakeModel:
    """The endpoint, served from a thread on 127.0.0.1 at an ephemeral port."""

    def __init__(self, port: int = 0, log: Any = None) -> None:
        self.timeline = Timeline(log=log)
        handler = type("BoundHandler", (Handler,), {"timeline": self.timeline})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="fake-model", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, client: str) -> str:
        return f"http://127.0.0.1:{self.port}/{client}"

    def __enter__(self) -> FakeModel:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", help="append the timeline here as JSON lines (default: stderr)")
    args = parser.parse_args()
    log = open(args.log, "a", encoding="utf-8") if args.log else sys.stderr  # noqa: SIM115
    with FakeModel(args.port, log) as fake:
        print(f"http://127.0.0.1:{fake.port}/<client>", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            fake.thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
