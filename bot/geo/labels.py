"""How a place is named to a reader: in their language, distinguishable from its namesakes."""

from __future__ import annotations

from babel import Locale

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
