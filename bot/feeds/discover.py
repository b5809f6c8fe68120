"""Finding a feed from a web page's <link rel="alternate">, then fetching and parsing it."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from bot.feeds.errors import FeedError, Reason
from bot.feeds.fetch import Fetcher, FetchResult
from bot.feeds.parse import ParsedFeed, parse_feed

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
)


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            # JSON Feed is not read by feedparser: prefer anything else.
            self.found.append((kind == "application/feed+json", values["href"]))


def alternate_links(html: str, base: str) -> list[str]:
    parser = _AlternateLinks()
    parser.feed(html)
    parser.close()
    return [urljoin(base, href) for _json, href in sorted(parser.found, key=lambda f: f[0])]


def looks_like_html(result: FetchResult) -> bool:
    kind = result.headers.get("content-type", "").lower()
    return "html" in kind or result.body.lstrip()[:200].lower().startswith(
        (b"<!doctype html", b"<html")
    )


async def find_feed(fetcher: Fetcher, url: str) -> tuple[FetchResult, ParsedFeed]:
    """The feed at `url`, or the one the page at `url` names. FeedError says why not."""
    result = await fetcher.fetch(url)
    try:
        return result, parse_feed(result.body, result.headers, result.url)
    except FeedError:
        if not looks_like_html(result):
            raise
    charset = _charset(result)
    links = alternate_links(result.body.decode(charset, errors="replace"), result.url)
    if not links:
        raise FeedError(Reason.NO_FEED_FOUND, result.url)
    feed_result = await fetcher.fetch(links[0])
    return feed_result, parse_feed(feed_result.body, feed_result.headers, feed_result.url)


def _charset(result: FetchResult) -> str:
    kind = result.headers.get("content-type", "")
    for part in kind.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                "".encode(value.strip('"'))
                return value.strip('"')
            except LookupError:
                break
    return "utf-8"
