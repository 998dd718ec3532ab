"""Reading `schedule add`'s times (core/schedules/when.py): durations, wall-clock times, cron
lines, and a client's trigger checked as the CLI's is."""

from __future__ import annotations

import datetime

import pytest

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.schedules.when import (
    Trigger,
    check_cron,
    checked,
    format_duration,
    next_due,
    parse_at,
    parse_duration,
)

NOW = datetime.datetime(2026, 12, 3, 10, 0, 0).astimezone().timestamp()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h30m", 5400), ("2d", 172800), ("1.5h", 5400), ("1w", 604800)],
)
def test_durations_take_units(text: str, seconds: float) -> None:
    assert parse_duration("--in", text) == seconds


@pytest.mark.parametrize("text", ["90", "m", "1x", "-1h", "1h-", "", "0s", "0m0s", "400d"])
def test_bad_durations_are_refused_naming_the_option(text: str) -> None:
    with pytest.raises(BadInputError, match=r"^--every "):
        parse_duration("--every", text)


def test_at_reads_todays_time_a_date_and_iso_with_a_zone() -> None:
    assert parse_at("14:30", NOW) == NOW + 4.5 * 3600
    assert parse_at("10:00:30", NOW) == NOW + 30
    assert parse_at("2026-12-04 09:00", NOW) == NOW + 23 * 3600
    utc = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC).timestamp()
    assert parse_at("2026-12-05T12:00:00+00:00", NOW) == utc


@pytest.mark.parametrize(
    ("text", "said"),
    [("09:59", "in the past"), ("2025-01-01 00:00", "in the past"), ("25:00", "not a time"),
     ("tomorrow", "not a time"), ("2028-01-01 00:00", "more than a year")],
)  # fmt: skip
def test_bad_or_past_times_are_refused(text: str, said: str) -> None:
    with pytest.raises(BadInputError, match=said):
        parse_at(text, NOW)


def test_cron_lines_are_croniters_five_fields_in_the_local_zone() -> None:
    line = check_cron("0  9 * * 1-5")
    assert line == "0 9 * * 1-5"
    thursday_nine = datetime.datetime(2026, 12, 4, 9, 0).astimezone().timestamp()
    assert next_due(Trigger(kind="cron", cron=line), NOW) == thursday_nine
    for bad in ("61 * * * *", "* * * *", "* * * * * *", "@reboot", "0 9 * * mon-xyz"):
        with pytest.raises(BadInputError, match="not a cron line"):
            check_cron(bad)


def test_every_repeats_from_the_last_due_time() -> None:
    assert next_due(Trigger(kind="every", due=NOW, every=60.0), NOW + 1) == NOW + 61
    assert format_duration(5400) == "1h30m"


@pytest.mark.parametrize(
    ("trigger", "said"),
    [
        (Trigger(kind="in", due=NOW - 1), "not within the next year"),
        (Trigger(kind="in"), "needs its due time"),
        (Trigger(kind="in", due=NOW + 60, cron="* * * * *"), "has no cron"),
        (Trigger(kind="every", due=NOW + 60), "needs its interval"),
        (Trigger(kind="every", due=NOW + 60, every=0.0), "more than zero"),
        (Trigger(kind="every", due=NOW + 60, every=-5.0), "more than zero"),
        (Trigger(kind="cron", due=NOW + 60, cron="nope"), "not a cron line"),
        (Trigger(kind="when_idle", timeout=-1.0), "more than zero"),
        (Trigger(kind="when_idle", due=NOW + 5), "has no due"),
    ],
)
def test_a_clients_trigger_is_checked_like_the_clis(trigger: Trigger, said: str) -> None:
    with pytest.raises(BadInputError, match=said):
        checked(trigger, NOW)


def test_sane_triggers_pass_unchanged() -> None:
    for trigger in (
        Trigger(kind="at", due=NOW + 10),
        Trigger(kind="every", due=NOW + 60, every=60.0),
        Trigger(kind="when_idle", watch="%3", timeout=7200.0),
    ):
        assert checked(trigger, NOW) is trigger
