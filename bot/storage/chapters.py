"""Chapters: kept in step with the organization file, and found near a point."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.config import ChapterSpec
from bot.geo.distance import bounding_box, haversine_km
from bot.storage.models import Chapter, JoinRequest

# Built once (it runs for every newcomer); the (latitude, longitude) index serves it.
_IN_BOX = select(Chapter).where(
    Chapter.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
    Chapter.longitude.between(bindparam("min_lon"), bindparam("max_lon")),
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
            chapter = existing.get(spec.slug) or Chapter(slug=spec.slug, name=spec.name)
            chapter.name = spec.name
            chapter.city = spec.city
            chapter.country_code = spec.country_code
            chapter.latitude = spec.latitude
            chapter.longitude = spec.longitude
            chapter.languages = ",".join(spec.languages)
            chapter.status = spec.status
            chapter.descriptions = dict(spec.descriptions)
            self.session.add(chapter)

    def get(self, chapter_id: int) -> Chapter | None:
        return self.session.get(Chapter, chapter_id)

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
        """The closest chapters within max_km: a bounding box on the index, then haversine."""
        radius = min(150.0, max_km)
        while True:
            min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius)
            if min_lon < -180 or max_lon > 180:  # the box crosses the antimeridian
                min_lon, max_lon = -180.0, 180.0
            rows = self.session.exec(
                _IN_BOX,
                params={
                    "min_lat": min_lat,
                    "max_lat": max_lat,
                    "min_lon": min_lon,
                    "max_lon": max_lon,
                },
            )
            found = [
                NearbyChapter(c, haversine_km(latitude, longitude, c.latitude, c.longitude))
                for c in rows
            ]
            found = sorted(
                (n for n in found if n.distance_km <= radius), key=lambda n: n.distance_km
            )
            # Widen until we have enough or reach the limit; the box is a superset of the circle.
            if len(found) >= limit or radius >= max_km:
                return found[:limit]
            radius = min(radius * 3, max_km)

    def request_to_join(self, member_id: int, chapter_id: int) -> JoinRequest:
        pending = self.session.exec(
            select(JoinRequest).where(
                JoinRequest.member_id == member_id,
                JoinRequest.chapter_id == chapter_id,
                JoinRequest.status == "pending",
            )
        ).first()
        if pending:
            return pending
        request = JoinRequest(member_id=member_id, chapter_id=chapter_id)
        self.session.add(request)
        return request

    def pending_requests(self, member_id: int) -> list[tuple[JoinRequest, Chapter]]:
        rows = self.session.exec(
            select(JoinRequest, Chapter)
            .join(Chapter, Chapter.id == JoinRequest.chapter_id)
            .where(JoinRequest.member_id == member_id, JoinRequest.status == "pending")
        )
        return [(r, c) for r, c in rows]
