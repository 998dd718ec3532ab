"""A local fake model endpoint, so the real agent CLIs walk real turns with no network.

It speaks just enough of four wire APIs, each streamed as the real services stream them:
Anthropic Messages (`POST /v1/messages`, Claude Code), OpenAI Chat Completions
(`/v1/chat/completions`, opencode and aider), OpenAI Responses (`/v1/responses`, Codex 0.171,
which refuses `wire_api = "chat"`), and Gemini (`:streamGenerateContent`, `:generateContent`,
`:countTokens`, Gemini CLI through GOOGLE_GEMINI_BASE_URL). Model lists answer too.

Each client gets its own path prefix (`http://127.0.0.1:PORT/<client>/…`), so one server serves
every CLI and its timeline says whose request it was. The reply is chosen by the words in the
last user message, which the walk writes (the CLIs add side requests, e.g. titles, that must
not play the script):

- `TOOLCALL`  -> a shell tool call (`echo hi > f.txt`) that the CLI asks the user to approve;
- `LONGREPLY` -> a text streamed for a minute (something to interrupt);
- `QUICKREPLY` -> a short text at once (probes.py, which only asks whether a prompt went);
- anything else -> a text streamed over SLOW_SECONDS (long enough to see `busy`);
- a message carrying the tool's result -> a short final text.

Every request and every streaming milestone goes to the timeline (and to `--log` as JSON lines)
with its wall-clock time: the walk measures tmuxorch's latency from these moments.

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
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SLOW_SECONDS = 4.0
LONG_SECONDS = 60.0
TOOL_COMMAND = "echo hi > f.txt"
SHELL_TOOLS = ("bash", "shell_command", "exec_command", "shell", "run_shell_command", "local_shell")


@dataclass
class Mark:
    """One moment of the endpoint's life: a request arrived, a stream started, a tool call
    went out, a stream ended or the client hung up."""

    t: float
    client: str
    what: str
    script: str = ""
    path: str = ""


@dataclass
class Timeline:
    marks: list[Mark] = field(default_factory=list)
    log: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def mark(self, client: str, what: str, script: str = "", path: str = "") -> None:
        m = Mark(time.time(), client, what, script, path)
        with self.lock:
            self.marks.append(m)
            if self.log is not None:
                self.log.write(json.dumps(m.__dict__) + "\n")
                self.log.flush()

    def since(self, t: float, client: str) -> list[Mark]:
        with self.lock:
            return [m for m in self.marks if m.t >= t and m.client == client]


# ---- choosing the reply -------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What to answer: `script` names it for the timeline; `tool` is the shell tool's name
    and arguments when the answer is a tool call."""

    script: str
    text: str = ""
    seconds: float = 0.0
    tool: tuple[str, dict[str, Any]] | None = None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            _text_of(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content
        )
    return ""


def _shell_tool(tools: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The CLI's shell tool and arguments for TOOL_COMMAND, built from the tool's own schema
    (the CLIs name and shape it differently: `command` as a string or an argv, or `cmd`)."""
    by_name: dict[str, dict[str, Any]] = {}
    for tool in tools:
        fn = tool.get("function", tool)
        name = fn.get("name") or tool.get("name") or ""
        schema = (
            fn.get("parameters") or fn.get("input_schema") or fn.get("parametersJsonSchema") or {}
        )
        by_name[name] = schema
    for wanted in SHELL_TOOLS:
        for name, schema in by_name.items():
            if name.lower() == wanted:
                return name, _shell_args(schema)
    return None


def _shell_args(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {}) or {}
    args: dict[str, Any] = {}
    for key in ("command", "cmd"):
        if key in props:
            kind = props[key].get("type")
            args[key] = ["bash", "-lc", TOOL_COMMAND] if kind == "array" else TOOL_COMMAND
            break
    else:
        args["command"] = TOOL_COMMAND
    if "description" in props:
        args["description"] = "Write hi to f.txt"
    if "sandbox_permissions" in props:  # Codex: outside its read-only sandbox, so it asks
        args["sandbox_permissions"] = "require_escalated"
        args["justification"] = "Write hi to f.txt?"
    return args


def plan(last_user: str, tool_result: bool, tools: list[dict[str, Any]], side: bool) -> Plan:
    if side:
        return Plan("side", "Fake title")
    if tool_result:
        return Plan("final", "Done: f.txt now says hi.", 1.0)
    if "TOOLCALL" in last_user:
        tool = _shell_tool(tools)
        if tool is None:  # aider has no tools: it offers to run a shell block and asks
            text = f"I will write the file.\n\n```bash\n{TOOL_COMMAND}\n```\n"
            return Plan("tool-as-text", text, 1.0)
        return Plan("tool", "I will run a command.", 0.5, tool)
    if "QUICKREPLY" in last_user:
        return Plan("quick", "Quick reply.", 0.2)
    if "LONGREPLY" in last_user:
        return Plan("long", _words(400), LONG_SECONDS)
    return Plan(
        "slow", "This is a slow streamed reply from the fake model. " + _words(30), SLOW_SECONDS
    )


def _words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(n))


def _chunks(text: str, seconds: float) -> Iterator[tuple[str, float]]:
    """The text in pieces of a few words, with the pause before each so the whole takes
    `seconds`."""
    words = text.split(" ")
    pieces = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
    pause = seconds / max(len(pieces), 1)
    for piece in pieces:
        yield piece, pause


# ---- the HTTP side ------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
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
            for piece, pause in _chunks(p.text, p.seconds):
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

    # -- Anthropic Messages

    def _anthropic(self, client: str, path: str, body: dict[str, Any]) -> None:
        messages = body.get("messages", [])
        last = messages[-1] if messages else {}
        content = last.get("content")
        result = isinstance(content, list) and any(
            isinstance(c, dict) and c.get("type") == "tool_result" for c in content
        )
        tools = body.get("tools") or []
        p = plan(_text_of(content), result, tools, side=not tools)
        self.timeline.mark(client, "request", p.script, path)
        msg_id = "msg_" + uuid.uuid4().hex[:20]
        usage = {"input_tokens": 100, "output_tokens": 1}
        if not body.get("stream"):
            self._json(
                {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model"),
                    "content": [{"type": "text", "text": p.text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": usage,
                }
            )
            return
        self._start_sse()
        start = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage,
        }
        self._sse({"type": "message_start", "message": start}, "message_start")
        self._sse(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            "content_block_start",
        )

        def emit(piece: str) -> None:
            delta = {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": piece},
            }
            self._sse(delta, "content_block_delta")

        if not self._stream(client, p, path, emit):
            return
        self._sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        stop = "end_turn"
        if p.tool is not None:
            name, args = p.tool
            block = {
                "type": "tool_use",
                "id": "toolu_" + uuid.uuid4().hex[:20],
                "name": name,
                "input": {},
            }
            self._sse(
                {"type": "content_block_start", "index": 1, "content_block": block},
                "content_block_start",
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(args)}
            self._sse(
                {"type": "content_block_delta", "index": 1, "delta": delta}, "content_block_delta"
            )
            self._sse({"type": "content_block_stop", "index": 1}, "content_block_stop")
            self.timeline.mark(client, "tool_call", p.script, path)
            stop = "tool_use"
        self._sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": 20},
            },
            "message_delta",
        )
        self._sse({"type": "message_stop"}, "message_stop")
        self.timeline.mark(client, "stream_end", p.script, path)

    # -- OpenAI Chat Completions

    def _chat(self, client: str, path: str, body: dict[str, Any]) -> None:
        messages = body.get("messages", [])
        last = messages[-1] if messages else {}
        users = [m for m in messages if m.get("role") == "user"]
        tools = body.get("tools") or []
        side = not tools and client != "aider"
        p = plan(
            _text_of(users[-1].get("content")) if users else "",
            last.get("role") == "tool",
            tools,
            side,
        )
        self.timeline.mark(client, "request", p.script, path)
        cid = "chatcmpl-" + uuid.uuid4().hex[:20]
        model = body.get("model", "fake-model")
        if not body.get("stream"):
            self._json(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": p.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                }
            )
            return
        self._start_sse()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
            self._sse(
                {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
            )

        chunk({"role": "assistant", "content": ""})
        if not self._stream(client, p, path, lambda piece: chunk({"content": piece})):
            return
        finish = "stop"
        if p.tool is not None:
            name, args = p.tool
            call = {
                "index": 0,
                "id": "call_" + uuid.uuid4().hex[:20],
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            chunk({"tool_calls": [call]})
            self.timeline.mark(client, "tool_call", p.script, path)
            finish = "tool_calls"
        chunk({}, finish)
        self._sse(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            }
        )
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.timeline.mark(client, "stream_end", p.script, path)

    # -- OpenAI Responses (Codex)

    def _responses(self, client: str, path: str, body: dict[str, Any]) -> None:
        items = body.get("input", [])
        items = items if isinstance(items, list) else [{"role": "user", "content": items}]
        users = [i for i in items if i.get("role") == "user"]
        last = items[-1] if items else {}
        result = last.get("type") in (
            "function_call_output",
            "custom_tool_call_output",
            "local_shell_call_output",
        )
        tools = body.get("tools") or []
        p = plan(_text_of(users[-1].get("content")) if users else "", result, tools, side=not tools)
        self.timeline.mark(client, "request", p.script, path)
        rid = "resp_" + uuid.uuid4().hex[:20]
        model = body.get("model", "fake-model")
        resp = {
            "id": rid,
            "object": "response",
            "created_at": int(time.time()),
            "model": model,
            "status": "in_progress",
            "output": [],
        }
        self._start_sse()
        self._sse({"type": "response.created", "response": resp}, "response.created")
        msg_id = "msg_" + uuid.uuid4().hex[:20]
        item = {
            "type": "message",
            "id": msg_id,
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        self._sse(
            {"type": "response.output_item.added", "output_index": 0, "item": item},
            "response.output_item.added",
        )

        def emit(piece: str) -> None:
            self._sse(
                {
                    "type": "response.output_text.delta",
                    "item_id": msg_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": piece,
                },
                "response.output_text.delta",
            )

        if not self._stream(client, p, path, emit):
            return
        done = dict(
            item,
            status="completed",
            content=[{"type": "output_text", "text": p.text, "annotations": []}],
        )
        self._sse(
            {"type": "response.output_item.done", "output_index": 0, "item": done},
            "response.output_item.done",
        )
        output = [done]
        if p.tool is not None:
            name, args = p.tool
            call = {
                "type": "function_call",
                "id": "fc_" + uuid.uuid4().hex[:20],
                "status": "completed",
                "call_id": "call_" + uuid.uuid4().hex[:20],
                "name": name,
                "arguments": json.dumps(args),
            }
            self._sse(
                {"type": "response.output_item.added", "output_index": 1, "item": call},
                "response.output_item.added",
            )
            self._sse(
                {"type": "response.output_item.done", "output_index": 1, "item": call},
                "response.output_item.done",
            )
            self.timeline.mark(client, "tool_call", p.script, path)
            output.append(call)
        usage = {
            "input_tokens": 100,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 20,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 120,
        }
        final = dict(resp, status="completed", output=output, usage=usage)
        self._sse({"type": "response.completed", "response": final}, "response.completed")
        self.timeline.mark(client, "stream_end", p.script, path)

    # -- Gemini

    def _gemini(self, client: str, path: str, body: dict[str, Any], stream: bool) -> None:
        contents = body.get("contents", [])
        last = contents[-1] if contents else {}
        parts = last.get("parts", []) or []
        result = any("functionResponse" in part for part in parts)
        users = [
            c
            for c in contents
            if c.get("role") == "user" and any("text" in x for x in c.get("parts", []))
        ]
        text = " ".join(x.get("text", "") for x in users[-1].get("parts", [])) if users else ""
        decls = [
            d for t in body.get("tools", []) or [] for d in t.get("functionDeclarations", []) or []
        ]
        p = plan(text, result, decls, side=not decls)
        self.timeline.mark(client, "request", p.script, path)
        usage = {"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 120}

        def response(parts: list[dict[str, Any]], finish: str | None = None) -> dict[str, Any]:
            cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
            if finish:
                cand["finishReason"] = finish
            return {"candidates": [cand], "usageMetadata": usage, "modelVersion": "fake-model"}

        if not stream:
            self._json(response([{"text": p.text}], "STOP"))
            return
        self._start_sse()
        if not self._stream(client, p, path, lambda piece: self._sse(response([{"text": piece}]))):
            return
        if p.tool is not None:
            name, args = p.tool
            self._sse(response([{"functionCall": {"name": name, "args": args}}], "STOP"))
            self.timeline.mark(client, "tool_call", p.script, path)
        else:
            self._sse(response([{"text": ""}], "STOP"))
        self.timeline.mark(client, "stream_end", p.script, path)


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
