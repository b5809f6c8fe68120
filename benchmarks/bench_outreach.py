"""Outreach at the organization's size, on PostgreSQL: 500,000 members in 5,000 chapters
(one of them with 5,000 members). The monthly nudge's fan-out queued by one firing of its
one schedule; /stats of the 5,000-member chapter and /stats all (p99); /growth.

Baselines in the same run: a plain INSERT … SELECT of as many delivery rows as the fan-out
writes; one indexed count. Run with `make bench` (CHAPTERBOT_BENCH_MEMBERS for a smaller
organization); figures are printed as `BENCH <name> <value> <unit>`.

CHAPTERBOT_BENCH_KEEP=1 keeps the seeded database (CHAPTERBOT_BENCH_DATABASE names it) and
reuses it on the next run (migrations are applied to it), which saves seeding 500,000 members;
CHAPTERBOT_BENCH_STATS_ONLY=1 measures /stats and /growth only (the fan-out's rows would
otherwise pile up in a kept database).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import timedelta

from scratch_db import scratch_database
from sqlalchemy import text

from bot.app import Application, build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.core.events import ChatRef, CommandMessage, Sender
from bot.core.outgoing import Outgoing
from bot.handlers.nudges import MONTHLY_KEY, keep_monthly
from bot.scheduling.clock import Clock
from bot.storage.growth import GrowthRepository
from bot.storage.schedules import ScheduleRepository

MEMBERS = int(os.environ.get("CHAPTERBOT_BENCH_MEMBERS", "500000"))
CHAPTERS = max(1, MEMBERS // 100)
BIG = min(5_000, MEMBERS)  # members of chapter 1
DATABASE = os.environ.get("CHAPTERBOT_BENCH_DATABASE", "chapterbot_bench_outreach")
KEEP = os.environ.get("CHAPTERBOT_BENCH_KEEP") == "1"
STATS_ONLY = os.environ.get("CHAPTERBOT_BENCH_STATS_ONLY") == "1"


class Quiet:
    async def send(self, message: Outgoing) -> None:
        pass


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def fill(app: Application) -> None:
    """Set-based, so that building the organization takes seconds."""
    statements = [
        f"""INSERT INTO chapter (slug, name, city, country_code, latitude, longitude, languages,
               status, descriptions, created_at, geo_band, geo_x, geo_y, geo_z)
            SELECT 'c' || n, 'Chapter ' || n, 'City ' || n, 'BE', lat, lon, 'fr,nl,en',
                   'active', '{{}}', now(), floor((lat + 90) / 0.5),
                   cos(radians(lat)) * cos(radians(lon)), cos(radians(lat)) * sin(radians(lon)),
                   sin(radians(lat))
            FROM (SELECT n, 40 + (n % 200) * 0.1 AS lat, -5 + (n / 200) * 0.5 AS lon
                  FROM generate_series(1, {CHAPTERS}) AS n) AS c""",
        f"""INSERT INTO member (display_name, language, timezone, nudges, onboarded_at,
               created_at, updated_at)
            SELECT 'M' || n, (ARRAY['en', 'fr', 'nl'])[1 + n % 3], 'Europe/Brussels',
                   'monthly', now() - (n % 180) * interval '1 day', now(), now()
            FROM generate_series(1, {MEMBERS}) AS n""",
        """INSERT INTO identity (member_id, platform, user_id, created_at, last_seen_at,
               connect_failures)
            SELECT id, 'bench', 'u' || id, now(), now(), 0 FROM member""",
        """INSERT INTO chat (platform, chat_id, kind, member_id, created_at)
            SELECT 'bench', 'dm' || id, 'direct', id, now() FROM member""",
        f"""INSERT INTO membership (chapter_id, member_id, role, shares_contact, joined_at)
            SELECT CASE WHEN id <= {BIG} THEN 1 ELSE 2 + id % greatest({CHAPTERS} - 1, 1) END,
                   id, CASE WHEN id % 100 = 0 THEN 'organizer' ELSE 'member' END, false,
                   now() - (id % 180) * interval '1 day'
            FROM member""",
        """INSERT INTO outreachentry (member_id, chapter_id, people, logged_at)
            SELECT m.member_id, m.chapter_id, 1 + m.member_id % 3,
                   now() - (m.member_id % 150) * interval '1 day'
            FROM membership m WHERE m.member_id % 4 = 0""",
        "ANALYZE",
    ]
    with app.services.database.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def command(name: str, args: str, user: int) -> CommandMessage:
    return CommandMessage(
        name=name,
        args=args,
        chat=ChatRef("bench", f"dm{user}"),
        chat_kind="direct",
        sender=Sender("bench", f"u{user}", display_name=f"M{user}"),
    )


async def timed(app: Application, incoming: CommandMessage, runs: int) -> list[float]:
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await app.dispatcher.handle(incoming, Quiet())
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def seeded(app: Application) -> bool:
    with app.services.database.engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM member")).scalar_one()
    return count == MEMBERS


def report(name: str, spent: list[float]) -> None:
    print(f"BENCH {name}.p50 {statistics.median(spent):.1f} ms")
    print(f"BENCH {name}.p99 {percentile(spent, 0.99):.1f} ms")


async def measure(app: Application) -> None:
    if KEEP and seeded(app):
        print(f"# {MEMBERS:,} members in {CHAPTERS:,} chapters: the kept database")
    else:
        started = time.perf_counter()
        fill(app)
        print(f"# {MEMBERS:,} members in {CHAPTERS:,} chapters written in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    # Baseline: one indexed count.
    with app.services.database.engine.connect() as connection:
        spent = []
        for _ in range(50):
            begun = time.perf_counter()
            connection.execute(text("SELECT count(*) FROM membership WHERE chapter_id = 1"))
            spent.append((time.perf_counter() - begun) * 1000)
    report("outreach.baseline.indexed_count", spent)

    # The hourly tally, as the clock's first tick would count it.
    began = time.perf_counter()
    with app.services.database.session() as session:
        GrowthRepository(session).count_tally()
    print(f"BENCH outreach.growth_tally.counted_in {time.perf_counter() - began:.2f} s")

    member = 1  # in the 5,000-member chapter
    await timed(app, command("stats", "all", member), 3)  # warm the caches and the pool
    report(f"outreach.stats.chapter_{BIG}", await timed(app, command("stats", "", member), 30))
    report("outreach.stats.all", await timed(app, command("stats", "all", member), 30))
    report("outreach.growth", await timed(app, command("growth", "", member), 10))
    if STATS_ONLY:
        return

    # The monthly nudge: its one schedule, fired once; every accepting member's row queued.
    with app.services.database.session() as session:
        keep_monthly(app.services, session)
    with app.services.database.session() as session:
        schedules = ScheduleRepository(session)
        schedule = schedules.by_key(MONTHLY_KEY)
        assert schedule is not None and schedule.next_at is not None
        at = schedule.next_at
    clock = Clock.for_router(app.services, app.dispatcher.router)
    began = time.perf_counter()
    clock.fire_due(at + timedelta(seconds=1))
    fan_out = time.perf_counter() - began
    queued = nudges_queued(app)
    # The first firing also makes every member's invitation code; the next month's finds them.
    print(f"BENCH outreach.nudge.fan_out_{queued}.first_month.queued_in {fan_out:.1f} s")
    with app.services.database.session() as session:
        schedule = ScheduleRepository(session).by_key(MONTHLY_KEY)
        assert schedule is not None and schedule.next_at is not None
        at = schedule.next_at
    began = time.perf_counter()
    clock.fire_due(at + timedelta(seconds=1))
    fan_out = time.perf_counter() - began
    queued = nudges_queued(app) - queued
    print(f"BENCH outreach.nudge.fan_out_{queued}.next_month.queued_in {fan_out:.1f} s")

    # Baselines: the same number of rows by a plain INSERT … SELECT: bare ones into a table
    # without indexes, and rows as large as the nudge's (its questions and deliveries, with
    # their indexes but without the foreign-key checks) into copies of the real tables.
    with app.services.database.engine.begin() as connection:
        connection.execute(text("CREATE TEMP TABLE copy_of_delivery (LIKE delivery)"))
        began = time.perf_counter()
        connection.execute(
            text(
                """INSERT INTO copy_of_delivery (id, message_id, platform, chat_id, member_id,
                       message, priority, status, attempts, due_at, created_at)
                   SELECT c.id, md5(c.id::text), c.platform, c.chat_id, c.member_id,
                          '{"type": "Choice"}', 2, 'pending', 0, now(), now()
                   FROM chat c"""
            )
        )
        baseline = time.perf_counter() - began
    print(f"BENCH outreach.baseline.insert_select_{MEMBERS}.bare.in {baseline:.1f} s")
    with app.services.database.engine.begin() as connection:
        for table in ("delivery", "pendingaction"):
            connection.execute(text(f"CREATE TEMP TABLE same_{table} (LIKE {table} INCLUDING ALL)"))
        began = time.perf_counter()
        connection.execute(
            text(
                """INSERT INTO same_pendingaction (id, member_id, chat_key, kind, payload,
                       options, created_at)
                   SELECT left(md5(c.id::text), 16), c.member_id, c.platform || ':' || c.chat_id,
                          a.kind, a.payload, a.options, now()
                   FROM chat c, (SELECT * FROM pendingaction LIMIT 1) a"""
            )
        )
        connection.execute(
            text(
                """INSERT INTO same_delivery (message_id, platform, chat_id, member_id,
                       message, priority, status, attempts, due_at, created_at, schedule_id,
                       occurrence)
                   SELECT md5(c.id::text), c.platform, c.chat_id, c.member_id, d.message, 2,
                          'pending', 0, now(), now(), d.schedule_id, d.occurrence
                   FROM chat c, (SELECT * FROM delivery WHERE schedule_id IS NOT NULL
                                 LIMIT 1) d"""
            )
        )
        baseline = time.perf_counter() - began
    print(f"BENCH outreach.baseline.insert_select_{MEMBERS}.nudge_sized.in {baseline:.1f} s")


def nudges_queued(app: Application) -> int:
    with app.services.database.engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM delivery WHERE schedule_id IS NOT NULL")
        ).scalar_one()


async def main() -> None:
    with scratch_database(DATABASE, keep=KEEP) as url:
        if url is None:
            return
        settings = Settings(
            database_url=url,
            org_file=DEMO_ORG_FILE,
            locales_dir=default_locales_dir(),
            cache_dir=None,
        )
        app = build_application(settings, upgrade_database=True)
        try:
            await measure(app)
        finally:
            app.close()


if __name__ == "__main__":
    asyncio.run(main())
