"""Which of our languages a short message is written in, from the words greetings and first
messages use ("Bonjour", "Hallo, ik wil lid worden", "hi, I'd like to join").

For platforms that give no language hint (Matrix): the newcomer's first words choose the
language of the greeting. Words the languages share ("de", "en", "je", "in") count for none.
"""

from __future__ import annotations

import re

from bot.i18n.parsing import fold


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "hello hi hey hiya good morning afternoon evening thanks thank please i im i'm want "
        "would like join to the a an and is are am my me you yes what how why with for of "
        "about there here can help"
    ),
    "fr": _words(
        "bonjour bonsoir salut coucou merci je j suis voudrais veux aimerais souhaite "
        "rejoindre adherer oui moi nous vous est c qui quoi comment pourquoi avec pour dans "
        "les des une du au aux et ou mais bien tres s'il plait svp"
    ),
    "nl": _words(
        "hallo hoi goedemorgen goedemiddag goedenavond goedendag dag dank bedankt ik wil "
        "graag ben het een van niet wat hoe waarom lid worden afdeling mijn jij ja nee met "
        "voor naar ook maar zijn heb kan alsjeblieft aansluiten"
    ),
}
# Written alike in two of them: no evidence for either.
_SHARED = frozenset(
    word
    for lang, words in _WORDS.items()
    for other, more in _WORDS.items()
    if other != lang
    for word in words & more
)
_TOKEN = re.compile(r"[a-z']+")


def guess_language(text: str) -> str | None:
    """The language most of the known words belong to; None when unsure (no known word, or
    a tie)."""
    tokens = [t.strip("'") for t in _TOKEN.findall(fold(text)[:500])]
    scores = {
        lang: sum(1 for t in tokens if t in words and t not in _SHARED)
        for lang, words in _WORDS.items()
    }
    best = max(scores.values())
    winners = [lang for lang, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None
