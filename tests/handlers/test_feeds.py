"""/feed through the whole core against the local feed server, and the periodic fetch."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_application
from bot.handlers.feeds import fetch_round
from bot.storage.feeds import aware
from bot.storage.models import Feed, FeedEntry, FeedSource
from tests.conftest import make_settings
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.feed_server import RSS, FeedServer
from tests.support.harness import Harness
from tests.support.organizations import write_chapters_org

NEW_ITEM = (
    "<item><guid>post-4</guid><title>Our stand at the fair</title>"
    "<link>https://brussels.example.org/fair</link>"
    "<pubDate>Wed, 02 Dec 2026 10:00:00 GMT</pubDate></item>"
)


@pytest.fixture
def bot(feeds_bot: Harness) -> Harness:
    return feeds_bot


@pytest.fixture
def server(feed_server: FeedServer) -> FeedServer:
    return feed_server


@pytest.fixture
def strict_bot(
    sqlite_url: str, locales_dir: Path, cache_dir: Path, tmp_path: Path
) -> Iterator[Harness]:
    """The ordinary settings: CHAPTERBOT_FEEDS_ALLOW_PRIVATE unset."""
    settings = dataclasses.replace(
        make_settings(sqlite_url, locales_dir, cache_dir), org_file=write_chapters_org(tmp_path)
    )
    application = build_application(settings)
    yield Harness(application)
    application.close()


def stored(bot: Harness) -> tuple[list[Feed], list[FeedEntry], list[FeedSource]]:
    with bot.app.services.database.session() as session:
        return (
            list(session.exec(select(Feed))),
            list(session.exec(select(FeedEntry).order_by(FeedEntry.id))),
            list(session.exec(select(FeedSource))),
        )


async def test_an_organizer_adds_a_blog_from_its_page(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    reply = await bot.say_in_group(f"/feed add {server.url}/page.html", member="olga", chat=GROUP)
    assert "Added “Brussels chapter blog” (number 1) to the feeds of Brussels" in reply.text
    (feed,), entries, (source,) = stored(bot)
    assert feed.url == f"{server.url}/rss.xml" and feed.etag is None
    assert source.added_by == bot.member("olga").id
    # What the blog held already is not news, but for the three most recent posts.
    assert [e.quiet for e in entries] == [False, False, False]
    reply = await bot.say_in_group("/feed list", member="olga", chat=GROUP)
    assert "1. Brussels chapter blog" in reply.text
    assert server.url not in reply.text  # a feed's address stays out of the group
    assert server.url in (await bot.say("/feed list", member="olga")).text  # private: shown
    reply = await bot.say_in_group(
        "/feed add " + server.url + "/rss.xml", member="olga", chat=GROUP
    )
    assert "Brussels already follows “Brussels chapter blog”" in reply.text
    reply = await bot.say_in_group("/feed remove 1", member="olga", chat=GROUP)
    assert "Removed “Brussels chapter blog” from the feeds of Brussels" in reply.text
    assert stored(bot)[2] == []
    reply = await bot.say_in_group("/feed remove 1", member="olga", chat=GROUP)
    assert "Brussels has no feed number 1" in reply.text


async def test_only_three_old_entries_count_as_new(bot: Harness, server: FeedServer) -> None:
    # The most recent by date, whatever the feed's order: post-5 comes second but is oldest.
    oldest = (
        NEW_ITEM.replace("post-4", "post-5")
        .replace("/fair", "/fair2")
        .replace("Wed, 02 Dec 2026", "Sun, 01 Nov 2026")
    )
    server.live = RSS.replace("<item>", NEW_ITEM + oldest + "<item>", 1)
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/live.xml", member="olga", chat=GROUP)
    _, entries, _ = stored(bot)
    assert [(e.key, e.quiet) for e in entries] == [
        ("id:post-4", False),
        ("id:post-5", True),
        ("id:post-3", False),
        ("id:post-2", False),
        ("id:post-1", True),
    ]


@pytest.mark.parametrize(
    ("lang", "path", "words"),
    [
        ("en", "/nofeed.html", "That page names no feed"),
        ("en", "/status/404", "That page does not exist"),
        ("en", "/status/500", "The site answered with an error (500)"),
        ("en", "/plain.txt", "does not lead to a feed"),
        ("en", "/big", "too large"),
        ("fr", "/status/404", "Cette page n’existe pas"),
        ("nl", "/status/404", "Die pagina bestaat niet"),
    ],
)
async def test_bad_feeds_get_a_clear_answer(
    bot: Harness, server: FeedServer, lang: str, path: str, words: str
) -> None:
    await linked_group(bot)
    await bot.say("/language " + lang, member="olga")
    reply = await bot.say(f"/feed add {server.url}{path}", member="olga")
    assert words in reply.text
    assert stored(bot) == ([], [], [])


async def test_not_a_url_and_private_addresses(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    reply = await bot.say("/feed add ftp://example.org/feed", member="olga")
    assert "That is not a web address" in reply.text
    reply = await bot.say("/feed add hello", member="olga")
    assert "That is not a web address" in reply.text
    reply = await bot.say("/feed frobnicate", member="olga")
    assert "/feed add ADDRESS" in reply.text


async def test_private_addresses_are_refused_by_default(
    strict_bot: Harness, server: FeedServer
) -> None:
    bot = strict_bot
    await linked_group(bot)
    reply = await bot.say(f"/feed add {server.url}/rss.xml", member="olga")
    assert "private network" in reply.text
    assert server.hits["/rss.xml"] == 0


async def test_members_cannot_manage_feeds(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot, "nina")
    reply = await bot.say_in_group(f"/feed add {server.url}/rss.xml", member="nina", chat=GROUP)
    assert "Only a chapter’s organizers can manage its feeds" in reply.text
    assert server.hits["/rss.xml"] == 0


async def test_the_periodic_fetch_stores_new_entries_once(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/live.xml", member="olga", chat=GROUP)
    added = stored(bot)[0][0]
    now = datetime.now(UTC)
    assert await fetch_round(bot.app.services, now) == 0  # not due for 30 minutes
    later = now + timedelta(minutes=31)
    server.live = RSS.replace("<item>", NEW_ITEM + "<item>", 1).replace("Twelve", "Eleven")
    assert await fetch_round(bot.app.services, later) == 1
    _, entries, _ = stored(bot)
    assert [e.key for e in entries if aware(e.seen_at) > now] == ["id:post-4"]
    assert len(entries) == 4  # the edited entry was not stored again
    assert await fetch_round(bot.app.services, later) == 0  # one fetch per feed per interval
    assert await fetch_round(bot.app.services, later + timedelta(minutes=31)) == 1
    assert len(stored(bot)[1]) == 4
    assert server.hits["/live.xml"] == 3
    assert stored(bot)[0][0].id == added.id


async def test_conditional_get_on_the_clock(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/etag.xml", member="olga", chat=GROUP)
    feed = stored(bot)[0][0]
    assert feed.etag == '"v1"'
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert await fetch_round(bot.app.services, later) == 1
    assert stored(bot)[0][0].failures == 0 and len(stored(bot)[1]) == 3


async def test_a_failing_feed_backs_off_and_tells_who_added_it_once(
    bot: Harness, server: FeedServer
) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/live.xml", member="olga", chat=GROUP)
    await bot.inbox("olga")
    server.live = "<html>gone</html>"
    moment = datetime.now(UTC) + timedelta(minutes=31)
    gaps = []
    for _ in range(8):
        assert await fetch_round(bot.app.services, moment) == 1
        feed = stored(bot)[0][0]
        following = feed.next_fetch_at.replace(tzinfo=UTC)
        gaps.append(following - moment)
        if moment - feed.failing_since.replace(tzinfo=UTC) < timedelta(days=3):
            assert (await bot.inbox("olga")).texts == []
        moment = following
    assert gaps[:4] == [
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    ]
    assert gaps[-1] == timedelta(days=1)  # at most a day
    told = (await bot.inbox("olga")).text
    assert "I have not been able to read the feed" in told and server.url in told
    assert "does not lead to a feed" in told
    assert (await bot.inbox("olga", chat=GROUP)).texts == []  # never the group
    assert await fetch_round(bot.app.services, moment) == 1
    assert (await bot.inbox("olga")).texts == []  # once
    server.live = RSS
    feed = stored(bot)[0][0]
    await fetch_round(bot.app.services, feed.next_fetch_at.replace(tzinfo=UTC))
    feed = stored(bot)[0][0]
    assert feed.failures == 0 and feed.failing_since is None and not feed.failure_told


async def test_a_feed_no_chapter_uses_is_no_longer_fetched(
    bot: Harness, server: FeedServer
) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/rss.xml", member="olga", chat=GROUP)
    await bot.say_in_group("/feed remove 1", member="olga", chat=GROUP)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert await fetch_round(bot.app.services, later) == 0
    assert server.hits["/rss.xml"] == 1


async def test_forget_keeps_the_feed_without_its_adder(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/rss.xml", member="olga", chat=GROUP)
    olga = bot.member("olga").id
    with bot.app.services.database.session() as session:
        from bot.storage.members import MemberRepository

        exported = MemberRepository(session).export(olga)
        assert [row["feed_id"] for row in exported["feeds_added"]] == [1]
        MemberRepository(session).erase(olga)
        session.commit()
    (source,) = stored(bot)[2]
    assert source.added_by is None
