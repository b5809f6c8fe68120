"""Which language a member reads: saved choice, platform hint, chat, organization default."""

from __future__ import annotations

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "nl")


def normalize_language(code: str | None) -> str | None:
    """Map a platform hint such as 'fr-BE', 'nl_NL' or 'EN' to a supported language."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None


def negotiate_language(
    saved: str | None,
    hint: str | None,
    chat_language: str | None,
    default: str,
) -> str:
    for candidate in (saved, normalize_language(hint), chat_language):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return default


def autonym(language: str) -> str:
    """A language named in itself ("Français"), whatever the reader's language."""
    from babel import Locale

    return Locale.parse(language).get_display_name(language).capitalize()
