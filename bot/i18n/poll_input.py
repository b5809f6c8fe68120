"""Reading a one-line poll in any of the three languages:
`Question? | Option A | Option B | anonymous | closes friday 18:00`.

Settings may come in any order among the options; what is not a setting is an option."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n.formatting import zone
from bot.i18n.parsing import fold

FLAG_WORDS: dict[str, set[str]] = {
    "multiple": {
        "multiple",
        "multiple choice",
        "several",
        "choix multiple",
        "choix multiples",
        "plusieurs",
        "plusieurs choix",
        "meerkeuze",
        "meerdere",
        "meerdere keuzes",
    },
    "anonymous": {"anonymous", "anonyme", "anoniem", "secret ballot", "vote secret", "geheim"},
    "hidden": {
        "hidden",
        "hidden results",
        "results hidden",
        "resultats caches",
        "caches",
        "resultats masques",
        "verborgen",
        "verborgen resultaten",
        "resultaten verborgen",
    },
}
_DEADLINE_WORDS = re.compile(
    r"^(?:closes?|closing|deadline|until|ends?|ferme|fermeture|cl[oô]ture|jusqu['’]?[aà]|"
    r"sluit|sluiting|tot|eindigt)\b[\s:]*",
)
_DURATION = re.compile(
    r"^(?:in\s+|dans\s+|over\s+)?(-?\s*\d+)\s*(h|hours?|heures?|uur|u|d|days?|jours?|dagen|dag|"
    r"min|minutes?|minuten|w|weeks?|semaines?|weken|week)$"
)
_UNITS = {
    "h": "hours", "hour": "hours", "hours": "hours", "heure": "hours", "heures": "hours",
    "uur": "hours", "u": "hours",
    "d": "days", "day": "days", "days": "days", "jour": "days", "jours": "days",
    "dag": "days", "dagen": "days",
    "min": "minutes", "minute": "minutes", "minutes": "minutes", "minuten": "minutes",
    "w": "weeks", "week": "weeks", "weeks": "weeks", "semaine": "weeks", "semaines": "weeks",
    "weken": "weeks",
}  # fmt: skip
# "18h", "18h30", "20u", "9 uur" → "18:00", "18:30", "20:00", "9:00" for the date parser.
# How far ahead a poll may close: further is surely a typing mistake (or a joke).
MAX_AHEAD = timedelta(days=366)
# A duration beyond what a date can hold: refused as too far ahead, never an OverflowError.
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_HOUR = re.compile(r"\b(\d{1,2})\s*(?:h|u|uur)\s*(\d{2})?\b")


@dataclass
class PollDraft:
    question: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    anonymous: bool = False
    hidden: bool = False
    deadline_text: str | None = None


def flag_of(segment: str) -> str | None:
    folded = fold(segment)
    return next((flag for flag, words in FLAG_WORDS.items() if folded in words), None)


def looks_like_deadline(segment: str) -> bool:
    folded = fold(segment)
    return bool(_DEADLINE_WORDS.match(folded) or _DURATION.match(folded))


def split_poll(text: str) -> PollDraft:
    """The question, then options and settings, separated by | or new lines."""
    first, *rest = re.split(r"\s*\|\s*|\n+", text.strip())
    draft = PollDraft(question=" ".join(first.split()))
    for part in (p.strip() for p in rest):
        if not part:
            continue
        flag = flag_of(part)
        if flag:
            setattr(draft, flag, True)
        elif looks_like_deadline(part):
            draft.deadline_text = part
        else:
            draft.options.append(part)
    return draft


def parse_deadline(
    text: str, language: str, timezone: str | None, now: datetime
) -> datetime | None:
    """'closes friday 18:00', 'ferme dans 2 jours', 'sluit morgen om 20u', '48h' → an aware
    moment, understood in the reader's language and time zone; None if not understood.
    '-5h' is five hours ago (the caller says it has passed)."""
    folded = fold(text)
    rest = _DEADLINE_WORDS.sub("", folded).strip()
    duration = _DURATION.match(rest)
    if duration:
        digits, unit = "".join(duration.group(1).split()), _UNITS[duration.group(2)]
        try:
            return now + timedelta(**{unit: int(digits)})
        except (OverflowError, ValueError):  # more days than a date can hold, either way
            return now - timedelta(days=1) if digits.startswith("-") else FAR_FUTURE
    # The date parser wants the original accents ("décembre") but our cleaned-up keyword.
    original = _DEADLINE_WORDS.sub("", text.strip().lower()).strip() or text
    original = _HOUR.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", original)
    tz = zone(timezone)
    try:
        return _parse_date(original, language, tz, now)
    except (OverflowError, ValueError):  # "in 99999999999 years", a year past 9999
        return None


def _parse_date(original: str, language: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    parsed = dateparser.parse(
        original,
        languages=[language, "en", "fr", "nl"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None),
            "TIMEZONE": tz.key,
            "RETURN_AS_TIMEZONE_AWARE": True,
        },
    )
    return parsed
