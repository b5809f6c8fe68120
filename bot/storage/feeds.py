"""Feeds, the chapters that read them, and the entries seen in them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import exists, or_
from sqlmodel import Session, col, select

from bot.config import FeedSpec
from bot.feeds.fetch import Validators
from bot.feeds.parse import Entry, ParsedFeed, Seen, new_entries
from bot.storage.models import Feed, FeedEntry, FeedSource

# Of a feed's entries when it is added, only this many of the most recent are shown once.
SHOWN_WHEN_ADDED = 3


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; they were stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class FeedRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, feed_id: int) -> Feed | None:
        return self.session.get(Feed, feed_id)

    def by_url(self, url: str) -> Feed | None:
        return self.session.exec(select(Feed).where(Feed.url == url)).first()

    def save(self, feed: Feed) -> None:
        self.session.add(feed)
        self.session.flush()

    def of_chapter(self, chapter_id: int) -> list[tuple[FeedSource, Feed]]:
        rows = self.session.exec(
            select(FeedSource, Feed)
            .join(Feed, Feed.id == FeedSource.feed_id)
            .where(FeedSource.chapter_id == chapter_id)
            .order_by(col(Feed.id))
        )
        return list(rows)

    def source(self, chapter_id: int, feed_id: int) -> FeedSource | None:
        return self.session.exec(
            select(FeedSource).where(
                FeedSource.chapter_id == chapter_id, FeedSource.feed_id == feed_id
            )
        ).first()

    def add_source(self, feed: Feed, chapter_id: int, member_id: int | None) -> FeedSource:
        source = FeedSource(feed_id=feed.id, chapter_id=chapter_id, added_by=member_id)
        self.session.add(source)
        self.session.flush()
        return source

    def remove_source(self, source: FeedSource) -> None:
        self.session.delete(source)
        self.session.flush()

    def sources(self, feed_id: int) -> list[FeedSource]:
        return list(self.session.exec(select(FeedSource).where(FeedSource.feed_id == feed_id)))

    def added_by(self, member_id: int) -> list[FeedSource]:
        return list(self.session.exec(select(FeedSource).where(FeedSource.added_by == member_id)))

    def due(self, now: datetime, limit: int = 100) -> list[Feed]:
        """Feeds to fetch now: only those some chapter (or the organization) still reads."""
        used = exists().where(FeedSource.feed_id == Feed.id)
        return list(
            self.session.exec(
                select(Feed)
                .where(Feed.next_fetch_at <= now, or_(col(Feed.org_wide), used))
                .order_by(col(Feed.next_fetch_at))
                .limit(limit)
            )
        )

    def sync_org_feeds(self, specs: Iterable[FeedSpec], now: datetime) -> None:
        """The organization file's feeds are organization-wide; others no longer are."""
        wanted = {spec.url: spec for spec in specs}
        for feed in self.session.exec(select(Feed).where(col(Feed.org_wide))):
            if feed.url not in wanted:
                feed.org_wide = False
                self.session.add(feed)
        for url, spec in wanted.items():
            feed = self.by_url(url)
            if feed is None:
                feed = Feed(url=url[:2000], title=spec.name[:300], next_fetch_at=now)
            if not feed.org_wide:
                feed.org_wide = True
                self.session.add(feed)
        self.session.flush()

    def add_to_chapter(self, url: str, title: str, chapter_id: int, now: datetime) -> bool:
        """A feed for a chapter without fetching it first (an OPML import): fetched at the
        next round. False if the chapter follows it already."""
        feed = self.by_url(url)
        if feed is None:
            feed = Feed(url=url[:2000], title=title[:300], next_fetch_at=now)
            self.save(feed)
        if self.source(chapter_id, feed.id) is not None:
            return False
        self.add_source(feed, chapter_id, None)
        return True

    def in_use(self) -> list[tuple[Feed, int | None]]:
        """Every feed someone reads, with the chapter reading it (None: organization-wide)."""
        rows: list[tuple[Feed, int | None]] = [
            (feed, None) for feed in self.session.exec(select(Feed).where(col(Feed.org_wide)))
        ]
        rows += [
            (feed, source.chapter_id)
            for source, feed in self.session.exec(
                select(FeedSource, Feed)
                .join(Feed, Feed.id == FeedSource.feed_id)
                .order_by(col(FeedSource.chapter_id), col(Feed.id))
            )
        ]
        return rows

    def entries(self, feed_id: int) -> list[FeedEntry]:
        return list(
            self.session.exec(
                select(FeedEntry).where(FeedEntry.feed_id == feed_id).order_by(col(FeedEntry.id))
            )
        )

    def record(self, feed: Feed, parsed: ParsedFeed, validators: Validators, now: datetime) -> int:
        """Store what a successful fetch found; returns how many entries are new.

        The first time, what the feed already holds is not news: all but the few most
        recent entries are stored quiet, so adding a blog does not flood the next digest.
        """
        first = feed.last_ok_at is None
        rows = self.session.exec(
            select(FeedEntry.key, FeedEntry.link).where(FeedEntry.feed_id == feed.id)
        )
        seen = Seen(set(), set())
        for key, link in rows:
            seen.keys.add(key)
            if link:
                seen.links.add(link)
        fresh = new_entries(parsed.entries, seen)
        shown = {entry.key for entry in most_recent(fresh, SHOWN_WHEN_ADDED)} if first else None
        for entry in fresh:
            self.session.add(
                FeedEntry(
                    feed_id=feed.id,
                    key=entry.key[:300],
                    link=entry.link[:2000] if entry.link else None,
                    title=entry.title[:300],
                    summary=entry.summary[:200],
                    published_at=entry.published,
                    seen_at=now,
                    quiet=shown is not None and entry.key not in shown,
                )
            )
        feed.title = parsed.title or feed.title
        feed.site_link = (parsed.link or feed.site_link or "")[:2000] or None
        self.succeeded(feed, validators, now)
        return len(fresh)

    @staticmethod
    def succeeded(feed: Feed, validators: Validators, now: datetime) -> None:
        feed.etag = (validators.etag or "")[:300] or None
        feed.last_modified = (validators.last_modified or "")[:100] or None
        feed.body_digest = validators.digest
        feed.last_ok_at = now
        feed.failing_since, feed.failures, feed.last_error = None, 0, None
        feed.failure_told = False


def most_recent(entries: list[Entry], count: int) -> list[Entry]:
    """The newest by date; undated entries count as older, in the feed's own order."""
    dated = sorted(
        (e for e in entries if e.published is not None),
        key=lambda e: e.published or datetime.min,
        reverse=True,
    )
    undated = [e for e in entries if e.published is None]
    return (dated + undated)[:count]
