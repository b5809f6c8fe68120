"""Occurrences in wall-clock time: 09:00 stays 09:00 across DST, a skipped time happens once
at the first valid instant after it, an ambiguous time once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.rules import Rule, every, next_occurrence, occurrences, once, shortest_gap

BRUSSELS = ZoneInfo("Europe/Brussels")


def local(moments: list[datetime], tz: ZoneInfo = BRUSSELS) -> list[str]:
    return [m.astimezone(tz).isoformat(timespec="minutes") for m in moments]


def test_a_daily_nine_oclock_stays_at_nine_across_both_changes() -> None:
    daily = Rule("cron", minute="0", hour="9")
    spring = occurrences(daily, "Europe/Brussels", datetime(2027, 3, 27, 12, tzinfo=UTC), 2)
    autumn = occurrences(daily, "Europe/Brussels", datetime(2027, 10, 30, 12, tzinfo=UTC), 2)
    assert local(spring) == ["2027-03-28T09:00+02:00", "2027-03-29T09:00+02:00"]
    assert local(autumn) == ["2027-10-31T09:00+01:00", "2027-11-01T09:00+01:00"]
    # In UTC the reminder moved by an hour, as the clocks did.
    assert [m.hour for m in spring] == [7, 7]
    assert [m.hour for m in autumn] == [8, 8]


def test_a_time_the_clocks_skip_happens_once_at_the_first_valid_instant_after_it() -> None:
    rule = Rule("cron", minute="30", hour="2")
    found = occurrences(rule, "Europe/Brussels", datetime(2027, 3, 27, 12, tzinfo=UTC), 2)
    assert local(found) == ["2027-03-28T03:00+02:00", "2027-03-29T02:30+02:00"]
    assert once(datetime(2027, 3, 28, 2, 30)).at == "2027-03-28T02:30:00"
    skipped = next_occurrence(
        once(datetime(2027, 3, 28, 2, 30)), "Europe/Brussels", datetime(2027, 3, 1, tzinfo=UTC)
    )
    assert skipped is not None
    assert local([skipped]) == ["2027-03-28T03:00+02:00"]


def test_an_ambiguous_time_happens_once_even_if_asked_from_inside_the_repeated_hour() -> None:
    rule = Rule("cron", minute="30", hour="2")
    found = occurrences(rule, "Europe/Brussels", datetime(2027, 10, 30, 12, tzinfo=UTC), 3)
    # Not again at 02:30+01:00 on the 31st.
    assert local(found) == [
        "2027-10-31T02:30+02:00",
        "2027-11-01T02:30+01:00",
        "2027-11-02T02:30+01:00",
    ]
    # 01:15 UTC is 02:15 local for the second time: 02:30 that day has already happened.
    second_pass = datetime(2027, 10, 31, 1, 15, tzinfo=UTC)
    following = next_occurrence(rule, "Europe/Brussels", second_pass)
    assert following is not None
    assert local([following]) == ["2027-11-01T02:30+01:00"]


def test_every_other_week_counts_weeks_from_the_anchor() -> None:
    rule = Rule(
        "cron", minute="0", hour="19", day_of_week="tue", every_weeks=2, anchor="2027-01-05"
    )
    found = occurrences(rule, "Europe/Brussels", datetime(2027, 1, 1, tzinfo=UTC), 3)
    assert local(found) == [
        "2027-01-05T19:00+01:00",
        "2027-01-19T19:00+01:00",
        "2027-02-02T19:00+01:00",
    ]


def test_until_is_the_last_day_and_a_one_off_happens_once() -> None:
    rule = Rule("cron", minute="0", hour="19", day_of_week="mon", until="2027-01-11")
    found = occurrences(rule, "Europe/Brussels", datetime(2027, 1, 1, tzinfo=UTC), 5)
    assert local(found) == ["2027-01-04T19:00+01:00", "2027-01-11T19:00+01:00"]
    single = once(datetime(2027, 1, 4, 19, 0))
    first = next_occurrence(single, "Europe/Brussels", datetime(2027, 1, 1, tzinfo=UTC))
    assert first is not None
    assert next_occurrence(single, "Europe/Brussels", first) is None


@pytest.mark.parametrize(
    ("rule", "gap"),
    [
        (Rule("cron", minute="*/5"), timedelta(minutes=5)),
        (Rule("cron", minute="0", hour="9"), timedelta(days=1)),
        (every(60), timedelta(minutes=1)),
        (once(datetime(2030, 1, 1, 9)), None),
    ],
)
def test_the_shortest_gap_between_occurrences(rule: Rule, gap: timedelta | None) -> None:
    assert shortest_gap(rule, "Europe/Brussels", datetime(2029, 6, 1, tzinfo=UTC)) == gap


def test_rules_survive_storage_as_json() -> None:
    rule = Rule("cron", minute="0", hour="19", day="1st mon", until="2027-06-30")
    assert Rule.from_dict(rule.to_dict()) == rule
