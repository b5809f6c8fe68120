"""The catalogs are complete: every message in the code is translated, not fuzzy, with the
same placeholders, and the right number of plural forms. French and Dutch messages also read
as each language writes them: typography, times, and the words of the glossary."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n.catalog import Catalogs
from bot.i18n.locale import negotiate_language, normalize_language

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the code asks for today (not what the committed template says)."""
    target = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(target), "bot"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return read(target)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


# -- typography ------------------------------------------------------------------------------
# French puts a no-break space (U+00A0, or the narrow U+202F) before : ; ! ? » and after «,
# and between a number and its unit ("12,5 km"), so that no sign wraps alone onto a new line.
# The catalogs use U+00A0 before : and inside « », U+202F before ; ! ?.
NO_BREAK = "\u00a0\u202f"
# What the rules do not read: placeholders (they stand for a word), markup, entities, URLs.
_WORD_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
_UNREAD = re.compile(r"<[^>]*>|&#?\w+;|https?://\S+")
_UNITS = r"km|m|cm|kg|g|h|min|s|minutes?|heures?|jours?|semaines?|mois|ans?|%|€"
_PLAIN_SPACE_BEFORE_UNIT = re.compile(rf"\d (?:{_UNITS})(?!\w)")


def _readable(text: str) -> str:
    return _UNREAD.sub("", _WORD_PLACEHOLDER.sub("x", text))


def _around(text: str, at: int) -> str:
    return repr(text[max(0, at - 15) : at + 15])


def french_typography(text: str) -> list[str]:
    """What a French reader would see as wrong in `text` (a msgstr); [] when nothing is.

    Flags a plain space or no space at all before : ; ! ? » and after «, a plain space
    between a number and its unit, straight apostrophes and English quotes. Times (18:00),
    Matrix commands (!connect), placeholders, HTML tags and URLs are left alone."""
    problems = []
    readable = _readable(text)
    for at, char in enumerate(readable):
        before = readable[at - 1] if at else ""
        after = readable[at + 1 : at + 2]
        if char == "'":
            problems.append(f"straight apostrophe, write ’: {_around(readable, at)}")
        elif char in '“”"':
            problems.append(f"English quotes, write « »: {_around(readable, at)}")
        elif char == "«":
            if after not in NO_BREAK or not after:
                kind = "plain space" if after == " " else "no no-break space"
                problems.append(f"{kind} after «: {_around(readable, at)}")
        elif char in ":;!?»":
            if char == ":" and before.isdigit() and after.isdigit():
                continue  # a time: 18:00
            if char == "!" and after.isalpha() and before in ("", " ", "(", *NO_BREAK):
                continue  # a Matrix command: !connect
            if char in "!?" and before and before in "!?":
                continue  # ?!
            if not before or before not in NO_BREAK:
                kind = "plain space" if before == " " else "no no-break space"
                problems.append(f"{kind} before {char}: {_around(readable, at)}")
    for match in _PLAIN_SPACE_BEFORE_UNIT.finditer(readable):
        problems.append(f"plain space before a unit: {_around(readable, match.start())}")
    return problems


# Dutch writes times as 18:00 or 18 uur (not the Flemish-only 18u), durations as 48 uur.
_DUTCH_HOURS = re.compile(r"\b\d{1,2}(?:[.:]\d{2})? ?u(?:\d{2})?\b|\b\d+ ?h\b")


def dutch_typography(text: str) -> list[str]:
    """What a Dutch reader would see as wrong in `text` (a msgstr); [] when nothing is."""
    readable = _readable(text)
    problems = [
        f"write times as 18:00 or 18 uur, durations as 48 uur: {_around(readable, m.start())}"
        for m in _DUTCH_HOURS.finditer(readable)
    ]
    if "«" in readable or "»" in readable:
        problems.append(f"write “aanhalingstekens”, not « »: {readable!r}")
    return problems


# The vowel rule: "de %(organization)s" reads wrong before "Amnesty" or "Ixelles" (French
# elides: "d'Ixelles"); naming the thing first reads right with any name.
_NAME_AFTER_DE = re.compile(r"\bde %\((?:organization|chapter)\)s")


def french_names(text: str) -> list[str]:
    """Names of organizations and chapters that follow "de" directly; [] when none does."""
    advice = "write « de l’organisation %(organization)s », « de la section %(chapter)s »"
    return [f"{advice}: {m.group()!r}" for m in _NAME_AFTER_DE.finditer(text)]


# The member's own town is their "woonplaats" in Dutch; "plaats" is any place.
_OWN_TOWN = re.compile(r"\b(?:your|my) town\b|^Town\b")


def dutch_own_town(msgid: str, text: str) -> list[str]:
    if _OWN_TOWN.search(msgid) and "woonplaats" not in text.casefold():
        return [f"the member's own town is their woonplaats: {text!r}"]
    return []


def test_the_template_is_up_to_date(extracted: Catalog) -> None:
    committed = read(ROOT / "locales" / "messages.pot")
    assert {m.id for m in extracted if m.id} == {m.id for m in committed if m.id}


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_message_is_translated(extracted: Catalog, lang: str) -> None:
    catalog = read(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", lang)
    problems = []
    expected_forms = Locale.parse(lang).plural_form
    nplurals = catalog.num_plurals
    assert nplurals == len(
        {expected_forms(n) for n in range(0, 2_000_001, 1000)}
        | {expected_forms(n) for n in range(10)}
    )
    for wanted in extracted:
        if not wanted.id:
            continue
        message = catalog.get(wanted.id)
        if message is None:
            problems.append(f"missing: {wanted.id!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {wanted.id!r}")
        ids = wanted.id if isinstance(wanted.id, tuple) else (wanted.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(wanted.id, tuple) and len(strings) != nplurals:
            problems.append(f"{len(strings)} plural forms instead of {nplurals}: {ids[0]!r}")
        want = placeholders(" ".join(ids))
        for string in strings:
            if not string.strip():
                problems.append(f"untranslated: {ids[0]!r}")
            # A plural form may leave out the count ("un seul"), never invent or drop others.
            elif placeholders(string) - want or (want - {"count"}) - placeholders(string):
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
            elif string.count("<b>") != string.count("</b>"):
                problems.append(f"unbalanced markup: {string!r}")
    assert problems == []


def translations(lang: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every message and every plural form of a committed catalog."""
    catalog = read(ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po", lang)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(msgid, string) for string in strings]
    return pairs


def test_french_reads_as_french() -> None:
    problems = [
        f"{msgid!r}: {problem}"
        for msgid, text in translations("fr")
        for problem in french_typography(text) + french_names(text)
    ]
    assert problems == []


def test_dutch_reads_as_dutch() -> None:
    problems = [
        f"{msgid!r}: {problem}"
        for msgid, text in translations("nl")
        for problem in dutch_typography(text) + dutch_own_town(msgid, text)
    ]
    assert problems == []


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour\u00a0!",
        "Bonjour\u202f! Ça va\u202f?",
        "Quoi\u202f?!",
        "Nom\u00a0: %(name)s",
        "Tout est prêt, %(name)s\u202f!",
        "<b>%(question)s</b>",
        "<b>Titre</b>\u00a0: texte",
        "vendredi 4 décembre à 18:00",
        "clôture vendredi 18h",
        "Voir\u00a0: https://example.org/poll?id=3&x=1:2",
        "(sur Matrix\u00a0: !connect %(code)s)",
        "«\u00a0%(place)s\u00a0»",
        "à 12,5\u00a0km, dans les 10\u00a0minutes",
        "/location 50.85 4.35, 10 au maximum",
        "l’assistant de l’organisation %(organization)s",
        "séparés par |.",
    ],
)
def test_french_typography_accepts_what_is_right(text: str) -> None:
    assert french_typography(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Bonjour !", "plain space before !"),
        ("Bonjour!", "no no-break space before !"),
        ("%(name)s?", "no no-break space before ?"),
        ("Nom : %(name)s", "plain space before :"),
        ("<b>Titre</b>: texte", "no no-break space before :"),
        ("Un point; un autre", "no no-break space before ;"),
        ("« %(place)s\u00a0»", "plain space after «"),
        ("«%(place)s\u00a0»", "no no-break space after «"),
        ("«\u00a0%(place)s »", "plain space before »"),
        ("à 12,5 km", "plain space before a unit"),
        ("« 48 h »", "plain space before a unit"),
        ("l'assistant", "straight apostrophe"),
        ("“vendredi”", "English quotes"),
    ],
)
def test_french_typography_flags_what_is_wrong(text: str, problem: str) -> None:
    found = french_typography(text)
    assert any(problem in p for p in found), found


def test_french_names_are_introduced_before_they_follow_de() -> None:
    assert french_names("l’assistant de %(organization)s") != []
    assert french_names("membre de %(chapter)s") != []
    assert french_names("l’assistant de l’organisation %(organization)s") == []
    assert french_names("membre de la section %(chapter)s, près de %(place)s") == []


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("sluit vrijdag 18:00", False),
        ("binnen 48 uur, om 18 uur", False),
        ("Bijvoorbeeld “1, 3”", False),
        ("%(count)s uur", False),
        ("sluit vrijdag om 18u", True),
        ("om 18u30", True),
        ("binnen 48h", True),
        ("binnen 48 h", True),
        ("Bijvoorbeeld «1, 3»", True),
    ],
)
def test_dutch_typography(text: str, wrong: bool) -> None:
    assert bool(dutch_typography(text)) is wrong


def test_the_members_own_town_is_their_woonplaats() -> None:
    assert dutch_own_town("Town: %(place)s", "Plaats: %(place)s") != []
    assert dutch_own_town("Change my town", "Mijn woonplaats wijzigen") == []
    assert dutch_own_town("Then please type a larger town near you.", "Typ een plaats.") == []


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_compiled_catalog_is_used(locales_dir: Path, lang: str) -> None:
    assert (locales_dir / lang / "LC_MESSAGES" / "messages.mo").exists()
    translator = Catalogs(locales_dir).translator(lang)
    assert translator.gettext("Nothing was erased.") != "Nothing was erased."


def test_plural_forms_follow_each_language(locales_dir: Path) -> None:
    catalogs = Catalogs(locales_dir)
    singular, plural = (
        "Please answer with the number 1.",
        "Please answer with a number from 1 to %(count)s.",
    )
    french = catalogs.translator("fr")
    dutch = catalogs.translator("nl")
    # French uses the singular for 0 and 1; Dutch only for 1.
    assert french.ngettext(singular, plural, 0) == french.ngettext(singular, plural, 1)
    assert dutch.ngettext(singular, plural, 0) == dutch.ngettext(singular, plural, 2)
    assert dutch.ngettext(singular, plural, 1) != dutch.ngettext(singular, plural, 2)


def test_source_checkout_without_mo_files_still_translates(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    for mo in (tmp_path / "locales").rglob("*.mo"):
        mo.unlink()
    translator = Catalogs(tmp_path / "locales").translator("nl")
    assert translator.gettext("Nothing was erased.") != "Nothing was erased."


@pytest.mark.parametrize(
    ("saved", "hint", "chat", "expected"),
    [
        ("nl", "fr-BE", "en", "nl"),
        (None, "fr-BE", "en", "fr"),
        (None, "de", "nl", "nl"),
        (None, None, None, "en"),
        (None, "NL_be", None, "nl"),
    ],
)
def test_language_negotiation(
    saved: str | None, hint: str | None, chat: str | None, expected: str
) -> None:
    assert negotiate_language(saved, hint, chat, "en") == expected


def test_hints_map_to_supported_languages() -> None:
    assert normalize_language("fr-CA") == "fr"
    assert normalize_language("pt-BR") is None
    assert normalize_language("") is None
