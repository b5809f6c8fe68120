"""Schedule rules and their occurrences, in wall-clock time of an IANA zone.

A rule's wall-clock occurrences are found by APScheduler's CronTrigger run in a zone that has
no DST (UTC standing in for "floating" local time), then each is placed in the real zone:
19:00 stays 19:00 across DST; a time that does not exist that day (the clocks jump over it)
happens once at the first valid instant after it; an ambiguous time (the clocks fall back
over it) happens once, at its first instance. APScheduler alone would fire twice on the
ambiguous day, and CalendarIntervalTrigger skips the day with the gap.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

ONCE, CRON, INTERVAL = "once", "cron", "interval"
MAX_STEPS = 2000  # bounds the search for an occurrence of a rule that rarely matches


@dataclass(frozen=True, slots=True)
class Rule:
    """once: `at` (local wall time, ISO). cron: APScheduler cron fields in local time, with
    every `every_weeks` weeks counted from the week of `anchor`, up to `until` (a local
    date, inclusive). interval: every `seconds` of elapsed time (the bot's own work)."""

    type: str
    at: str | None = None
    minute: str = "0"
    hour: str = "*"
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"
    every_weeks: int = 1
    anchor: str | None = None
    until: str | None = None
    seconds: int | None = None
    # What the member typed, for the expert cron form (shown back as written).
    expression: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        return cls(**data)

    @property
    def repeats(self) -> bool:
        return self.type != ONCE


def once(at: datetime) -> Rule:
    return Rule(ONCE, at=at.replace(tzinfo=None, second=0, microsecond=0).isoformat())


def every(seconds: int) -> Rule:
    return Rule(INTERVAL, seconds=seconds)


@functools.lru_cache(maxsize=4096)
def _cron(minute: str, hour: str, day: str, month: str, day_of_week: str) -> CronTrigger:
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=UTC
    )


def valid_cron_fields(**fields: str) -> bool:
    try:
        _cron(**fields)
    except ValueError:
        return False
    return True


def place(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time (naive) in a zone → the instant, in UTC."""
    for minutes in range(0, 24 * 60):
        candidate = wall + timedelta(minutes=minutes)
        instant = candidate.replace(tzinfo=tz)  # fold=0: the first of an ambiguous pair
        if instant.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == candidate:
            return instant.astimezone(UTC)
    raise ValueError(f"{wall} has no valid instant in {tz.key}")


def wall_clock(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def next_occurrence(rule: Rule, zone_name: str, after: datetime) -> datetime | None:
    """The rule's first occurrence strictly after `after` (aware), in UTC; None if none."""
    tz = ZoneInfo(zone_name)
    if rule.type == INTERVAL:
        return after + timedelta(seconds=rule.seconds or 60)
    if rule.type == ONCE:
        assert rule.at is not None
        instant = place(datetime.fromisoformat(rule.at), tz)
        return instant if instant > after else None
    trigger = _cron(rule.minute, rule.hour, rule.day, rule.month, rule.day_of_week)
    until = date.fromisoformat(rule.until) if rule.until else None
    anchor = _week_start(date.fromisoformat(rule.anchor)) if rule.anchor else None
    wall = wall_clock(after, tz).replace(tzinfo=UTC)
    for _step in range(MAX_STEPS):
        found = trigger.get_next_fire_time(None, wall + timedelta(microseconds=1))
        if found is None:
            return None
        wall = found
        local = found.replace(tzinfo=None)
        if until is not None and local.date() > until:
            return None
        if anchor is not None and rule.every_weeks > 1:
            weeks = (_week_start(local.date()) - anchor).days // 7
            if weeks % rule.every_weeks:
                continue
        instant = place(local, tz)
        if instant > after:  # a wall time met again after the clocks fell back is not new
            return instant
    return None


def occurrences(rule: Rule, zone_name: str, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    moment = after
    while len(found) < count:
        following = next_occurrence(rule, zone_name, moment)
        if following is None:
            break
        found.append(following)
        moment = following
    return found


def shortest_gap(rule: Rule, zone_name: str, after: datetime, sample: int = 24) -> timedelta | None:
    """The shortest time between the rule's next occurrences (None for a one-off)."""
    if not rule.repeats:
        return None
    moments = occurrences(rule, zone_name, after, sample)
    gaps = [b - a for a, b in itertools.pairwise(moments)]
    return min(gaps) if gaps else None


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
