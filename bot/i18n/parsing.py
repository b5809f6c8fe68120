"""Understanding what members type, whatever their language (kept apart from output)."""

from __future__ import annotations

import re
import unicodedata

# Words that join list items ("1, 3 and 5", "1, 3 et 5", "1, 3 en 5").
_LIST_SEPARATORS = re.compile(r"\s*(?:,|;|/|\+|&|\band\b|\bet\b|\ben\b)\s*", re.IGNORECASE)


# Typographic apostrophes (the catalogs' "l’étape") read as the one keyboards type ("l'étape").
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-insensitive form for comparing what a member typed with a
    label. No-break spaces fold to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


# No answer to a question is longer than this: a longer "number" is out of range, not parsed
# (int() refuses over 4,300 digits, and would be slow long before).
MAX_NUMBER_DIGITS = 6


def whole_number(text: str) -> int | None:
    """'3', '０３', '٣' → 3; None for anything else: '²' passes str.isdigit() yet is no number,
    and a 5,000-digit string is no answer. Negative numbers are not answers either."""
    if not text.isdecimal() or len(text) > MAX_NUMBER_DIGITS:
        return None
    return int(text)


def split_list(text: str) -> list[str]:
    """'1, 3 and 5' / '1 3 5' / 'writing et events' → the items, in order."""
    items: list[str] = []
    for part in _LIST_SEPARATORS.split(text.strip()):
        part = part.strip()
        if re.fullmatch(r"[\d\s]+", part):
            items.extend(part.split())  # "1 3 5": numbers need no other separator
        elif part:
            items.append(part)
    return items


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """'50.85 4.35', '50.85, 4.35' or '50,85 4,35' → (lat, lon) within range, else None."""
    cleaned = text.strip()
    match = re.fullmatch(r"(-?\d+(?:[.,]\d+)?)\s*[ ,;]\s*(-?\d+(?:[.,]\d+)?)", cleaned)
    if not match:
        return None
    lat, lon = (float(group.replace(",", ".")) for group in match.groups())
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
