"""How a place is named to a reader: in their language, distinguishable from its namesakes."""

from __future__ import annotations

import functools

from babel import Locale
from babel.languages import get_official_languages

from bot.geo.exonyms import name_in
from bot.geo.gazetteer import Place


def place_label(place: Place, language: str, typed: str | None = None) -> str:
    """'Paris, France' / 'Paris, TX, États-Unis': enough to tell places apart."""
    country = Locale.parse(language).territories.get(place.country_code, place.country_code)
    name = name_in(place.geoname_id, language) or display_name(place, typed)
    if place.country_code == "US" and place.admin1_code:
        return f"{name}, {place.admin1_code}, {country}"
    return f"{name}, {country}"


def display_name(place: Place, typed: str | None) -> str:
    """The name as the member wrote it ("Bruxelles", "Den Haag"), else the GeoNames name."""
    if typed and typed.strip():
        cleaned = " ".join(typed.split())
        return cleaned if any(c.isupper() for c in cleaned) else cleaned.title()
    return place.name


def place_in(language: str, place_id: int | None, stored: str | None) -> str:
    """A member's town for a reader: in the reader's language where its name differs
    ("Liège" for a French reader, though the member typed "Luik"), else as stored."""
    return name_in(place_id, language) or stored or ""


def named_place(language: str, place: Place, typed: str | None) -> str:
    """A place a member looked up, named for them."""
    return name_in(place.geoname_id, language) or display_name(place, typed)


# A namesake this many times smaller is no real rival ("Amsterdam": the Dutch capital has 40
# times the people of Amsterdam, NY). London, Ontario (1/21 of London) still deserves asking.
OBVIOUS_RATIO = 25


@functools.cache
def countries_speaking(language: str) -> frozenset[str]:
    """Where `language` is an official (or de facto) language."""
    territories = Locale("en").territories
    return frozenset(
        code
        for code in territories
        if len(code) == 2 and language in get_official_languages(code, de_facto=True)
    )


def obvious_place(places: list[Place], language: str) -> Place | None:
    """Among namesakes, the one a speaker of `language` surely means: by far the largest, and
    in a country that speaks their language. None when a choice is really needed."""
    if len(places) < 2:
        return None
    first, second = sorted(places, key=lambda p: p.population, reverse=True)[:2]
    if first.population < OBVIOUS_RATIO * max(second.population, 1):
        return None
    return first if first.country_code in countries_speaking(language) else None
