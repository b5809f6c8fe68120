"""Nearest chapters among 10,000 and 100,000 chapters, on SQLite and on PostgreSQL.

Baseline, in the same run: brute-force haversine over every chapter's coordinates already in
memory (what a query without the bounding-box index would at best cost). Targets at 100,000
chapters: p99 <= 1 ms on SQLite, <= 3 ms on PostgreSQL.

PostgreSQL: CHAPTERBOT_TEST_POSTGRES_URL, else 127.0.0.1:5432 (skipped with a note if none).
"""

from __future__ import annotations

import heapq
import random
import statistics
import tempfile
import time
from pathlib import Path

from scratch_db import scratch_database
from sqlalchemy import insert

from bot.geo.distance import haversine_km
from bot.storage import migrate
from bot.storage.chapters import ChapterRepository
from bot.storage.database import Database
from bot.storage.models import Chapter

QUERIES = 2000
# Chapters spread over Europe and North America, where members live.
REGIONS = [((36.0, 60.0), (-10.0, 30.0)), ((25.0, 55.0), (-125.0, -65.0))]


def random_point(rng: random.Random) -> tuple[float, float]:
    (lat_lo, lat_hi), (lon_lo, lon_hi) = rng.choice(REGIONS)
    return rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)


def fill(database: Database, count: int, rng: random.Random) -> list[tuple[float, float]]:
    points = [random_point(rng) for _ in range(count)]
    rows = [
        {
            "slug": f"c{i}",
            "name": f"Chapter {i}",
            "city": "x",
            "country_code": "XX",
            "latitude": lat,
            "longitude": lon,
            "languages": "en",
            "status": "active",
            "descriptions": {},
        }
        for i, (lat, lon) in enumerate(points)
    ]
    with database.session() as session:
        for start in range(0, count, 5000):
            session.execute(insert(Chapter), rows[start : start + 5000])
    if not database.is_sqlite:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE chapter")
    return points


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def measure(
    name: str, database: Database, points: list[tuple[float, float]], rng: random.Random
) -> None:
    probes = [random_point(rng) for _ in range(QUERIES)]
    with database.session() as session:
        chapters = ChapterRepository(session)
        for lat, lon in probes[:100]:  # warm the caches
            chapters.nearest(lat, lon, 5, 1000)
        timings = []
        for lat, lon in probes:
            started = time.perf_counter()
            found = chapters.nearest(lat, lon, 5, 1000)
            timings.append(time.perf_counter() - started)
            assert found, "no chapter found"
    p50, p99 = percentiles(timings)
    print(f"BENCH chapters.nearest.{name}.p50 {p50:.3f} ms")
    print(f"BENCH chapters.nearest.{name}.p99 {p99:.3f} ms")

    brute = []
    for lat, lon in probes[: QUERIES // 10]:
        started = time.perf_counter()
        heapq.nsmallest(5, (haversine_km(lat, lon, a, b) for a, b in points))
        brute.append(time.perf_counter() - started)
    p50, p99 = percentiles(brute)
    print(f"BENCH chapters.baseline_bruteforce.{name}.p50 {p50:.3f} ms")
    print(f"BENCH chapters.baseline_bruteforce.{name}.p99 {p99:.3f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        for count in (10_000, 100_000):
            rng = random.Random(count)
            database = Database(f"sqlite:///{Path(workdir) / f'bench{count}.sqlite'}")
            migrate.upgrade(database)
            points = fill(database, count, rng)
            measure(f"sqlite.{count}", database, points, rng)
            database.dispose()

            with scratch_database(f"chapterbot_bench_{count}") as url:
                if url is not None:
                    database = Database(url)
                    try:
                        migrate.upgrade(database)
                        points = fill(database, count, random.Random(count))
                        measure(f"postgresql.{count}", database, points, rng)
                    finally:
                        database.dispose()


if __name__ == "__main__":
    main()
