"""The fake model's script: which reply a request gets, and the timeline of what happened.

The reply is chosen by the words in the last user message, which the walk writes (the CLIs add
side requests, e.g. titles, with no tools: those get a short text and do not play the script):

- `TOOLCALL`  -> a shell tool call (`echo hi > f.txt`) that the CLI asks the user to approve;
- `LONGREPLY` -> a text streamed for a minute (something to interrupt);
- `QUICKREPLY` -> a short text at once (probes.py, which only asks whether a prompt went);
- anything else -> a text streamed over SLOW_SECONDS (long enough to see `busy`);
- a message carrying the tool's result -> a short final text.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Plan:
    """What to answer: `script` names it for the timeline; `tool` is the shell tool's name
    and arguments when the answer is a tool call."""

    script: str
    text: str = ""
    seconds: float = 0.0
    tool: tuple[str, dict[str, Any]] | None = None


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            text_of(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content
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


def chunks(text: str, seconds: float) -> Iterator[tuple[str, float]]:
    """The text in pieces of a few words, with the pause before each so the whole takes
    `seconds`."""
    words = text.split(" ")
    pieces = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
    pause = seconds / max(len(pieces), 1)
    for piece in pieces:
        yield piece, pause
