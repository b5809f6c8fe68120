"""Words for one reader: their language, their time zone, values escaped for the markup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.markup import Markup, escape_values
from bot.i18n.catalog import Translator
from bot.i18n.formatting import Formatter


class Voice:
    def __init__(self, translator: Translator, timezone: str | None = None) -> None:
        self.translator = translator
        self._timezone = timezone

    @property
    def language(self) -> str:
        return self.translator.language

    @property
    def timezone(self) -> str | None:
        return self._timezone

    @property
    def fmt(self) -> Formatter:
        return Formatter(self.language, self.timezone)

    def _(self, message: str, **values: Any) -> str:
        """Translate, then fill in named values, escaped for the HTML subset."""
        text = self.translator.gettext(message)
        return Markup(text % escape_values(values)) if values else Markup(text)

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        text = self.translator.ngettext(singular, plural, count)
        return Markup(text % escape_values({"count": count, **values}))

    def when(self, moment: datetime) -> str:
        """A moment in the reader's language and time zone: "vendredi 4 décembre à 18:00"."""
        fmt = self.fmt
        # TRANSLATORS: a day and a time, e.g. "Friday, December 4 at 6:00 PM".
        return self._("%(date)s at %(time)s", date=fmt.day(moment), time=fmt.time(moment))
