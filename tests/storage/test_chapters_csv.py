"""Chapter import and export: all or nothing, bad rows reported by line, idempotent."""

from __future__ import annotations

from sqlmodel import select

from bot.app import Application
from bot.chapters_csv import HEADER, export_chapters, import_chapters
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter

HEAD = ",".join(HEADER) + "\n"


def run_import(app: Application, text: str | bytes) -> tuple[list[str], int, int]:
    data = text.encode() if isinstance(text, str) else text
    with app.services.database.session() as session:
        report = import_chapters(data, session, app.services.gazetteer)
        if report.errors:
            session.rollback()
    return report.errors, report.created, report.updated


def chapter_names(app: Application) -> set[str]:
    with app.services.database.session() as session:
        return {c.name for c in session.exec(select(Chapter))}


def test_import_adds_chapters_and_is_idempotent(app_on_any_database: Application) -> None:
    app = app_on_any_database
    before = chapter_names(app)
    text = HEAD + (
        "Namur,Namur,BE,,,fr,Réunions le lundi,telegram:42\n"
        'Utrecht,Utrecht,NL,52.09,5.12,"nl;en",,\n'
        "Leuven,Leuven,,,,nl,,\n"
    )
    errors, created, updated = run_import(app, text)
    assert (errors, created, updated) == ([], 3, 0)
    assert chapter_names(app) == before | {"Namur", "Utrecht", "Leuven"}
    errors, created, updated = run_import(app, text)
    assert (errors, created, updated) == ([], 0, 3)
    assert len(chapter_names(app)) == len(before) + 3
    with app.services.database.session() as session:
        namur = session.exec(select(Chapter).where(Chapter.name == "Namur")).one()
        assert abs(namur.latitude - 50.47) < 0.05 and namur.descriptions == {
            "fr": "Réunions le lundi"
        }
        leuven = session.exec(select(Chapter).where(Chapter.name == "Leuven")).one()
        assert leuven.country_code == "BE"
        assert MembershipRepository(session).invited_organizers(namur.id) == ["telegram:42"]


def test_bad_rows_are_all_reported_and_nothing_changes(app_on_any_database: Application) -> None:
    app = app_on_any_database
    before = chapter_names(app)
    text = HEAD + (
        "Good,Namur,BE,,,fr,,\n"
        "Nowhere,Xyzzyville,BE,,,fr,,\n"
        "Far,Somewhere,BE,95,4,fr,,\n"
        "Words,Somewhere,BE,north,east,fr,,\n"
        "Good,Namur,BE,,,fr,,\n"
        "Tongues,Namur,BE,,,de,,\n"
        "Boss,Namur,BE,,,fr,,12345\n"
        ",Namur,BE,,,fr,,\n"
    )
    errors, created, updated = run_import(app, text)
    assert (created, updated) == (0, 0)
    assert errors == [
        "line 3: unknown place 'Xyzzyville' in BE",
        "line 4: bad coordinates (out of range)",
        "line 5: bad coordinates (latitude and longitude must be decimal numbers)",
        "line 6: duplicate of line 2 (Good, Namur)",
        "line 7: unknown language de (use en, fr, nl)",
        "line 8: organizer '12345' must look like telegram:12345 or matrix:@ann:example.org",
        "line 9: the name is empty",
    ]
    assert chapter_names(app) == before


def test_wrong_columns_and_encodings_are_refused(app_on_any_database: Application) -> None:
    app = app_on_any_database
    errors, *_ = run_import(app, "name,town\nA,B\n")
    assert errors[0].startswith("line 1: the header must be name,city,")
    assert "missing: city" in errors[0] and "unknown: town" in errors[0]
    errors, *_ = run_import(app, (HEAD + "Liège,Liège,BE,,,fr,,\n").encode("latin-1"))
    assert "not UTF-8" in errors[0]
    errors, *_ = run_import(app, "\ufeff" + HEAD + "Liège2,Liège,BE,,,fr,,\n")
    assert errors == []  # a byte order mark is fine


def test_export_round_trips(app_on_any_database: Application) -> None:
    app = app_on_any_database
    with app.services.database.session() as session:
        exported = export_chapters(session)
    lines = exported.splitlines()
    assert lines[0] == ",".join(HEADER)
    assert len(lines) == 1 + len(chapter_names(app))
    assert any(line.startswith("Brussels,Brussels,BE,50.85000,4.35000,fr;nl;en,") for line in lines)
    errors, created, updated = run_import(app, exported)
    assert (errors, created) == ([], 0) and updated == len(lines) - 1
