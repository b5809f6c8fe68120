"""WHEN in English, French and Dutch: each phrase with the next three occurrences it means,
across DST changes in Europe/Brussels, Europe/Amsterdam and America/Denver."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n.when_input import read_when, split_when
from bot.scheduling.rules import occurrences

BRUSSELS = "Europe/Brussels"
AMSTERDAM = "Europe/Amsterdam"
DENVER = "America/Denver"
# Friday 26 March 2027, 10:00: the clocks go forward on Sunday the 28th.
BEFORE_SPRING = {BRUSSELS: datetime(2027, 3, 26, 10, 0), AMSTERDAM: datetime(2027, 3, 26, 10, 0)}
# Friday 29 October 2027, 10:00 in Brussels: the clocks go back on Sunday the 31st.
BEFORE_AUTUMN = datetime(2027, 10, 29, 10, 0)
# Friday 5 November 2027, 10:00 in Denver: the clocks go back on Sunday the 7th.
BEFORE_DENVER_AUTUMN = datetime(2027, 11, 5, 10, 0)
# Friday 12 March 2027, 10:00 in Denver: the clocks go forward on Sunday the 14th.
BEFORE_DENVER_SPRING = datetime(2027, 3, 12, 10, 0)

ENGLISH = [
    ("tomorrow at 18:00", ["2027-03-27T18:00+01:00"]),
    ("sunday at 9:00", ["2027-03-28T09:00+02:00"]),
    ("in 2 hours", ["2027-03-26T12:00+01:00"]),
    ("in 20 minutes", ["2027-03-26T10:20+01:00"]),
    ("in 3 days", ["2027-03-29T10:00+02:00"]),
    ("on 12 January at 9:00", ["2028-01-12T09:00+01:00"]),
    ("friday 19:30", ["2027-03-26T19:30+01:00"]),
    ("tonight at 8", ["2027-03-26T20:00+01:00"]),
    ("at 7pm", ["2027-03-26T19:00+01:00"]),
    (
        "every day at 9:00",
        ["2027-03-27T09:00+01:00", "2027-03-28T09:00+02:00", "2027-03-29T09:00+02:00"],
    ),
    # 02:30 does not exist on the 28th: once, at the first valid instant after it.
    (
        "every day at 2:30",
        ["2027-03-27T02:30+01:00", "2027-03-28T03:00+02:00", "2027-03-29T02:30+02:00"],
    ),
    (
        "every day at noon",
        ["2027-03-26T12:00+01:00", "2027-03-27T12:00+01:00", "2027-03-28T12:00+02:00"],
    ),
    (
        "every weekday at 8:30",
        ["2027-03-29T08:30+02:00", "2027-03-30T08:30+02:00", "2027-03-31T08:30+02:00"],
    ),
    (
        "every Monday at 19:00",
        ["2027-03-29T19:00+02:00", "2027-04-05T19:00+02:00", "2027-04-12T19:00+02:00"],
    ),
    (
        "every Monday and Thursday at 18:00",
        ["2027-03-29T18:00+02:00", "2027-04-01T18:00+02:00", "2027-04-05T18:00+02:00"],
    ),
    (
        "every other Tuesday at 19:00",
        ["2027-03-30T19:00+02:00", "2027-04-13T19:00+02:00", "2027-04-27T19:00+02:00"],
    ),
    (
        "every week at 10:00",
        ["2027-04-02T10:00+02:00", "2027-04-09T10:00+02:00", "2027-04-16T10:00+02:00"],
    ),
    (
        "every month at 10:00",
        ["2027-04-26T10:00+02:00", "2027-05-26T10:00+02:00", "2027-06-26T10:00+02:00"],
    ),
    (
        "every 15th of the month at 19:00",
        ["2027-04-15T19:00+02:00", "2027-05-15T19:00+02:00", "2027-06-15T19:00+02:00"],
    ),
    (
        "every first Monday of the month at 19:00",
        ["2027-04-05T19:00+02:00", "2027-05-03T19:00+02:00", "2027-06-07T19:00+02:00"],
    ),
    (
        "every second Wednesday of the month at 19:00",
        ["2027-04-14T19:00+02:00", "2027-05-12T19:00+02:00", "2027-06-09T19:00+02:00"],
    ),
    (
        "every third Thursday of the month at 19:00",
        ["2027-04-15T19:00+02:00", "2027-05-20T19:00+02:00", "2027-06-17T19:00+02:00"],
    ),
    (
        "every fourth Friday of the month at 18:00",
        ["2027-03-26T18:00+01:00", "2027-04-23T18:00+02:00", "2027-05-28T18:00+02:00"],
    ),
    (
        "every last Friday of the month at 18:00",
        ["2027-03-26T18:00+01:00", "2027-04-30T18:00+02:00", "2027-05-28T18:00+02:00"],
    ),
    (
        "every Monday at 19:00 until 5 April",
        ["2027-03-29T19:00+02:00", "2027-04-05T19:00+02:00"],
    ),
    # Cron's own weekday numbers: 1 is Monday, 0 is Sunday.
    (
        "cron 0 19 * * 1",
        ["2027-03-29T19:00+02:00", "2027-04-05T19:00+02:00", "2027-04-12T19:00+02:00"],
    ),
    (
        "cron 30 8 * * 1-5",
        ["2027-03-29T08:30+02:00", "2027-03-30T08:30+02:00", "2027-03-31T08:30+02:00"],
    ),
    (
        "cron 0 12 * * 0",
        ["2027-03-28T12:00+02:00", "2027-04-04T12:00+02:00", "2027-04-11T12:00+02:00"],
    ),
]

FRENCH = [
    ("demain à 18h", ["2027-10-30T18:00+02:00"]),
    ("dimanche à 9h", ["2027-10-31T09:00+01:00"]),
    ("dans 2 heures", ["2027-10-29T12:00+02:00"]),
    ("dans 20 minutes", ["2027-10-29T10:20+02:00"]),
    ("dans 3 jours", ["2027-11-01T10:00+01:00"]),
    ("le 12 janvier à 9h", ["2028-01-12T09:00+01:00"]),
    ("vendredi 19h30", ["2027-10-29T19:30+02:00"]),
    ("ce soir à 8h", ["2027-10-29T20:00+02:00"]),
    ("aujourd’hui à 17h", ["2027-10-29T17:00+02:00"]),
    ("à midi", ["2027-10-29T12:00+02:00"]),
    (
        "chaque jour à 9h",
        ["2027-10-30T09:00+02:00", "2027-10-31T09:00+01:00", "2027-11-01T09:00+01:00"],
    ),
    # 02:30 happens twice on the 31st: once, at the first.
    (
        "tous les jours à 2h30",
        ["2027-10-30T02:30+02:00", "2027-10-31T02:30+02:00", "2027-11-01T02:30+01:00"],
    ),
    (
        "chaque jour à 7h du soir",
        ["2027-10-29T19:00+02:00", "2027-10-30T19:00+02:00", "2027-10-31T19:00+01:00"],
    ),
    (
        "tous les jours de semaine à 8h30",
        ["2027-11-01T08:30+01:00", "2027-11-02T08:30+01:00", "2027-11-03T08:30+01:00"],
    ),
    (
        "tous les jours ouvrables à 9h",
        ["2027-11-01T09:00+01:00", "2027-11-02T09:00+01:00", "2027-11-03T09:00+01:00"],
    ),
    (
        "chaque lundi à 19h",
        ["2027-11-01T19:00+01:00", "2027-11-08T19:00+01:00", "2027-11-15T19:00+01:00"],
    ),
    (
        "tous les lundis à 19h",
        ["2027-11-01T19:00+01:00", "2027-11-08T19:00+01:00", "2027-11-15T19:00+01:00"],
    ),
    (
        "le lundi et le jeudi à 18h",
        ["2027-11-01T18:00+01:00", "2027-11-04T18:00+01:00", "2027-11-08T18:00+01:00"],
    ),
    (
        "un mardi sur deux à 19h",
        ["2027-11-02T19:00+01:00", "2027-11-16T19:00+01:00", "2027-11-30T19:00+01:00"],
    ),
    (
        "chaque semaine à 10h",
        ["2027-11-05T10:00+01:00", "2027-11-12T10:00+01:00", "2027-11-19T10:00+01:00"],
    ),
    # Set on the 29th, "every month" is the last day of the month (February has no 29th).
    (
        "chaque mois à 10h",
        ["2027-10-31T10:00+01:00", "2027-11-30T10:00+01:00", "2027-12-31T10:00+01:00"],
    ),
    (
        "le 15 de chaque mois à 19h",
        ["2027-11-15T19:00+01:00", "2027-12-15T19:00+01:00", "2028-01-15T19:00+01:00"],
    ),
    (
        "chaque premier lundi du mois à 19h",
        ["2027-11-01T19:00+01:00", "2027-12-06T19:00+01:00", "2028-01-03T19:00+01:00"],
    ),
    (
        "le deuxième mercredi du mois à 19h",
        ["2027-11-10T19:00+01:00", "2027-12-08T19:00+01:00", "2028-01-12T19:00+01:00"],
    ),
    (
        "le 2e mardi du mois à 19h",
        ["2027-11-09T19:00+01:00", "2027-12-14T19:00+01:00", "2028-01-11T19:00+01:00"],
    ),
    (
        "le dernier vendredi du mois à 18h",
        ["2027-10-29T18:00+02:00", "2027-11-26T18:00+01:00", "2027-12-31T18:00+01:00"],
    ),
    (
        "chaque lundi à 19h jusqu’au 8 novembre",
        ["2027-11-01T19:00+01:00", "2027-11-08T19:00+01:00"],
    ),
]

DUTCH = [
    ("morgen om 18 uur", ["2027-03-27T18:00+01:00"]),
    ("zondag om 9 uur", ["2027-03-28T09:00+02:00"]),
    ("overmorgen om 9 uur", ["2027-03-28T09:00+02:00"]),
    ("over 2 uur", ["2027-03-26T12:00+01:00"]),
    ("over 3 dagen", ["2027-03-29T10:00+02:00"]),
    ("op 12 januari om 9 uur", ["2028-01-12T09:00+01:00"]),
    ("vrijdag om half acht 's avonds", ["2027-03-26T19:30+01:00"]),
    ("vanavond om 8 uur", ["2027-03-26T20:00+01:00"]),
    ("vandaag om 17:00", ["2027-03-26T17:00+01:00"]),
    (
        "elke dag om 9 uur",
        ["2027-03-27T09:00+01:00", "2027-03-28T09:00+02:00", "2027-03-29T09:00+02:00"],
    ),
    (
        "elke dag om 2:30",
        ["2027-03-27T02:30+01:00", "2027-03-28T03:00+02:00", "2027-03-29T02:30+02:00"],
    ),
    (
        "elke dag om kwart over 7 's ochtends",
        ["2027-03-27T07:15+01:00", "2027-03-28T07:15+02:00", "2027-03-29T07:15+02:00"],
    ),
    (
        "elke dag om middernacht",
        ["2027-03-27T00:00+01:00", "2027-03-28T00:00+01:00", "2027-03-29T00:00+02:00"],
    ),
    (
        "elke werkdag om 8:30",
        ["2027-03-29T08:30+02:00", "2027-03-30T08:30+02:00", "2027-03-31T08:30+02:00"],
    ),
    (
        "elke maandag om 19:00",
        ["2027-03-29T19:00+02:00", "2027-04-05T19:00+02:00", "2027-04-12T19:00+02:00"],
    ),
    (
        "iedere dinsdag om 20 uur",
        ["2027-03-30T20:00+02:00", "2027-04-06T20:00+02:00", "2027-04-13T20:00+02:00"],
    ),
    (
        "op maandag en donderdag om 18 uur",
        ["2027-03-29T18:00+02:00", "2027-04-01T18:00+02:00", "2027-04-05T18:00+02:00"],
    ),
    (
        "om de week op dinsdag om 19 uur",
        ["2027-03-30T19:00+02:00", "2027-04-13T19:00+02:00", "2027-04-27T19:00+02:00"],
    ),
    (
        "elke week om 10 uur",
        ["2027-04-02T10:00+02:00", "2027-04-09T10:00+02:00", "2027-04-16T10:00+02:00"],
    ),
    (
        "elke maand om 10 uur",
        ["2027-04-26T10:00+02:00", "2027-05-26T10:00+02:00", "2027-06-26T10:00+02:00"],
    ),
    (
        "elke 15e van de maand om 19 uur",
        ["2027-04-15T19:00+02:00", "2027-05-15T19:00+02:00", "2027-06-15T19:00+02:00"],
    ),
    (
        "elke eerste maandag van de maand om 19 uur",
        ["2027-04-05T19:00+02:00", "2027-05-03T19:00+02:00", "2027-06-07T19:00+02:00"],
    ),
    (
        "elke tweede woensdag van de maand om 19:30",
        ["2027-04-14T19:30+02:00", "2027-05-12T19:30+02:00", "2027-06-09T19:30+02:00"],
    ),
    (
        "elke derde donderdag van de maand om 19 uur",
        ["2027-04-15T19:00+02:00", "2027-05-20T19:00+02:00", "2027-06-17T19:00+02:00"],
    ),
    (
        "elke vierde vrijdag van de maand om 18 uur",
        ["2027-03-26T18:00+01:00", "2027-04-23T18:00+02:00", "2027-05-28T18:00+02:00"],
    ),
    (
        "elke laatste vrijdag van de maand om 18 uur",
        ["2027-03-26T18:00+01:00", "2027-04-30T18:00+02:00", "2027-05-28T18:00+02:00"],
    ),
    (
        "elke maandag om 19:00 tot 5 april",
        ["2027-03-29T19:00+02:00", "2027-04-05T19:00+02:00"],
    ),
]

DENVER_CASES = [
    # 01:30 happens twice on 7 November: once, at the first (still daylight time).
    (
        BEFORE_DENVER_AUTUMN,
        "every day at 1:30",
        ["2027-11-06T01:30-06:00", "2027-11-07T01:30-06:00", "2027-11-08T01:30-07:00"],
    ),
    (
        BEFORE_DENVER_AUTUMN,
        "every Sunday at 9:00",
        ["2027-11-07T09:00-07:00", "2027-11-14T09:00-07:00", "2027-11-21T09:00-07:00"],
    ),
    (
        BEFORE_DENVER_SPRING,
        "every day at 2:30",
        ["2027-03-13T02:30-07:00", "2027-03-14T03:00-06:00", "2027-03-15T02:30-06:00"],
    ),
    (
        BEFORE_DENVER_SPRING,
        "chaque dimanche à 19h",
        ["2027-03-14T19:00-06:00", "2027-03-21T19:00-06:00", "2027-03-28T19:00-06:00"],
    ),
    (
        BEFORE_DENVER_SPRING,
        "over 3 dagen",
        ["2027-03-15T10:00-06:00"],
    ),
]


def next_three(phrase: str, zone: str, local_now: datetime) -> list[str]:
    tz = ZoneInfo(zone)
    now = local_now.replace(tzinfo=tz)
    when = read_when(phrase, zone, now)
    return [
        moment.astimezone(tz).isoformat(timespec="minutes")
        for moment in occurrences(when.rule, zone, now, 3)
    ]


@pytest.mark.parametrize(("phrase", "expected"), ENGLISH)
def test_english(phrase: str, expected: list[str]) -> None:
    assert next_three(phrase, BRUSSELS, BEFORE_SPRING[BRUSSELS]) == expected


@pytest.mark.parametrize(("phrase", "expected"), FRENCH)
def test_french(phrase: str, expected: list[str]) -> None:
    assert next_three(phrase, BRUSSELS, BEFORE_AUTUMN) == expected


@pytest.mark.parametrize(("phrase", "expected"), DUTCH)
def test_dutch(phrase: str, expected: list[str]) -> None:
    assert next_three(phrase, AMSTERDAM, BEFORE_SPRING[AMSTERDAM]) == expected


@pytest.mark.parametrize(("local_now", "phrase", "expected"), DENVER_CASES)
def test_denver(local_now: datetime, phrase: str, expected: list[str]) -> None:
    assert next_three(phrase, DENVER, local_now) == expected


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("tomorrow at 18:00 Bring the flyers", "Bring the flyers"),
        ("every first Monday of the month at 19:00: Chapter meeting", "Chapter meeting"),
        ("demain à 18h Apporter les tracts", "Apporter les tracts"),
        ("elke maandag om 19:00 Vergadering om 8 uur", "Vergadering om 8 uur"),
        ("in 2 hours to call Ann", "call Ann"),
        ("friday 19:30 — 2 tables for 12", "2 tables for 12"),
    ],
)
def test_the_text_follows_the_longest_when(line: str, text: str) -> None:
    split = split_when(line, BRUSSELS, datetime(2027, 3, 26, 9, 0, tzinfo=ZoneInfo("UTC")))
    assert split.when is not None
    assert split.text == text


@pytest.mark.parametrize("phrase", ["at 7", "à 7", "om 7", "on 12 January at 9", "om half acht"])
def test_an_hour_that_could_be_morning_or_evening_has_both_readings(phrase: str) -> None:
    when = read_when(phrase, BRUSSELS, datetime(2027, 3, 26, 9, 0, tzinfo=ZoneInfo("UTC")))
    assert when.evening is not None
    morning = datetime.fromisoformat(when.rule.at or "")
    evening = datetime.fromisoformat(when.evening.at or "")
    assert (morning.hour + 12, morning.minute) == (evening.hour, evening.minute)


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("every monday", "no-time"),
        ("chaque lundi", "no-time"),
        ("elke maandag", "no-time"),
        ("cron 0 19 * * 9", "bad-cron"),
        ("cron 61 19 * * 1", "bad-cron"),
        ("someday maybe", "unreadable"),
        ("on 31 February at 9:00", "unreadable"),
        ("", "unreadable"),
    ],
)
def test_what_is_not_when_says_why(phrase: str, problem: str) -> None:
    split = split_when(phrase, BRUSSELS, datetime(2027, 3, 26, 9, 0, tzinfo=ZoneInfo("UTC")))
    assert split.when is None
    assert split.problem == problem
