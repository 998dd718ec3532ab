"""When a schedule fires: the CLI's `--in/--at/--every/--cron/--when-idle` read into a Trigger,
and the next time a trigger is due.

Times are epoch seconds; a wall-clock time without a zone (`--at 14:30`) is the local zone's.
Cron lines are croniter's (five fields, the local zone), not a parser of ours. Every refusal is
a BadInputError whose message names the option and why, so `schedule add` exits 2 with one line
and nothing is stored.
"""

from __future__ import annotations

import datetime
import re
from typing import Literal

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.frozen import Frozen, frozen_model

TriggerKind = Literal["in", "at", "every", "cron", "when_idle"]
ONE_SHOT_KINDS = frozenset({"in", "at", "when_idle"})

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")
MAX_SECONDS = 366 * 86400.0
"""The longest wait or interval taken (a year): beyond it a typo is likelier than a plan."""


@frozen_model
class Trigger(Frozen):
    """What makes a schedule fire: a time (`in`, `at`: `due`), an interval (`every`), a cron
    line (`cron`), or an agent being idle (`when_idle`: `watch`, the agent watched, None for the
    targets themselves; `timeout`, after which it gives up)."""

    kind: TriggerKind
    due: float | None = None
    every: float | None = None
    cron: str | None = None
    watch: str | None = None
    timeout: float | None = None

    @property
    def repeats(self) -> bool:
        return self.kind not in ONE_SHOT_KINDS

    def describe(self) -> str:
        """The trigger as a person reads it in `schedule list`."""
        if self.kind == "every":
            return f"every {format_duration(self.every or 0)}"
        if self.kind == "cron":
            return f"cron '{self.cron}'"
        if self.kind == "when_idle":
            who = f"{self.watch} is idle" if self.watch else "idle"
            limit = f" (timeout {format_duration(self.timeout)})" if self.timeout else ""
            return f"when {who}{limit}"
        return f"at {format_time(self.due or 0)}"


def parse_duration(option: str, text: str) -> float:
    """`30s`, `30m`, `1h30m`, `2d`, `1.5h` in seconds; a unit is required, zero is refused."""
    value = text.strip().lower()
    if not _WHOLE_DURATION.fullmatch(value):
        raise BadInputError(
            f"{option} {text!r}: not a duration (a number with a unit: 90s, 30m, 1h30m, 2d)"
        )
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
    if seconds <= 0:
        raise BadInputError(f"{option} {text!r}: must be more than zero")
    if seconds > MAX_SECONDS:
        raise BadInputError(f"{option} {text!r}: more than a year")
    return seconds


def parse_at(text: str, now: float, option: str = "--at") -> float:
    """`14:30`, `14:30:05` (today), `2026-12-04 14:30`, ISO 8601 with or without a zone; a
    time already past is refused (a time alone is today's, not tomorrow's: say the date)."""
    value = text.strip()
    local_now = datetime.datetime.fromtimestamp(now).astimezone()
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value):
            parts = [int(part) for part in value.split(":")] + [0]
            clock = datetime.time(parts[0], parts[1], parts[2])
            when = datetime.datetime.combine(local_now.date(), clock, local_now.tzinfo)
        else:
            when = datetime.datetime.fromisoformat(value)
            if when.tzinfo is None:
                when = when.astimezone()  # a naive time is local
    except ValueError:
        raise BadInputError(
            f"{option} {text!r}: not a time (HH:MM, HH:MM:SS, YYYY-MM-DD HH:MM or ISO 8601)"
        ) from None
    due = when.timestamp()
    if due <= now:
        raise BadInputError(f"{option} {text!r}: {format_time(due)} is in the past")
    if due - now > MAX_SECONDS:
        raise BadInputError(f"{option} {text!r}: more than a year ahead")
    return due


def check_cron(text: str, option: str = "--cron") -> str:
    """A five-field cron line croniter accepts (the minute, hour, day, month, weekday)."""
    from croniter import croniter

    line = " ".join(text.split())
    if len(line.split(" ")) != 5 or not croniter.is_valid(line):
        raise BadInputError(
            f"{option} {text!r}: not a cron line (five fields: minute hour day month weekday, "
            "e.g. '0 9 * * 1-5')"
        )
    return line


Named = tuple[str, str | None]
"""A value and the name the user wrote it under (`--in`, or a fleet file's `after`)."""


def trigger_from(
    times: dict[TriggerKind, Named], idle: tuple[str, bool], timeout: Named, now: float
) -> Trigger:
    """The trigger of `schedule add`'s options or a fleet file's keys (each refusal names what
    the user wrote): exactly one of the `times` (in, at, every, cron) or `idle`; a timeout only
    with `idle`."""
    given = [(kind, name, value) for kind, (name, value) in times.items() if value is not None]
    idle_name, when_idle = idle
    if len(given) + when_idle != 1:
        names = ", ".join([*(name for name, _ in times.values()), idle_name])
        raise BadInputError(f"give exactly one of {names}")
    timeout_name, timeout_value = timeout
    if timeout_value is not None and not when_idle:
        raise BadInputError(f"{timeout_name} goes with {idle_name}")
    if when_idle:
        seconds = None if timeout_value is None else parse_duration(timeout_name, timeout_value)
        return Trigger(kind="when_idle", timeout=seconds)
    ((kind, name, value),) = given
    assert value is not None
    if kind == "at":
        return Trigger(kind="at", due=parse_at(value, now, name))
    if kind == "cron":
        line = check_cron(value, name)
        return Trigger(kind="cron", due=next_due(Trigger(kind="cron", cron=line), now), cron=line)
    seconds = parse_duration(name, value)
    if kind == "every":
        return Trigger(kind="every", due=now + seconds, every=seconds)
    return Trigger(kind="in", due=now + seconds)


def trigger_of_words(text: str, now: float) -> Trigger:
    """A trigger as a person types it in the TUI: `30m` (or `in 30m`), `at 14:30`, `every 1h`,
    `cron 0 9 * * 1-5`, `idle` (each target once it is idle)."""
    head, _, rest = text.strip().partition(" ")
    words: dict[str, TriggerKind] = {"in": "in", "at": "at", "every": "every", "cron": "cron"}
    times: dict[TriggerKind, Named] = {kind: (word, None) for word, kind in words.items()}
    if head == "idle" and not rest:
        return trigger_from(times, ("idle", True), ("timeout", None), now)
    if head in words and rest.strip():
        times[words[head]] = (head, rest.strip())
    elif head and not rest:
        times["in"] = ("in", head)
    else:
        raise BadInputError(f"when {text!r}: say 30m, at 14:30, every 1h, cron 0 9 * * 1-5 or idle")
    return trigger_from(times, ("idle", False), ("timeout", None), now)


def checked(trigger: Trigger, now: float) -> Trigger:
    """`trigger` if it is whole and sane for its kind (what `schedule add` reads is; a client's
    may not be), else BadInputError: a time in the past, an interval not above zero, a cron
    line croniter refuses, fields of another kind."""
    kind = trigger.kind
    wanted = {
        "in": {"due"}, "at": {"due"}, "every": {"due", "every"}, "cron": {"due", "cron"},
        "when_idle": {"watch", "timeout"},
    }[kind]  # fmt: skip
    given = {name for name in ("due", "every", "cron", "watch", "timeout")
             if getattr(trigger, name) is not None}  # fmt: skip
    if extra := given - wanted:
        raise BadInputError(f"a {kind} trigger has no {', '.join(sorted(extra))}")
    if kind != "when_idle" and trigger.due is None:
        raise BadInputError(f"a {kind} trigger needs its due time")
    if trigger.due is not None and not now < trigger.due <= now + MAX_SECONDS:
        raise BadInputError(f"due {format_time(trigger.due)}: not within the next year")
    for name in ("every", "timeout"):
        value = getattr(trigger, name)
        if value is not None and not 0 < value <= MAX_SECONDS:
            raise BadInputError(f"{name}: must be more than zero and at most a year")
    if kind == "every" and trigger.every is None:
        raise BadInputError("an every trigger needs its interval")
    if kind == "cron":
        check_cron(trigger.cron or "")
    return trigger


def next_due(trigger: Trigger, after: float) -> float | None:
    """When a repeating trigger is due next after `after` (a one-shot trigger's is its own)."""
    if trigger.kind == "every":
        assert trigger.every is not None
        return after + trigger.every
    if trigger.kind == "cron":
        from croniter import croniter

        assert trigger.cron is not None
        start = datetime.datetime.fromtimestamp(after).astimezone()
        following: datetime.datetime = croniter(trigger.cron, start).get_next(datetime.datetime)
        return following.timestamp()
    return trigger.due


def format_duration(seconds: float) -> str:
    """`1h30m`, `45s`: the largest units first, whole seconds."""
    left, parts = round(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts) or "0s"


def format_time(epoch: float) -> str:
    """A local date and time to the second, as `schedule list` shows it."""
    return datetime.datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S")
