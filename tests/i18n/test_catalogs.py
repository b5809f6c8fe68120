"""The catalogs are complete: every message in the code is translated, not fuzzy, with the
same placeholders, and the right number of plural forms."""

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
