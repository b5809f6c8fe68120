"""gettext catalogs for en, fr and nl, loaded once per process."""

from __future__ import annotations

import gettext
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n.locale import SUPPORTED_LANGUAGES

DOMAIN = "messages"
log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


@dataclass(frozen=True, slots=True)
class Translator:
    language: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)


class Catalogs:
    """The compiled catalogs of every supported language."""

    def __init__(self, locales_dir: Path) -> None:
        self.locales_dir = locales_dir
        self._translators = {
            lang: Translator(lang, self._load(lang)) for lang in SUPPORTED_LANGUAGES
        }

    def translator(self, language: str) -> Translator:
        return self._translators.get(language) or self._translators["en"]

    def _load(self, language: str) -> gettext.NullTranslations:
        folder = self.locales_dir / language / "LC_MESSAGES"
        mo_path, po_path = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
        if mo_path.exists() and (
            not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
        ):
            with mo_path.open("rb") as handle:
                return gettext.GNUTranslations(handle)
        if po_path.exists():
            # No up-to-date .mo (a source checkout): compile in memory, never fall back to English.
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            buffer.seek(0)
            return gettext.GNUTranslations(buffer)
        if language != "en":
            log.warning("no catalog for %s in %s; messages will be in English", language, folder)
        return gettext.NullTranslations()
