"""Parsing a fetched feed with feedparser, and telling new entries from ones already seen.

feedparser gets the raw bytes and the response headers, so that it picks the encoding the
way the XML rules say (the HTTP charset, else the XML declaration, with fallbacks) rather
than ours: a windows-1251 feed served without a charset reads right.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.feeds.errors import FeedError, Reason
from bot.feeds.text import one_line, plain_text

TITLE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # stable identity: see entry_keys
    guid: str | None
    link: str | None
    title: str  # plain text; escaping is the renderer's job
    summary: str  # plain text, one line, ≤ 200 characters
    published: datetime | None  # UTC


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None  # the site, for "and 12 more on …"
    entries: tuple[Entry, ...]


def parse_feed(body: bytes, headers: dict[str, str] | None = None, url: str = "") -> ParsedFeed:
    response_headers = {key.lower(): value for key, value in (headers or {}).items()}
    # No content-location: feedparser would resolve ids against it and an entry's identity
    # would change with the feed's address. Links are resolved below instead.
    response_headers.pop("content-location", None)
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=False)
    # bozo is set for harmless things too (an overridden charset, a text/plain type, a
    # broken tag the loose parser read through): only a document with nothing in it fails.
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(Reason.NOT_A_FEED, repr(parsed.get("bozo_exception", "")))
    feed = parsed.feed
    raw = list(parsed.entries)
    keys = entry_keys(raw)
    entries = tuple(_entry(item, key, url) for item, key in zip(raw, keys, strict=True))
    title = one_line(_text(feed.get("title_detail"), feed.get("title")), TITLE_CHARS)
    return ParsedFeed(title=title, link=_link(feed.get("link"), url), entries=entries)


def entry_keys(raw: list[Any]) -> list[str]:
    """An entry's identity: its id, else its link, else a hash of its title and date.

    Some feeds give every entry the same id (a generator's bug); where an id is repeated in
    one document, the link tells the entries apart.
    """
    ids = Counter(_clean(item.get("id")) for item in raw)
    keys = []
    for item in raw:
        guid, link = _clean(item.get("id")), _clean(item.get("link"))
        if guid and ids[guid] > 1 and link:
            keys.append(f"id:{guid}|link:{link}")
        elif guid:
            keys.append(f"id:{guid}")
        elif link:
            keys.append(f"link:{link}")
        else:
            title = item.get("title", "") or ""
            date = item.get("published", "") or item.get("updated", "") or ""
            keys.append("hash:" + hashlib.sha256(f"{title}\x00{date}".encode()).hexdigest()[:32])
    return keys


def _entry(item: Any, key: str, base: str) -> Entry:
    summary = _text(item.get("summary_detail"), item.get("summary"))
    if not summary and item.get("content"):
        summary = _text(item["content"][0], None)
    when = item.get("published_parsed") or item.get("updated_parsed")
    return Entry(
        key=key,
        guid=_clean(item.get("id")),
        link=_link(item.get("link"), base),
        title=one_line(_text(item.get("title_detail"), item.get("title")), TITLE_CHARS),
        summary=one_line(summary),
        published=datetime.fromtimestamp(calendar.timegm(when), UTC) if when else None,
    )


def _text(detail: Any, fallback: Any) -> str:
    """Plain text: HTML content loses its tags; plain text is kept as it is (a "<3" stays)."""
    value = str((detail or {}).get("value", fallback) or "")
    kind = str((detail or {}).get("type", "text/html"))
    return plain_text(value) if "html" in kind else value


def _link(value: Any, base: str) -> str | None:
    link = _clean(value)
    if link is None:
        return None
    link = urljoin(base, link) if base else link
    # Only web links are shown: a javascript: or data: link never reaches a chat.
    return link if urlsplit(link).scheme in ("http", "https") else None


def _clean(value: Any) -> str | None:
    text = str(value or "").strip()
    return text or None


@dataclass(slots=True)
class Seen:
    """The keys and links of a feed's entries already stored."""

    keys: set[str]
    links: set[str]

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Seen:
        seen = cls(set(), set())
        for entry in entries:
            seen.add(entry)
        return seen

    def add(self, entry: Entry) -> None:
        self.keys.add(entry.key)
        if entry.link:
            self.links.add(entry.link)

    def knows(self, entry: Entry) -> bool:
        # An edited entry keeps its key; one whose id changed keeps its link.
        return entry.key in self.keys or (entry.link is not None and entry.link in self.links)


def new_entries(entries: Iterable[Entry], seen: Seen) -> list[Entry]:
    """The entries not seen before, in the feed's order; `seen` learns them."""
    fresh = []
    for entry in entries:
        if not seen.knows(entry):
            seen.add(entry)
            fresh.append(entry)
    return fresh
