"""`chapterbot chapters import/export`: the chapter directory as CSV, for operators.

Import is all-or-nothing: every row is checked first and each problem is reported with its
line number; only a file without problems changes anything. It is idempotent: a chapter with
the same name in the same place is updated, not added again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.geo.gazetteer import Gazetteer
from bot.i18n.locale import SUPPORTED_LANGUAGES
from bot.i18n.parsing import fold
from bot.storage.chapters import ChapterRepository
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter

HEADER = [
    "name",
    "city",
    "country",
    "latitude",
    "longitude",
    "languages",
    "description",
    "organizer",
]
_LIST = re.compile(r"[;,\s]+")
_IDENTITY = re.compile(r"^[a-z]+:\S+$")


@dataclass(frozen=True, slots=True)
class ChapterRow:
    line: int
    name: str
    city: str
    country: str
    latitude: float
    longitude: float
    languages: tuple[str, ...]
    description: str
    organizers: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return fold(self.name), fold(self.city), self.country


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def parse_rows(data: bytes, gazetteer: Gazetteer) -> tuple[list[ChapterRow], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if columns != HEADER:
        missing = [c for c in HEADER if c not in columns]
        unknown = [c for c in columns if c not in HEADER]
        detail = "; ".join(
            part
            for part in (
                f"missing: {', '.join(missing)}" if missing else "",
                f"unknown: {', '.join(unknown)}" if unknown else "",
                "columns out of order" if not missing and not unknown else "",
            )
            if part
        )
        return [], [f"line 1: the header must be {','.join(HEADER)} ({detail})"]
    rows: list[ChapterRow] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for raw in reader:
        line = reader.line_num
        values = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if None in raw:
            errors.append(f"line {line}: more values than columns")
            continue
        row, problem = parse_row(line, values, gazetteer)
        if problem:
            errors.append(f"line {line}: {problem}")
            continue
        assert row is not None
        if row.key in seen:
            errors.append(
                f"line {line}: duplicate of line {seen[row.key]} ({row.name}, {row.city})"
            )
            continue
        seen[row.key] = line
        rows.append(row)
    return rows, errors


def parse_row(
    line: int, values: dict[str, str], gazetteer: Gazetteer
) -> tuple[ChapterRow | None, str | None]:
    name, city, country = values["name"], values["city"], values["country"].upper()
    if not name:
        return None, "the name is empty"
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        return None, f"country {values['country']!r} is not a two-letter code (BE, FR, NL…)"
    if values["latitude"] or values["longitude"]:
        try:
            latitude, longitude = float(values["latitude"]), float(values["longitude"])
        except ValueError:
            return None, "bad coordinates (latitude and longitude must be decimal numbers)"
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return None, "bad coordinates (out of range)"
        if not city or not country:
            return None, "city and country are needed beside coordinates"
    else:
        places = [
            p
            for p in gazetteer.search(city or name, limit=10)
            if not country or p.country_code == country
        ]
        if not places:
            return None, f"unknown place {city or name!r}" + (f" in {country}" if country else "")
        latitude, longitude = places[0].latitude, places[0].longitude
        country = country or places[0].country_code
        city = city or places[0].name
    languages = tuple(code for code in _LIST.split(values["languages"].lower()) if code)
    unknown = [code for code in languages if code not in SUPPORTED_LANGUAGES]
    if unknown:
        return None, f"unknown language {', '.join(unknown)} (use en, fr, nl)"
    organizers = tuple(o for o in _LIST.split(values["organizer"]) if o)
    bad = [o for o in organizers if not _IDENTITY.match(o)]
    if bad:
        return (
            None,
            f"organizer {bad[0]!r} must look like telegram:12345 or matrix:@ann:example.org",
        )
    row = ChapterRow(
        line=line,
        name=name,
        city=city,
        country=country,
        latitude=latitude,
        longitude=longitude,
        languages=languages or ("en",),
        description=values["description"],
        organizers=organizers,
    )
    return row, None


def import_chapters(data: bytes, session: Session, gazetteer: Gazetteer) -> ImportReport:
    rows, errors = parse_rows(data, gazetteer)
    report = ImportReport(errors=errors)
    if errors:
        return report
    chapters = ChapterRepository(session)
    memberships = MembershipRepository(session)
    existing = {
        (fold(c.name), fold(c.city), c.country_code): c for c in session.exec(select(Chapter))
    }
    for row in rows:
        chapter = existing.get(row.key)
        if chapter is None:
            chapter = chapters.create(
                name=row.name,
                city=row.city,
                country_code=row.country,
                latitude=row.latitude,
                longitude=row.longitude,
                languages=list(row.languages),
                status="active",
            )
            report.created += 1
        else:
            chapter.latitude, chapter.longitude = row.latitude, row.longitude
            chapter.languages = ",".join(row.languages)
            report.updated += 1
        if row.description:
            # One description column: it is written in the chapter's first language.
            chapter.descriptions = {**chapter.descriptions, row.languages[0]: row.description}
        session.add(chapter)
        session.flush()
        for identity in row.organizers:
            memberships.invite_organizer(chapter.id, identity)
    memberships.claim_all_invitations()
    return report


def organizer_identities(session: Session, chapter_id: int) -> list[str]:
    """Invited organizers and those already organizing, as platform identities."""
    memberships = MembershipRepository(session)
    found = set(memberships.invited_organizers(chapter_id))
    members = MemberRepository(session)
    for organizer in memberships.organizers_of(chapter_id):
        found.update(f"{i.platform}:{i.user_id}" for i in members.identities(organizer.id))
    return sorted(found)


def export_chapters(session: Session) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for chapter in ChapterRepository(session).all():
        languages = [code for code in chapter.languages.split(",") if code]
        description = next(
            (chapter.descriptions[code] for code in languages if code in chapter.descriptions),
            next(iter(chapter.descriptions.values()), ""),
        )
        writer.writerow(
            [
                chapter.name,
                chapter.city,
                chapter.country_code,
                f"{chapter.latitude:.5f}",
                f"{chapter.longitude:.5f}",
                ";".join(languages),
                description,
                ";".join(organizer_identities(session, chapter.id)),
            ]
        )
    return buffer.getvalue()
