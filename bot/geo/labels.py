"""How a place is named to a reader: in their language, distinguishable from its namesakes."""

from __future__ import annotations

from babel import Locale

from bot.geo.gazetteer import Place


def place_label(place: Place, language: str, typed: str | None = None) -> str:
    """'Paris, France' / 'Paris, TX, États-Unis': enough to tell places apart."""
    country = Locale.parse(language).territories.get(place.country_code, place.country_code)
    name = display_name(place, typed)
    if place.country_code == "US" and place.admin1_code:
        return f"{name}, {place.admin1_code}, {country}"
    return f"{name}, {country}"


def display_name(place: Place, typed: str | None) -> str:
    """The name as the member wrote it ("Bruxelles", "Den Haag"), else the GeoNames name."""
    if typed and typed.strip():
        cleaned = " ".join(typed.split())
        return cleaned if any(c.isupper() for c in cleaned) else cleaned.title()
    return place.name
