"""Reading WHEN in English, French or Dutch, whatever language the member uses:
"tomorrow at 18:00", "vendredi 19h30", "over 3 dagen", "every first Monday at 19:00",
"un mardi sur deux à 19h", "elke 15e van de maand om 19 uur", "cron 0 19 * * 1".

No library reads recurrence in French or Dutch (and the English ones silently read "every
first monday" as every Monday), so recurrence is a small grammar of our own: a phrase is a
sequence of parts (a recurrence or a day, a time, an end), each at most once, in any order.
Absolute one-off dates ("12 janvier", "op 12 januari") are read by dateparser without a zone;
the zone is attached afterwards (bot.scheduling.rules.place), so relative dates that cross a
DST change keep their wall-clock time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n.parsing import fold
from bot.scheduling.rules import CRON, Rule, once, place, valid_cron_fields, wall_clock

# -- words -----------------------------------------------------------------------------------

WEEKDAY_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "monday mon lundi maandag",
        "tuesday tues tue mardi dinsdag",
        "wednesday wed mercredi woensdag",
        "thursday thurs thur thu jeudi donderdag",
        "friday fri vendredi vrijdag",
        "saturday sat samedi zaterdag",
        "sunday sun dimanche zondag",
    )
):
    WEEKDAY_WORDS.update(dict.fromkeys(_names.split(), _index))

MONTH_WORDS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        "january jan janvier januari",
        "february feb fevrier februari",
        "march mar mars maart",
        "april apr avril",
        "may mai mei",
        "june jun juin juni",
        "july jul juillet juli",
        "august aug aout augustus",
        "september sept sep septembre",
        "october oct octobre oktober",
        "november nov novembre",
        "december dec decembre",
    ),
    start=1,
):
    MONTH_WORDS.update(dict.fromkeys(_names.split(), _index))

ORDINAL_WORDS: dict[str, str] = {}
for _value, _names in (
    ("1st", "first 1st premier premiere 1er 1re eerste 1e 1ste"),
    ("2nd", "second 2nd deuxieme seconde 2e 2eme tweede 2de"),
    ("3rd", "third 3rd troisieme 3eme 3e derde"),
    ("4th", "fourth 4th quatrieme 4eme 4e vierde"),
    ("last", "last dernier derniere laatste"),
):
    ORDINAL_WORDS.update(dict.fromkeys(_names.split(), _value))

DUTCH_HOURS = {
    "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6,
    "zeven": 7, "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12,
}  # fmt: skip

CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _alternatives(words: list[str] | dict[str, Any]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


WD = rf"(?:{_alternatives(WEEKDAY_WORDS)})(?:s|en)?"
MONTH = rf"(?:{_alternatives(MONTH_WORDS)})\.?"
ORD = rf"(?:{_alternatives(ORDINAL_WORDS)})"
DAYNUM = r"(?:[12]\d|3[01]|0?[1-9])"
DAYNUM_SUFFIX = r"(?:st|nd|rd|th|er|re|e|de|ste)?"
OF_THE_MONTH = (
    r"(?:of (?:the|every|each) month|du mois|de chaque mois|de tous les mois"
    r"|van (?:de|elke|iedere) maand)"
)
AND = r"\s*(?:,|and|et|en)\s*(?:le |les |on |op |elke |iedere |every )?"

# -- what a phrase is made of ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    hour: int
    minute: int
    ambiguous: bool = False  # "at 7": morning or evening?


@dataclass(slots=True)
class Parts:
    recurrence: dict[str, Any] | None = None
    day: date | None = None
    day_words: str | None = None  # a day in words, for dateparser
    relative: timedelta | None = None
    clock: Clock | None = None
    daypart: str | None = None  # am | pm | night
    until: date | None = None
    cron: str | None = None


@dataclass(frozen=True, slots=True)
class When:
    """What WHEN meant: the rule, and for an hour that could be morning or evening the
    evening reading too (the member is asked which)."""

    rule: Rule
    evening: Rule | None = None


@dataclass(frozen=True, slots=True)
class Split:
    when: When | None
    problem: str | None  # unreadable | no-time | bad-cron | no-occurrence
    text: str


class Unreadable(ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


# -- reading ---------------------------------------------------------------------------------


def normalize(text: str) -> str:
    return fold(re.sub(r"[’‘`´]", "'", text))


def _weekdays(text: str) -> list[int]:
    found = []
    for word in re.findall(r"[a-z]+", text):
        for candidate in (word, word.removesuffix("s"), word.removesuffix("en")):
            if candidate in WEEKDAY_WORDS:
                found.append(WEEKDAY_WORDS[candidate])
                break
    return sorted(set(found))


def _weekly(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.recurrence = {"type": "weekly", "days": _weekdays(match.group(0))}


def _biweekly(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.recurrence = {"type": "weekly", "days": _weekdays(match.group(0)), "every_weeks": 2}


def _every_week(match: re.Match[str], parts: Parts, now: datetime) -> None:
    days = _weekdays(match.group(0))
    parts.recurrence = {"type": "weekly", "days": days or None}


def _daily(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.recurrence = {"type": "weekly", "days": list(range(7))}


def _workdays(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.recurrence = {"type": "weekly", "days": list(range(5))}


def _every_month(match: re.Match[str], parts: Parts, now: datetime) -> None:
    number = re.search(r"\d+", match.group(0))
    parts.recurrence = {"type": "monthly", "day": int(number.group(0)) if number else None}


def _month_day(match: re.Match[str], parts: Parts, now: datetime) -> None:
    number = re.search(r"\d+", match.group(0))
    assert number is not None
    parts.recurrence = {"type": "monthly", "day": int(number.group(0))}


def _nth_weekday(match: re.Match[str], parts: Parts, now: datetime) -> None:
    ordinal = next(
        ORDINAL_WORDS[w] for w in re.findall(r"[a-z0-9]+", match.group(0)) if w in ORDINAL_WORDS
    )
    parts.recurrence = {"type": "nth", "ordinal": ordinal, "weekday": _weekdays(match.group(0))[0]}


def _today(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.day = now.date()
    if re.search(r"tonight|ce soir|vanavond", match.group(0)):
        parts.daypart = "pm"


def _tomorrow(match: re.Match[str], parts: Parts, now: datetime) -> None:
    words = match.group(0)
    later = 2 if re.search(r"after|apres|overmorgen", words) else 1
    parts.day = now.date() + timedelta(days=later)
    if re.search(r"soir|avond|evening|night", words):
        parts.daypart = "pm"
    elif re.search(r"matin|ochtend|morning", words):
        parts.daypart = "am"


def _weekday_once(match: re.Match[str], parts: Parts, now: datetime) -> None:
    weekday = _weekdays(match.group(0))[0]
    ahead = (weekday - now.weekday()) % 7
    if ahead == 0 and re.search(r"next|prochain|volgende", match.group(0)):
        ahead = 7
    parts.day = now.date() + timedelta(days=ahead)
    parts.day_words = "weekday"  # today's own weekday may mean next week (see _when)


def _date_words(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.day = read_date(match.group("date"), now)


def _relative(match: re.Match[str], parts: Parts, now: datetime) -> None:
    words = match.group(0)
    number = re.search(r"\d+", words)
    amount = int(number.group(0)) if number else 1
    if re.search(r"\bhalf\b|\bdemi", words):
        parts.relative = timedelta(minutes=30)
        return
    if amount > 100_000:
        raise Unreadable("unreadable")
    unit = re.search(r"(min|h|uur|uren|heure|d|jour|dag|w|semaine|we)", words.split(None, 1)[1])
    assert unit is not None
    name = unit.group(1)
    if name.startswith("min"):
        parts.relative = timedelta(minutes=amount)
    elif name in ("h", "uur", "uren", "heure"):
        parts.relative = timedelta(hours=amount)
    elif name in ("d", "jour", "dag"):
        parts.relative = timedelta(days=amount)
    else:
        parts.relative = timedelta(weeks=amount)


def _until(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.until = read_date(match.group("date"), now)


def _daypart(match: re.Match[str], parts: Parts, now: datetime) -> None:
    words = match.group(0)
    if re.search(r"morning|matin|ochtend|morgens|\bam\b|a\.m", words):
        parts.daypart = "am"
    elif re.search(r"night|nachts|nuit", words):
        parts.daypart = "night"
    else:
        parts.daypart = "pm"


def _clock_hm(match: re.Match[str], parts: Parts, now: datetime) -> None:
    found = match.groupdict()
    hour, minute = int(found["h"]), int(found.get("m") or 0)
    suffix = found.get("ampm")
    if suffix:
        hour = _twelve_hour(hour, suffix)
    parts.clock = Clock(hour, minute)


def _clock_bare(match: re.Match[str], parts: Parts, now: datetime) -> None:
    hour = int(match.group("h"))
    parts.clock = Clock(hour, 0, ambiguous=1 <= hour <= 11)


def _clock_dutch(match: re.Match[str], parts: Parts, now: datetime) -> None:
    words = match.group(0)
    word = match.group("hw")
    hour = int(word) if word.isdigit() else DUTCH_HOURS[word]
    if "half" in words:
        hour, minute = hour - 1, 30
    elif "kwart voor" in words:
        hour, minute = hour - 1, 45
    else:
        minute = 15
    parts.clock = Clock(hour % 12 or 12, minute, ambiguous=True)


def _noon(match: re.Match[str], parts: Parts, now: datetime) -> None:
    midnight = re.search(r"midnight|minuit|middernacht", match.group(0))
    parts.clock = Clock(0 if midnight else 12, 0)


def _cron(match: re.Match[str], parts: Parts, now: datetime) -> None:
    parts.cron = match.group("expr")


def _twelve_hour(hour: int, suffix: str) -> int:
    if hour > 12:
        raise Unreadable("unreadable")
    pm = suffix.startswith("p")
    return (hour % 12) + (12 if pm else 0)


AT = r"(?:(?:at|around|a|vers|om|rond|tegen)\s+)"
AMPM = r"(?P<ampm>am|pm|a\.m\.|p\.m\.)"
DATE_WORDS = (
    rf"(?P<date>(?:{DAYNUM}{DAYNUM_SUFFIX}\s+(?:of\s+)?{MONTH}(?:\s+\d{{4}})?)"
    rf"|(?:{MONTH}\s+{DAYNUM}{DAYNUM_SUFFIX}(?:,?\s+\d{{4}})?)"
    rf"|(?:{DAYNUM}[/.-](?:1[0-2]|0?[1-9])(?:[/.-]\d{{2,4}})?)|(?:\d{{4}}-\d{{2}}-\d{{2}}))"
)

Part = tuple[str, re.Pattern[str], Callable[[re.Match[str], Parts, datetime], None]]


def _part(slot: str, pattern: str, build: Callable[[re.Match[str], Parts, datetime], None]) -> Part:
    return slot, re.compile(rf"(?:{pattern})(?=$|[\s,.;:!?])"), build


NTH_PREFIX = (
    r"(?:(?:every|each|on the|the|chaque|tous les|toutes les|le|les|elke|iedere|op de|de)\s+)?"
)

# More specific first: "every first monday" before "every monday", "tous les jours de
# semaine" before "tous les jours".
PARTS: list[Part] = [
    _part("cron", r"cron\s+(?P<expr>\S+\s+\S+\s+\S+\s+\S+\s+\S+)", _cron),
    _part("recurrence", rf"{NTH_PREFIX}{ORD}\s+{WD}\s+{OF_THE_MONTH}", _nth_weekday),
    _part(
        "recurrence",
        rf"(?:every|each)\s+(?:other|second|2nd)\s+{WD}|every\s+(?:2|two)\s+weeks\s+on\s+{WD}"
        rf"|every other week on {WD}|fortnightly on {WD}"
        rf"|un {WD} sur deux|tous les deux {WD}|toutes les deux semaines,? le {WD}"
        rf"|une semaine sur deux,? le {WD}"
        rf"|om de (?:week|twee weken|2 weken),? (?:op )?{WD}|om de andere {WD}"
        rf"|(?:elke|iedere) (?:twee|2) weken,? op {WD}|tweewekelijks op {WD}",
        _biweekly,
    ),
    _part("recurrence", rf"{NTH_PREFIX}{ORD}\s+{WD}", _nth_weekday),
    _part(
        "recurrence",
        r"every weekday|each weekday|(?:on )?weekdays|every working day|every workday"
        r"|(?:tous les|chaque) jours? (?:de (?:la )?semaine|ouvrables?)|en semaine"
        r"|les jours de semaine|du lundi au vendredi"
        r"|(?:elke|iedere) (?:werkdag|weekdag)|op werkdagen|door de week",
        _workdays,
    ),
    _part(
        "recurrence",
        r"every day|each day|daily|everyday|chaque jour|tous les jours|quotidiennement"
        r"|(?:elke|iedere) dag|dagelijks|alle dagen",
        _daily,
    ),
    _part(
        "recurrence",
        rf"(?:every|each) month on the {DAYNUM}{DAYNUM_SUFFIX}"
        rf"|(?:every|each) {DAYNUM}{DAYNUM_SUFFIX}(?: day)?(?: {OF_THE_MONTH})?"
        rf"|(?:on the|the) {DAYNUM}{DAYNUM_SUFFIX} {OF_THE_MONTH}"
        rf"|monthly on the {DAYNUM}{DAYNUM_SUFFIX}"
        rf"|(?:le|tous les|chaque) {DAYNUM}{DAYNUM_SUFFIX} {OF_THE_MONTH}"
        rf"|(?:chaque mois|tous les mois),? le {DAYNUM}{DAYNUM_SUFFIX}"
        rf"|(?:elke|iedere|op de|de) {DAYNUM}{DAYNUM_SUFFIX} {OF_THE_MONTH}"
        rf"|(?:elke|iedere) maand,? op de {DAYNUM}{DAYNUM_SUFFIX}",
        _month_day,
    ),
    _part(
        "recurrence",
        r"every month|each month|monthly|chaque mois|tous les mois|mensuellement"
        r"|(?:elke|iedere) maand|maandelijks",
        _every_month,
    ),
    _part(
        "recurrence",
        rf"(?:every|each) week(?: on {WD})?|weekly(?: on {WD})?"
        rf"|(?:chaque semaine|toutes les semaines)(?:,? le {WD})?"
        rf"|(?:elke|iedere) week(?: op {WD})?|wekelijks(?: op {WD})?",
        _every_week,
    ),
    _part(
        "recurrence",
        rf"(?:every|each|chaque|tous les|elke|iedere) {WD}(?:{AND}{WD})*"
        rf"|on {WD}s(?:{AND}{WD})*|on {WD}(?:{AND}{WD})+"
        rf"|les? {WD}(?:{AND}{WD})*"
        rf"|op {WD}(?:{AND}{WD})+|op {WD}en(?:{AND}{WD})*",
        _weekly,
    ),
    _part("relative", r"in (?:an|one) hour|dans une heure|over een uur", _relative),
    _part(
        "relative",
        r"in half an hour|dans une demi-heure|over een half uur|over een halfuur",
        _relative,
    ),
    _part(
        "relative",
        r"(?:in|dans|over) \d+\s*(?:minutes?|mins?|hours?|hrs?|h|heures?|uur|uren|days?|d"
        r"|jours?|dagen|dag|weeks?|w|semaines?|weken|week)",
        _relative,
    ),
    _part(
        "day",
        r"today|tonight|this evening|aujourd'hui|ce soir|vandaag|vanavond",
        _today,
    ),
    _part(
        "day",
        r"(?:the )?day after tomorrow|tomorrow(?: (?:morning|evening|night))?|apres-demain"
        r"|apres demain|demain(?: (?:matin|soir))?|overmorgen|morgen(?:avond|ochtend|vroeg)?"
        r"|morgen(?: (?:avond|ochtend))?",
        _tomorrow,
    ),
    _part(
        "until",
        rf"(?:until|till|through|up to|jusqu'au|jusqu'a|jusqu'en|tot en met|t/m|tot)\s+"
        rf"(?:the\s+|le\s+)?{DATE_WORDS}",
        _until,
    ),
    _part("day", rf"(?:on\s+|le\s+|op\s+)?(?:the\s+)?{DATE_WORDS}", _date_words),
    _part(
        "day",
        rf"(?:(?:on|next|this|coming|op|volgende|aanstaande|komende)\s+)?{WD}(?:\s+prochain)?",
        _weekday_once,
    ),
    _part(
        "daypart",
        r"in the (?:morning|afternoon|evening)|at night|du matin|de l'apres-midi"
        r"|de l'apres midi|du soir|de la nuit|'s (?:ochtends|morgens|middags|avonds|nachts)"
        r"|in de (?:ochtend|middag|avond)|\bam\b|\bpm\b",
        _daypart,
    ),
    _part("clock", rf"{AT}?(?:noon|midday|midnight|midi|minuit|middernacht)", _noon),
    _part(
        "clock",
        rf"{AT}?(?:(?:half|kwart over|kwart voor)\s+(?P<hw>{_alternatives(DUTCH_HOURS)}|1[0-2]"
        r"|[1-9]))",
        _clock_dutch,
    ),
    _part("clock", rf"{AT}?(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?:\s*{AMPM})?", _clock_hm),
    _part(
        "clock",
        rf"{AT}?(?P<h>[01]?\d|2[0-3])\s*(?:h|heures?|uur|u)(?:\s*(?P<m>[0-5]\d))?(?:\s*{AMPM})?",
        _clock_hm,
    ),
    _part("clock", rf"{AT}?(?P<h>[01]?\d|2[0-3])\s*{AMPM}", _clock_hm),
    _part("clock", rf"{AT}(?P<h>[01]?\d|2[0-3])(?:\s*o'?clock)?", _clock_bare),
]


def read_parts(phrase: str, now: datetime) -> Parts | None:
    """The parts of a whole phrase (folded), or None if any of it is not WHEN."""
    parts = Parts()
    taken: set[str] = set()
    position = 0
    text = phrase.strip()
    while position < len(text):
        if text[position] in " ,":
            position += 1
            continue
        for slot, pattern, build in PARTS:
            match = pattern.match(text, position)
            if match is None or match.end() == position:
                continue
            group = "date" if slot in ("day", "recurrence", "relative") else slot
            if group in taken:
                continue
            build(match, parts, now)
            taken.add(group)
            position = match.end()
            break
        else:
            return None
    if parts.cron and len(taken) > 1:
        return None  # a cron expression says everything on its own
    return parts if taken else None


def read_date(words: str, now: datetime) -> date:
    """An absolute date in any of the three languages, the next one from today on."""
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?", words)
    if numeric:
        day, month, year = numeric.groups()
        return _future_date(int(day), int(month), int(year) if year else None, now)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", words)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError as exc:
            raise Unreadable("unreadable") from exc
    cleaned = re.sub(r"(\d)(?:st|nd|rd|th|er|re|e|de|ste)\b", r"\1", words).replace(" of ", " ")
    has_year = bool(re.search(r"\d{4}", cleaned))
    parsed = dateparser.parse(
        cleaned,
        languages=["en", "fr", "nl"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "DATE_ORDER": "DMY",
            "REQUIRE_PARTS": ["day", "month"],
        },
    )
    if parsed is None:
        raise Unreadable("unreadable")
    if has_year:
        return parsed.date()
    return _future_date(parsed.day, parsed.month, None, now)


def _future_date(day: int, month: int, year: int | None, now: datetime) -> date:
    if year is not None and year < 100:
        year += 2000
    try:
        if year is not None:
            return date(year, month, day)
        found = date(now.year, month, day)
        return found if found >= now.date() else date(now.year + 1, month, day)
    except ValueError as exc:
        raise Unreadable("unreadable") from exc


# -- from parts to a rule --------------------------------------------------------------------


def _with_daypart(clock: Clock, daypart: str | None) -> Clock:
    if daypart is None:
        return clock
    hour = clock.hour
    if (daypart == "pm" and hour < 12) or (daypart == "night" and 6 <= hour < 12):
        hour += 12
    elif daypart == "am" and hour == 12:
        hour = 0
    return Clock(hour, clock.minute)


def cron_rule(expression: str) -> Rule:
    """Cron's own meaning: minute hour day month weekday, Sunday 0 (or 7), Monday 1.
    APScheduler counts weekdays from Monday = 0, so numbers are turned into names first."""
    fields = expression.split()
    if len(fields) != 5:
        raise Unreadable("bad-cron")
    minute, hour, day, month, weekdays = fields
    names = _cron_weekdays(weekdays)
    if not valid_cron_fields(minute=minute, hour=hour, day=day, month=month, day_of_week=names):
        raise Unreadable("bad-cron")
    return Rule(
        CRON, minute=minute, hour=hour, day=day, month=month, day_of_week=names,
        expression=" ".join(fields),
    )  # fmt: skip


def _cron_weekdays(field: str) -> str:
    if field == "*":
        return "*"
    chosen: set[int] = set()
    for item in field.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            if not step_text.isdecimal():
                raise Unreadable("bad-cron")
            step = int(step_text)
        if item == "*":
            low, high = 0, 6
        elif re.fullmatch(r"\d-\d", item):
            low, high = (int(n) for n in item.split("-"))
        elif re.fullmatch(r"\d", item):
            low = high = int(item)
        elif item[:3] in CRON_WEEKDAYS:
            low = high = CRON_WEEKDAYS.index(item[:3])
        else:
            raise Unreadable("bad-cron")
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high and step >= 1):
            raise Unreadable("bad-cron")
        chosen.update(n % 7 for n in range(low, high + 1, step))
    # In APScheduler's order (Monday first), so the rule reads the same way back.
    return ",".join(CRON_WEEKDAYS[n] for n in sorted(chosen, key=lambda n: (n - 1) % 7))


def rule_from_parts(parts: Parts, zone_name: str, now_utc: datetime) -> When:
    """Raises Unreadable(no-time) when a time is needed but missing."""
    tz = ZoneInfo(zone_name)
    now = wall_clock(now_utc, tz)
    if parts.cron:
        return When(cron_rule(parts.cron))
    if parts.relative is not None:
        if parts.relative < timedelta(days=1):
            if parts.clock is not None:
                raise Unreadable("unreadable")
            # Minutes and hours are elapsed time, whatever the clocks do meanwhile.
            return When(once(wall_clock(now_utc + parts.relative, tz)))
        day = (now + parts.relative).date()
        clock = parts.clock or Clock(now.hour, now.minute)
        parts = replace(parts, day=day, clock=clock)
    if parts.clock is None:
        raise Unreadable("no-time")
    clock = _with_daypart(parts.clock, parts.daypart)
    variants = [clock]
    if clock.ambiguous and parts.daypart is None:
        variants.append(Clock(clock.hour + 12, clock.minute))
    rules = [_rule_at(parts, c, tz, now) for c in variants]
    return When(rules[0], rules[1] if len(rules) > 1 else None)


def _rule_at(parts: Parts, clock: Clock, tz: ZoneInfo, now: datetime) -> Rule:
    at = time(clock.hour, clock.minute)
    until = parts.until.isoformat() if parts.until else None
    recurrence = parts.recurrence
    if recurrence is None:
        day = parts.day or now.date()
        moment = datetime.combine(day, at)
        if moment <= now and (parts.day is None or parts.day_words == "weekday"):
            # "at 18:00" after six means tomorrow; "friday 9:00" on a Friday afternoon, next week
            moment += timedelta(days=7 if parts.day_words == "weekday" else 1)
        return once(moment)
    common: dict[str, Any] = {"minute": str(clock.minute), "hour": str(clock.hour), "until": until}
    if recurrence["type"] == "weekly":
        days = recurrence["days"] or [now.weekday()]
        names = ",".join(CRON_WEEKDAYS[(d + 1) % 7] for d in days) if len(days) < 7 else "*"
        weeks = recurrence.get("every_weeks", 1)
        anchor = None
        if weeks > 1:
            first = _first_on_weekday(days[0], at, now)
            anchor = first.isoformat()
        return Rule(CRON, day_of_week=names, every_weeks=weeks, anchor=anchor, **common)
    if recurrence["type"] == "monthly":
        day = recurrence["day"] or now.day
        if day > 31:
            raise Unreadable("unreadable")
        return Rule(CRON, day="last" if day > 28 and not recurrence["day"] else str(day), **common)
    weekday = CRON_WEEKDAYS[(recurrence["weekday"] + 1) % 7]
    return Rule(CRON, day=f"{recurrence['ordinal']} {weekday}", **common)


def _first_on_weekday(weekday: int, at: time, now: datetime) -> date:
    ahead = (weekday - now.weekday()) % 7
    day = now.date() + timedelta(days=ahead)
    if ahead == 0 and datetime.combine(day, at) <= now:
        day += timedelta(days=7)
    return day


# -- WHEN and TEXT in one line ---------------------------------------------------------------

_TOKEN = re.compile(r"\S+")
_LEADING_SEPARATOR = re.compile(r"^(?:[:\-–—|,;]+\s*|to\s+|que\s+|dat\s+)", re.IGNORECASE)
MAX_WHEN_WORDS = 14


def split_when(text: str, zone_name: str, now_utc: datetime) -> Split:
    """The longest beginning of `text` that is WHEN, and the rest as TEXT."""
    tokens = list(_TOKEN.finditer(text))
    now = wall_clock(now_utc, ZoneInfo(zone_name))
    problem = "unreadable"
    for count in range(min(len(tokens), MAX_WHEN_WORDS), 0, -1):
        end = tokens[count - 1].end()
        phrase = normalize(text[:end]).rstrip(",;:")
        try:
            parts = read_parts(phrase, now)
        except Unreadable as unreadable:
            problem = unreadable.problem
            continue
        if parts is None:
            continue
        rest = _LEADING_SEPARATOR.sub("", text[end:].strip()).strip()
        try:
            return Split(rule_from_parts(parts, zone_name, now_utc), None, rest)
        except Unreadable as unreadable:
            return Split(None, unreadable.problem, rest)
    return Split(None, problem, text.strip())


def read_when(text: str, zone_name: str, now_utc: datetime) -> When:
    """The whole of `text` as WHEN (the step-by-step questions); raises Unreadable."""
    split = split_when(text, zone_name, now_utc)
    if split.when is None:
        raise Unreadable(split.problem or "unreadable")
    if split.text:
        raise Unreadable("unreadable")
    return split.when


def first_instant(rule: Rule, zone_name: str) -> datetime | None:
    """A one-off's moment (for "that is in the past")."""
    if rule.at is None:
        return None
    return place(datetime.fromisoformat(rule.at), ZoneInfo(zone_name))
