"""Members type straight apostrophes and plain spaces; the catalogs write ’ and no-break spaces."""

from __future__ import annotations

from bot.core.choices import Resolved, resolve_typed_choice
from bot.i18n.parsing import fold


def test_typographic_apostrophes_and_no_break_spaces_fold_to_what_keyboards_type() -> None:
    assert fold("Jusqu’à la clôture") == fold("jusqu'a la cloture")
    assert fold("Pas de date de clôture\u00a0: je le clôturerai") == fold(
        "pas de date de cloture : je le cloturerai"
    )


def test_a_label_with_a_typographic_apostrophe_can_be_typed() -> None:
    prompt = {
        "options": [
            ["multiple", "Plusieurs choix possibles"],
            ["hidden", "Résultats cachés jusqu’à la clôture du sondage"],
        ],
        "multiple": True,
    }
    typed = "résultats cachés jusqu'à la clôture du sondage"
    assert resolve_typed_choice(prompt, typed) == Resolved(("hidden",))


def test_the_language_of_first_words_is_guessed_only_when_clear() -> None:
    from bot.i18n.guess import guess_language

    assert guess_language("Bonjour !") == "fr"
    assert guess_language("Goedemorgen, ik wil graag lid worden") == "nl"
    assert guess_language("hi, I want to join") == "en"
    # Nothing to go on, or words the languages share: no guess (the default greets).
    assert guess_language("1") is None
    assert guess_language("ok") is None
    assert guess_language("bonjour hallo") is None  # a tie
    assert guess_language("de en") is None
    assert guess_language("\udcff" * 10_000) is None
