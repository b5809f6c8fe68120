"""A schedule's rule in the reader's words: "every first Monday of the month at 19:00",
"un mardi sur deux à 19:00", "elke werkdag om 8:30"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from bot.i18n.catalog import N_
from bot.i18n.formatting import Formatter
from bot.scheduling.rules import ONCE, Rule

CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Formatter.weekday's order


class Reader(Protocol):
    @property
    def fmt(self) -> Formatter: ...

    def _(self, message: str, **values: object) -> str: ...

    def when(self, moment: datetime) -> str: ...


def _days(rule: Rule) -> list[int] | None:
    names = rule.day_of_week.split(",")
    if not all(name in CRON_DAYS for name in names):
        return None
    return sorted(CRON_DAYS.index(name) for name in names)


def describe(reader: Reader, rule: Rule, first: datetime | None = None) -> str:
    """The rule in words; a one-off is its moment (given as `first`)."""
    if rule.type == ONCE:
        return reader.when(first) if first else ""
    words = _repeating(reader, rule)
    if rule.until:
        until = reader.fmt.day_of(date.fromisoformat(rule.until))
        # TRANSLATORS: a repeating reminder and the last day it may happen.
        words = reader._("%(rule)s, until %(date)s", rule=words, date=until)
    return words


def _repeating(reader: Reader, rule: Rule) -> str:
    fmt = reader.fmt
    simple = rule.expression is None and rule.minute.isdigit() and rule.hour.isdigit()
    if not simple:
        # TRANSLATORS: an expert's cron expression, shown as typed.
        return reader._("on the cron schedule %(expression)s", expression=rule.expression or "")
    at = fmt.clock(int(rule.hour), int(rule.minute))
    days = _days(rule) if rule.day_of_week != "*" else list(range(7))
    if rule.day == "*" and days is not None:
        if rule.every_weeks > 1 and len(days) == 1:
            return reader._(
                "every other %(weekday)s at %(time)s", weekday=fmt.weekday(days[0]), time=at
            )
        if days == list(range(7)):
            return reader._("every day at %(time)s", time=at)
        if days == list(range(5)):
            return reader._("every weekday at %(time)s", time=at)
        names = fmt.list([fmt.weekday(d) for d in days])
        # TRANSLATORS: weekdays is one day or a list ("Monday and Thursday").
        return reader._("every %(weekdays)s at %(time)s", weekdays=names, time=at)
    if rule.day == "last":
        return reader._("on the last day of every month at %(time)s", time=at)
    if rule.day == "1":
        return reader._("on the first day of every month at %(time)s", time=at)
    if rule.day.isdigit():
        # TRANSLATORS: day is a number from 1 to 31.
        return reader._("on day %(day)s of every month at %(time)s", day=rule.day, time=at)
    ordinal, _space, weekday_name = rule.day.partition(" ")
    if weekday_name in CRON_DAYS:
        weekday = fmt.weekday(CRON_DAYS.index(weekday_name))
        words = {
            "1st": N_("every first %(weekday)s of the month at %(time)s"),
            "2nd": N_("every second %(weekday)s of the month at %(time)s"),
            "3rd": N_("every third %(weekday)s of the month at %(time)s"),
            "4th": N_("every fourth %(weekday)s of the month at %(time)s"),
            "last": N_("every last %(weekday)s of the month at %(time)s"),
        }.get(ordinal)
        if words:
            return reader._(words, weekday=weekday, time=at)
    return reader._("on the cron schedule %(expression)s", expression=rule.expression or "")


def next_moments(reader: Reader, moments: list[datetime]) -> str:
    """ "Monday 7 December at 19:00, Monday 4 January, Monday 1 February": the time once,
    unless it changes."""
    if not moments:
        return ""
    fmt = reader.fmt
    shown = [reader.when(moments[0])]
    first_time = fmt.time(moments[0])
    for moment in moments[1:]:
        shown.append(fmt.day(moment) if fmt.time(moment) == first_time else reader.when(moment))
    return ", ".join(shown)


def state_words(reader: Reader, status: str, next_at: datetime | None) -> str:
    """Where a schedule stands, for a list: "paused", "next Monday 7 December at 19:00"."""
    if status == "paused":
        return reader._("paused")
    if next_at is not None:
        return reader._("next %(when)s", when=reader.when(next_at))
    return reader._("done")
