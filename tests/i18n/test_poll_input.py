"""The words the poll messages teach, in each language, are the words the poll parser reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.i18n.catalog import Catalogs
from bot.i18n.poll_input import flag_of, looks_like_deadline, parse_deadline, split_poll

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday
ZONE = "Europe/Brussels"
USAGE = (
    "Usage: /poll Question? | Option 1 | Option 2 (up to 10), and if you like: multiple, "
    "anonymous, hidden, closes friday 18:00."
)
ASK_DEADLINE = "When does the poll close? For example “friday 18:00” or “48h”."
BAD_DEADLINE = (
    "I don't understand the deadline “%(deadline)s”. Try for example “closes friday 18:00” "
    "or “48h”."
)
QUOTED = re.compile(r"[«“]\s*(.+?)\s*[»”]")


def said(locales_dir: Path, lang: str, message: str) -> str:
    text = Catalogs(locales_dir).translator(lang).gettext(message)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_the_settings_of_the_usage_message_are_understood(locales_dir: Path, lang: str) -> None:
    usage = said(locales_dir, lang, USAGE)
    # "…and if you like: multiple, anonymous, hidden, closes friday 18:00." (not 18:00's colon)
    settings = re.split(r":\s", usage)[-1].rstrip(".").split(", ")
    *flags, deadline = settings
    assert [flag_of(word) for word in flags] == ["multiple", "anonymous", "hidden"]
    assert looks_like_deadline(deadline)
    moment = parse_deadline(deadline, lang, ZONE, NOW)
    assert moment is not None and (moment.weekday(), moment.hour) == (4, 18)

    draft = split_poll(" | ".join(["Question?", "A", "B", *settings]))
    assert (draft.multiple, draft.anonymous, draft.hidden) == (True, True, True)
    assert draft.options == ["A", "B"] and draft.deadline_text == deadline


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
@pytest.mark.parametrize("message", [ASK_DEADLINE, BAD_DEADLINE])
def test_the_deadline_examples_are_understood(locales_dir: Path, lang: str, message: str) -> None:
    examples = QUOTED.findall(said(locales_dir, lang, message))
    examples = [e for e in examples if "%(" not in e]
    assert len(examples) == 2, examples
    on_friday, in_two_days = (parse_deadline(e, lang, ZONE, NOW) for e in examples)
    assert on_friday is not None and (on_friday.weekday(), on_friday.hour) == (4, 18)
    assert in_two_days == NOW.replace(day=3)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("plusieurs choix", "multiple"),
        ("Plusieurs choix", "multiple"),
        ("plusieurs", "multiple"),
        ("résultats cachés", "hidden"),
        ("resultats caches", "hidden"),
        ("cachés", "hidden"),
        ("anonyme", "anonymous"),
        ("meerdere", "multiple"),
        ("verborgen", "hidden"),
        ("anoniem", "anonymous"),
    ],
)
def test_setting_words(text: str, flag: str) -> None:
    assert flag_of(text) == flag


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "clôture vendredi 18h"),
        ("fr", "cloture vendredi 18h"),
        ("fr", "ferme vendredi 18h"),
        ("nl", "sluit vrijdag 18:00"),
        ("nl", "sluit vrijdag 18 uur"),
        ("nl", "sluit vrijdag om 18u"),
        ("en", "closes friday 18:00"),
    ],
)
def test_friday_evening_in_each_language(lang: str, text: str) -> None:
    assert looks_like_deadline(text)
    moment = parse_deadline(text, lang, ZONE, NOW)
    assert moment is not None and (moment.weekday(), moment.hour, moment.minute) == (4, 18, 0)


@pytest.mark.parametrize("text", ["48 uur", "48 h", "48\u00a0h", "48h", "48 heures", "48 hours"])
def test_two_days(text: str) -> None:
    assert looks_like_deadline(text)
    assert parse_deadline(text, "nl", ZONE, NOW) == NOW.replace(day=3)
