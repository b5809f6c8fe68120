"""Feeds and digests at scale: 1,000 feeds × 100 entries parsed and deduplicated, the
digests of 5,000 chapter chats built, and the fetcher's memory over 1,000 feeds.

Baselines in the same run: feedparser's own parse of the same bytes (what any reader must
pay), and one query of the entries a digest reads. Run with `make bench`; figures are
printed as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from aiohttp import web
from sqlalchemy import insert
from sqlmodel import col, select

from bot.app import Application, build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import Seen, new_entries, parse_feed
from bot.handlers.digests import DEFAULT_RULE, DIGEST, compose
from bot.storage.models import Chapter, Chat, Feed, FeedEntry, FeedSource, Schedule

FEEDS = int(os.environ.get("BENCH_FEEDS", "1000"))
ENTRIES = 100
CHATS = 5_000
CHATS_PER_CHAPTER = 10
FEEDS_PER_CHAPTER = 2
NEW_PER_FEED = 12


def feed_bytes(n: int, entries: int = ENTRIES) -> bytes:
    items = "".join(
        f"<item><guid>f{n}-e{e}</guid><title>Post {e} of blog {n} &amp; friends</title>"
        f"<link>https://blog{n}.example.org/{e}</link>"
        f"<pubDate>Mon, {1 + e % 28:02d} Nov 2026 10:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;What we did on day {e}: &lt;b&gt;soup&lt;/b&gt;, flyers and a "
        f"long talk about the next meeting.&lt;/p&gt;</description></item>"
        for e in range(entries)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Blog {n}</title><link>https://blog{n}.example.org/</link>{items}"
        f"</channel></rss>"
    ).encode()


def bench_parsing() -> None:
    bodies = [feed_bytes(n) for n in range(FEEDS)]
    headers = {"content-type": "application/rss+xml"}
    started = time.perf_counter()
    for body in bodies:
        feedparser.parse(body, response_headers=headers, sanitize_html=False)
    baseline = time.perf_counter() - started
    total = FEEDS * ENTRIES
    started = time.perf_counter()
    fresh = 0
    for body in bodies:
        parsed = parse_feed(body, headers)
        # Half of each feed seen before: the usual fetch finds a few new among the known.
        seen = Seen.of(parsed.entries[ENTRIES // 2 :])
        fresh += len(new_entries(parsed.entries, seen))
    ours = time.perf_counter() - started
    assert fresh == FEEDS * (ENTRIES // 2)
    print(f"# {FEEDS} feeds × {ENTRIES} entries")
    print(f"BENCH feeds.parse.feedparser_baseline {total / baseline:.0f} entries/s")
    print(f"BENCH feeds.parse.parse_and_dedupe {total / ours:.0f} entries/s")


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url, org_file=DEMO_ORG_FILE, locales_dir=default_locales_dir(), cache_dir=None
    )


def fill_digests(app: Application, now: datetime) -> None:
    chapters = CHATS // CHATS_PER_CHAPTER
    with app.services.database.session() as session:
        session.execute(
            insert(Chapter),
            [
                {
                    "slug": f"c{i}",
                    "name": f"Chapter {i}",
                    "city": "x",
                    "country_code": "BE",
                    "latitude": 50.0 + i / 1000,
                    "longitude": 4.0,
                    "languages": "en",
                    "status": "active",
                    "descriptions": {},
                }
                for i in range(chapters)
            ],
        )
        ids = list(
            session.exec(select(Chapter.id).where(Chapter.city == "x").order_by(col(Chapter.id)))
        )
        feeds = [
            {
                "url": f"https://blog{n}.example.org/feed",
                "title": f"Blog {n}",
                "org_wide": False,
                "failures": 0,
                "failure_told": False,
                "next_fetch_at": now,
                "created_at": now,
            }
            for n in range(chapters * FEEDS_PER_CHAPTER)
        ]
        session.execute(insert(Feed), feeds)
        feed_ids = list(session.exec(select(Feed.id).order_by(col(Feed.id))))
        session.execute(
            insert(FeedSource),
            [
                {
                    "feed_id": feed_ids[i * FEEDS_PER_CHAPTER + k],
                    "chapter_id": chapter_id,
                    "created_at": now,
                }
                for i, chapter_id in enumerate(ids)
                for k in range(FEEDS_PER_CHAPTER)
            ],
        )
        session.execute(
            insert(FeedEntry),
            [
                {
                    "feed_id": feed_id,
                    "key": f"id:{feed_id}-{e}",
                    "link": f"https://blog.example.org/{feed_id}/{e}",
                    "title": f"Post {e} & more",
                    "summary": "What we did, in one line. " * 4,
                    "published_at": now - timedelta(hours=e),
                    "seen_at": now,
                    "quiet": False,
                }
                for feed_id in feed_ids
                for e in range(NEW_PER_FEED)
            ],
        )
        chats, schedules = [], []
        for n in range(CHATS):
            chapter_id = ids[n // CHATS_PER_CHAPTER]
            chats.append(
                {
                    "platform": "bench",
                    "chat_id": f"g{n}",
                    "kind": "group",
                    "chapter_id": chapter_id,
                    "language": ("en", "fr", "nl")[n % 3],
                    "created_at": now,
                }
            )
            schedules.append(
                {
                    "kind": DIGEST,
                    "key": f"digest:bench:g{n}",
                    "platform": "bench",
                    "chat_id": f"g{n}",
                    "rule": DEFAULT_RULE.to_dict(),
                    "timezone": "Europe/Brussels",
                    "payload": {"after": 0},
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Chat), chats)
        session.execute(insert(Schedule), schedules)
        session.commit()


def bench_digests() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as workdir:
        app = build_application(settings_for(f"sqlite:///{Path(workdir) / 'bench.sqlite'}"))
        try:
            fill_digests(app, now)
            services = app.services
            with services.database.session() as session:
                schedules = list(session.exec(select(Schedule).where(Schedule.kind == DIGEST)))
                baseline, timings = [], []
                for schedule in schedules:
                    started = time.perf_counter()
                    session.exec(select(FeedEntry).where(col(FeedEntry.feed_id).in_([1, 2]))).all()
                    baseline.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    composed = compose(services, session, schedule)
                    timings.append(time.perf_counter() - started)
                    assert composed is not None
        finally:
            app.close()
    p99 = sorted(timings)[int(0.99 * (len(timings) - 1))]
    print(f"# digests of {CHATS} chats, {FEEDS_PER_CHAPTER} feeds × {NEW_PER_FEED} new posts each")
    print(f"BENCH digests.build.query_baseline.median {statistics.median(baseline) * 1e3:.2f} ms")
    print(f"BENCH digests.build.median {statistics.median(timings) * 1e3:.2f} ms")
    print(f"BENCH digests.build.p99 {p99 * 1e3:.2f} ms")


async def bench_fetcher_memory() -> None:
    body = feed_bytes(0)

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{n}.xml", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:

        async def round_of_fetches() -> list[int]:
            async with Fetcher(allow_private=True, per_host=8) as fetcher:
                gate = asyncio.Semaphore(10)  # as the periodic round fetches

                async def one(n: int) -> int:
                    async with gate:
                        result = await fetcher.fetch(f"http://127.0.0.1:{port}/{n}.xml")
                        return len(result.body)

                return await asyncio.gather(*(one(n) for n in range(FEEDS)))

        started = time.perf_counter()
        await round_of_fetches()
        elapsed = time.perf_counter() - started
        tracemalloc.start()  # slows everything down: the rate is measured above, untraced
        counts = await round_of_fetches()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await runner.cleanup()
    assert sum(counts) == FEEDS * len(body)
    print(f"# fetcher: {FEEDS} feeds of {len(body) / 1024:.0f} KiB from a local server")
    print(f"BENCH feeds.fetch.body_size_baseline {len(body) / 2**20:.2f} MiB")
    print(f"BENCH feeds.fetch.peak_memory {peak / 2**20:.1f} MiB")
    print(f"BENCH feeds.fetch.rate {FEEDS / elapsed:.0f} feeds/s")


def main() -> None:
    bench_parsing()
    bench_digests()
    asyncio.run(bench_fetcher_memory())


if __name__ == "__main__":
    main()
