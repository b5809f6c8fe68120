"""Parsing what the local server serves: dialects, encodings, broken XML, identities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.errors import FeedError, Reason
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import Seen, new_entries, parse_feed
from bot.feeds.text import one_line, plain_text
from tests.support.feed_server import (
    ATOM,
    CYRILLIC_ITEM,
    CYRILLIC_TITLE,
    RSS,
    FeedServer,
    cyrillic_feed,
)


async def parsed(feed_server: FeedServer, fetcher: Fetcher, path: str):  # type: ignore[no-untyped-def]
    result = await fetcher.fetch(f"{feed_server.url}{path}")
    return parse_feed(result.body, result.headers, result.url)


async def test_rss_2(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed = await parsed(feed_server, fetcher, "/rss.xml")
    assert feed.title == "Brussels chapter blog"
    assert feed.link == "https://brussels.example.org/"
    first, second, _ = feed.entries
    assert first.key == "id:post-3" and first.link == "https://brussels.example.org/soup"
    assert first.title == "Soup & <solidarity>"  # plain text: the renderer escapes it
    assert first.summary == "We cooked soup for 80 people."  # tags and scripts gone
    assert first.published == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert second.published == datetime(2026, 11, 28, 8, 30, tzinfo=UTC)
    assert second.summary == "Escaped HTML with a <3 in it."


async def test_atom_1(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed = await parsed(feed_server, fetcher, "/atom.xml")
    assert feed.title == "The organization"
    winter, autumn = feed.entries
    assert winter.title == "Winter campaign" and winter.summary == "Join us in every city."
    assert winter.link == "https://org.example.org/winter" and winter.key == "id:urn:org:2"
    assert autumn.summary == "Numbers & stories"  # from <content> when there is no summary
    assert autumn.published == datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


async def test_rdf(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed = await parsed(feed_server, fetcher, "/rdf.xml")
    (entry,) = feed.entries
    assert entry.title == "Repair café" and entry.link == "https://gent.example.org/a"
    assert entry.published == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


async def test_broken_xml_is_read_as_far_as_it_goes(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed = await parsed(feed_server, fetcher, "/broken.xml")
    (entry,) = feed.entries
    assert entry.link == "https://broken.example.org/1"
    assert entry.summary == "Still readable"


@pytest.mark.parametrize("path", ["/cp1251.xml", "/koi8.xml"])
async def test_the_xml_declarations_encoding_is_honoured(
    feed_server: FeedServer, fetcher: Fetcher, path: str
) -> None:
    # /cp1251.xml has no charset in its Content-Type; /koi8.xml claims UTF-8 wrongly.
    feed = await parsed(feed_server, fetcher, path)
    assert feed.title == CYRILLIC_TITLE
    assert feed.entries[0].title == CYRILLIC_ITEM


def test_decoding_the_bytes_ourselves_would_have_been_wrong() -> None:
    # Why feedparser gets bytes: read as UTF-8 (what the header said), the text is garbage.
    body = cyrillic_feed("koi8-r")
    assert CYRILLIC_TITLE not in body.decode("utf-8", errors="replace")


async def test_entries_without_dates_or_ids(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed = await parsed(feed_server, fetcher, "/noids.xml")
    only_title, no_link, first, second = feed.entries
    assert only_title.key.startswith("hash:") and only_title.published is None
    assert no_link.key.startswith("hash:") and no_link.key != only_title.key
    # One id reused for two entries: told apart by their links.
    assert first.key != second.key
    assert len({entry.key for entry in feed.entries}) == 4


@pytest.mark.parametrize(
    "body", [b"", b"not xml at all", b"<html><body>hello</body></html>", b"\x00\xff\xfe"]
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, {"content-type": "text/html"})
    assert caught.value.reason is Reason.NOT_A_FEED


def test_identities_are_stable_from_one_parse_to_the_next() -> None:
    assert parse_feed(RSS.encode()).entries == parse_feed(RSS.encode()).entries


def test_an_edited_entry_is_not_new_and_a_new_one_is() -> None:
    seen = Seen.of(parse_feed(RSS.encode()).entries)
    edited = (
        RSS.replace("Soup &amp;", "Hot soup &amp;")  # title edited
        .replace("Twelve of us.", "Twelve of us, and a dog.")  # summary edited
        .replace("<guid>post-2</guid>", "<guid>https://brussels.example.org/?p=2</guid>")
    )  # an id that changed, on the same link
    assert new_entries(parse_feed(edited.encode()).entries, seen) == []
    added = edited.replace(
        "<item>",
        "<item><guid>post-4</guid><title>New</title><link>https://brussels.example.org/new</link>"
        "</item><item>",
        1,
    )
    fresh = new_entries(parse_feed(added.encode()).entries, seen)
    assert [entry.title for entry in fresh] == ["New"]
    assert new_entries(parse_feed(added.encode()).entries, seen) == []  # learned


def test_a_known_id_whose_link_changed_is_an_edit() -> None:
    def one(link: str) -> bytes:
        return (
            '<rss version="2.0"><channel><title>t</title>'
            f"<item><guid>same</guid><title>{link}</title><link>{link}</link></item>"
            "</channel></rss>"
        ).encode()

    seen = Seen.of(parse_feed(one("https://x.example.org/1")).entries)
    # A slug renamed after publication: the same post, not posted again. (A feed that puts
    # one id on several entries is told apart by link within the document: see above.)
    assert new_entries(parse_feed(one("https://x.example.org/2")).entries, seen) == []


def test_atom_summaries_are_one_line_of_at_most_200_characters() -> None:
    long = "<p>" + " ".join(["word"] * 100) + "</p>"
    feed = parse_feed(ATOM.replace("&lt;p&gt;Join us in every city.&lt;/p&gt;", long).encode())
    summary = feed.entries[0].summary
    assert len(summary) <= 200 and summary.endswith("…") and "<" not in summary


def test_plain_text_and_one_line() -> None:
    assert plain_text("<p>a</p><p>b&nbsp;&amp;&lt;c&gt;</p>") == "a b &<c>"
    assert plain_text("<style>p{}</style><b>x</b>\n\n y") == "x y"
    assert one_line("short") == "short"
    text = "abc " * 100
    assert len(one_line(text)) <= 200 and one_line(text).endswith("abc…")
