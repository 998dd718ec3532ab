"""The four wire APIs the fake model speaks, each streamed as the real service streams it:
Anthropic Messages (Claude Code), OpenAI Chat Completions (opencode, aider), OpenAI Responses
(Codex 0.171, which refuses `wire_api = "chat"`) and Gemini `:streamGenerateContent` (Gemini
CLI through GOOGLE_GEMINI_BASE_URL).

`WireApis` is a mixin of fake_model.Handler, which gives it the plumbing it calls:
`timeline`, `_json`, `_start_sse`, `_sse`, `_stream` and `wfile`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from script import plan, text_of


class WireApis:
    # -- Anthropic Messages

    def _anthropic(self, client: str, path: str, body: dict[str, Any]) -> None:
        messages = body.get("messages", [])
        last = messages[-1] if messages else {}
        content = last.get("content")
        result = isinstance(content, list) and any(
            isinstance(c, dict) and c.get("type") == "tool_result" for c in content
        )
        tools = body.get("tools") or []
        p = plan(text_of(content), result, tools, side=not tools)
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
            text_of(users[-1].get("content")) if users else "",
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
        p = plan(text_of(users[-1].get("content")) if users else "", result, tools, side=not tools)
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
