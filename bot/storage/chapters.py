"""Chapters: kept in step with the organization file, and found near a point."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.config import ChapterSpec, slugify
from bot.geo.distance import bounding_box, haversine_km
from bot.i18n.parsing import fold
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter

FIRST_SEARCH_KM = 25.0
# Built once (it runs for every newcomer); the (latitude, longitude) index covers it.
_CHAPTER_TABLE = Chapter.__table__  # type: ignore[attr-defined]
# Core, not ORM: it runs for every newcomer and returns plain tuples.
_IN_BOX = sa_select(
    _CHAPTER_TABLE.c.id, _CHAPTER_TABLE.c.latitude, _CHAPTER_TABLE.c.longitude
).where(
    _CHAPTER_TABLE.c.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
    _CHAPTER_TABLE.c.longitude.between(bindparam("min_lon"), bindparam("max_lon")),
)


@dataclass(frozen=True, slots=True)
class NearbyChapter:
    chapter: Chapter
    distance_km: float


class ChapterRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sync(self, specs: tuple[ChapterSpec, ...]) -> None:
        """Insert or update the chapters the organization file lists (by slug); never delete."""
        existing = {c.slug: c for c in self.session.exec(select(Chapter))}
        for spec in specs:
            chapter = existing.get(spec.slug)
            if chapter is None:
                # The status is the file's only at first: a forming chapter grows active.
                chapter = Chapter(slug=spec.slug, name=spec.name, status=spec.status)
            chapter.name = spec.name
            chapter.city = spec.city
            chapter.country_code = spec.country_code
            chapter.latitude = spec.latitude
            chapter.longitude = spec.longitude
            chapter.languages = ",".join(spec.languages)
            chapter.descriptions = dict(spec.descriptions)
            self.session.add(chapter)
            self.session.flush()
            memberships = MembershipRepository(self.session)
            for identity in spec.organizers:
                memberships.invite_organizer(chapter.id, identity)
        MembershipRepository(self.session).claim_all_invitations()

    def get(self, chapter_id: int) -> Chapter | None:
        return self.session.get(Chapter, chapter_id)

    def create(
        self,
        name: str,
        city: str,
        country_code: str,
        latitude: float,
        longitude: float,
        languages: list[str],
        status: str = "forming",
        founded_by: int | None = None,
    ) -> Chapter:
        chapter = Chapter(
            slug=self.free_slug(slugify(f"{name}") or "chapter"),
            name=name,
            city=city,
            country_code=country_code,
            latitude=latitude,
            longitude=longitude,
            languages=",".join(languages),
            status=status,
            founded_by=founded_by,
        )
        self.session.add(chapter)
        self.session.flush()
        return chapter

    def free_slug(self, base: str) -> str:
        taken = set(
            self.session.exec(select(Chapter.slug).where(col(Chapter.slug).startswith(base)))
        )
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

    def named(self, text: str, among: list[Chapter] | None = None) -> list[Chapter]:
        """Chapters whose name matches what a member typed, ignoring case and accents."""
        wanted = fold(text)
        if among is None:
            among = list(self.session.exec(select(Chapter).where(col(Chapter.name).ilike(text))))
            if not among:
                among = list(self.session.exec(select(Chapter)))
        return [c for c in among if fold(c.name) == wanted or c.slug == wanted]

    def all(self) -> list[Chapter]:
        return list(self.session.exec(select(Chapter).order_by(Chapter.name)))

    def by_slug(self, slug: str) -> Chapter | None:
        return self.session.exec(select(Chapter).where(Chapter.slug == slug)).first()

    @staticmethod
    def distance_to(chapter: Chapter, latitude: float, longitude: float) -> NearbyChapter:
        return NearbyChapter(
            chapter, haversine_km(latitude, longitude, chapter.latitude, chapter.longitude)
        )

    def nearest(
        self, latitude: float, longitude: float, limit: int = 3, max_km: float = 500.0
    ) -> list[NearbyChapter]:
        """The closest chapters within max_km: a bounding box on the (latitude, longitude)
        index that grows until it holds enough, haversine on the few inside, and only the
        winners loaded whole."""
        radius = min(FIRST_SEARCH_KM, max_km)
        while True:
            min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius)
            if min_lon < -180 or max_lon > 180:  # the box crosses the antimeridian
                min_lon, max_lon = -180.0, 180.0
            rows = self.session.connection().execute(
                _IN_BOX,
                {
                    "min_lat": min_lat,
                    "max_lat": max_lat,
                    "min_lon": min_lon,
                    "max_lon": max_lon,
                },
            )
            distances = sorted(
                (d, chapter_id)
                for chapter_id, lat, lon in rows
                if (d := haversine_km(latitude, longitude, lat, lon)) <= radius
            )
            # The box is a superset of the circle: what lies inside the circle is exact.
            if len(distances) >= limit or radius >= max_km:
                break
            radius = min(radius * 4, max_km)
        winners = distances[:limit]
        loaded = {
            c.id: c
            for c in self.session.exec(
                select(Chapter).where(col(Chapter.id).in_([i for _d, i in winners]))
            )
        }
        return [NearbyChapter(loaded[i], d) for d, i in winners if i in loaded]
