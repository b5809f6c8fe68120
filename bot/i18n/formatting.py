"""Numbers, distances, dates and lists in the reader's language and time zone (Babel)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

UTC = ZoneInfo("UTC")
_YEAR = re.compile(r"[,\s]*y+[.\s]*")


def zone(name: str | None) -> ZoneInfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


class Formatter:
    def __init__(self, language: str, timezone: str | None = None) -> None:
        self.language = language
        self.tz = zone(timezone)

    def number(self, value: float | int) -> str:
        return format_decimal(value, locale=self.language)

    def percent(self, share: float) -> str:
        """0.425 → "43 %" in French, "43%" in English."""
        return format_percent(share, locale=self.language)

    def distance(self, km: float) -> str:
        # One decimal below 10 km ("2,5 km"), whole kilometres beyond ("264 km").
        rounded = round(km, 1) if km < 10 else round(km)
        return format_unit(rounded, "length-kilometer", length="short", locale=self.language)

    def day(self, moment: datetime) -> str:
        """Weekday, day and month, as the language writes them ("vendredi 4 décembre"), and
        the year when it is not this one ("jeudi 31 décembre 9999")."""
        local = self._local(moment)
        pattern = Locale.parse(self.language).date_formats["full"].pattern
        if local.year != datetime.now(self.tz).year:
            return format_date(local, format=pattern, locale=self.language)
        # CLDR has no year-less full pattern: drop the year and the separator before it.
        without_year = _YEAR.sub("", pattern).strip(" ,")
        return format_date(local, format=without_year, locale=self.language)

    def day_of(self, day: date) -> str:
        """A calendar date with its year ("30 juin 2027")."""
        return format_date(day, format="long", locale=self.language)

    def time(self, moment: datetime) -> str:
        return format_time(self._local(moment), format="short", locale=self.language)

    def clock(self, hour: int, minute: int) -> str:
        """A time of day with no date ("19:00", "7:00 PM")."""
        return format_time(time(hour, minute), format="short", locale=self.language)

    def weekday(self, index: int) -> str:
        """0 = Monday: "Monday", "lundi", "maandag"."""
        return get_day_names("wide", locale=self.language)[index]

    def list(self, items: Sequence[str]) -> str:
        return format_list(list(items), locale=self.language) if items else ""

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz)
