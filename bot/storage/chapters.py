"""Chapters: kept in step with the organization file, and found near a point."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.config import ChapterSpec, slugify
from bot.geo.distance import EARTH_RADIUS_KM, bounding_box, haversine_km
from bot.i18n.parsing import fold
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, geo_band

# The first box is sized from the spacing of chapters that earlier searches met (kept per
# database connection, so it follows the data): SAFETY times the radius that usually holds
# `limit` chapters makes a second query rare while keeping the box small.
FIRST_SPACING_KM = 10.0
SAFETY = 2.5
_SPACING_KEY = "chapterbot.chapter_spacing_km"
_CHAPTER = Chapter.__table__.c  # type: ignore[attr-defined]


@functools.cache  # built once per shape: nearest() runs for every newcomer
def _nearest_in_box(spans: int, slots: int) -> SelectOfScalar[Chapter]:
    """The `limit` chapters nearest a point (unit vector x, y, z) inside a box, loaded whole.

    The box is one index range per latitude band (the band is matched by equality, so each is
    a seek on longitude), and `spans` longitude ranges: two when it crosses ±180°. The bands
    fill `slots` parameters, a power of two (the last band repeated): a few fixed statements,
    where an expanding IN would be rewritten on every call. The database ranks by squared
    chord, which orders like the great-circle distance and needs only arithmetic; the inner
    query reads the index alone and only the winners are loaded.
    """
    x, y, z = bindparam("x"), bindparam("y"), bindparam("z")
    dx, dy, dz = _CHAPTER.geo_x - x, _CHAPTER.geo_y - y, _CHAPTER.geo_z - z
    chord2 = dx * dx + dy * dy + dz * dz
    longitude = or_(
        *(
            _CHAPTER.longitude.between(bindparam(f"min_lon{i}"), bindparam(f"max_lon{i}"))
            for i in range(spans)
        )
    )
    best = (
        sa_select(_CHAPTER.id)
        .where(
            _CHAPTER.geo_band.in_([bindparam(f"band{i}") for i in range(slots)]),
            longitude,
            _CHAPTER.latitude.between(bindparam("min_lat"), bindparam("max_lat")),
            chord2 <= bindparam("max_chord2"),
        )
        .order_by(chord2)
        .limit(bindparam("limit"))
    )
    return select(Chapter).where(col(Chapter.id).in_(best))


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
        """The closest chapters within max_km, nearest first.

        Each try is one query for the best `limit` chapters in a box around the point. If the
        box holds fewer it grows (unless it already holds the whole max_km circle); if the
        last one found lies in a corner of the box, beyond its inscribed circle, a nearer one
        may lie just outside, but none farther than it: one box of that radius settles it.
        """
        if limit <= 0 or max_km < 0 or not math.isfinite(latitude + longitude):
            return []
        # Distances are periodic in longitude; the index ranges are not.
        longitude = (longitude + 180.0) % 360.0 - 180.0
        phi, lam = math.radians(latitude), math.radians(longitude)
        # The chord of max_km (every point past half a great circle is within reach), slightly
        # loose so that rounding never drops a chapter: haversine has the last word below.
        angle = min(max_km / EARTH_RADIUS_KM, math.pi)
        params: dict[str, Any] = {
            "x": math.cos(phi) * math.cos(lam),
            "y": math.cos(phi) * math.sin(lam),
            "z": math.sin(phi),
            "max_chord2": (2 * math.sin(angle / 2)) ** 2 * (1 + 1e-9) + 1e-12,
            "limit": limit,
        }
        hints = self.session.connection().info
        spacing: float = hints.get(_SPACING_KEY, FIRST_SPACING_KM)
        radius = min(max_km, SAFETY * spacing * math.sqrt(limit))
        settling = False
        while True:
            found = self._nearest_in(latitude, longitude, radius, params)
            if len(found) == limit:
                farthest = found[-1].distance_km
                if farthest <= radius or settling:
                    break
                radius, settling = farthest * (1 + 1e-9) + 1e-6, True
            elif radius >= max_km or settling:
                break
            else:
                # Fewer than `limit` in the box: grow it by what the count found suggests.
                growth = max(2.0, 1.5 * math.sqrt(limit / len(found))) if found else 4.0
                radius = min(max_km, radius * growth)
        if len(found) == limit:
            # A running geometric mean, so one lonely point cannot swing the next first box.
            seen = max(found[-1].distance_km, 0.01) / math.sqrt(limit)
            hints[_SPACING_KEY] = spacing**0.8 * seen**0.2
        return [n for n in found if n.distance_km <= max_km]

    def _nearest_in(
        self, latitude: float, longitude: float, radius: float, params: dict[str, Any]
    ) -> list[NearbyChapter]:
        """The best `limit` chapters in the box around the circle of radius km, nearest first."""
        min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius)
        if min_lon < -180.0:
            spans = [(min_lon + 360.0, 180.0), (-180.0, max_lon)]
        elif max_lon > 180.0:
            spans = [(min_lon, 180.0), (-180.0, max_lon - 360.0)]
        else:
            spans = [(min_lon, max_lon)]
        first, last = geo_band(min_lat), geo_band(max_lat)
        slots = 1 << (last - first).bit_length()  # the next power of two >= the band count
        params = params | {"min_lat": min_lat, "max_lat": max_lat}
        for i in range(slots):
            params[f"band{i}"] = min(first + i, last)
        for i, (low, high) in enumerate(spans):
            params[f"min_lon{i}"], params[f"max_lon{i}"] = low, high
        found = [
            self.distance_to(chapter, latitude, longitude)
            for chapter in self.session.exec(_nearest_in_box(len(spans), slots), params=params)
        ]
        found.sort(key=lambda n: n.distance_km)
        return found
