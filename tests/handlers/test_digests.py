"""Digests through the whole core: the weekly digest of a chapter's blog in its chat's
language, with a controlled clock; /digest, /digest now, daily and weekly, off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from bot.handlers.digests import DIGEST, PER_FEED
from bot.handlers.feeds import fetch_round
from bot.scheduling.clock import Clock
from bot.storage.models import Chat, Schedule
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.feed_server import RSS, FeedServer
from tests.support.harness import Harness

# Tuesday 1 December 2026, 10:00 in Brussels; the next Monday 09:00 there is 08:00 UTC.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MONDAY = datetime(2026, 12, 7, 8, 0, 1, tzinfo=UTC)
NEW_POST = (
    "<item><guid>post-9</guid><title>Winter market</title>"
    "<link>https://brussels.example.org/winter</link></item>"
)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fire(bot: Harness, at: datetime, traveller: time_machine.Coordinates) -> int:
    traveller.move_to(at)
    return Clock.for_router(bot.app.services, bot.app.dispatcher.router).fire_due(at)


def digest_schedule(bot: Harness) -> Schedule:
    with bot.app.services.database.session() as session:
        return session.exec(select(Schedule).where(Schedule.kind == DIGEST)).one()


def chat_speaks(bot: Harness, language: str) -> None:
    with bot.app.services.database.session() as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == GROUP)).one()
        chat.language = language
        session.add(chat)
        session.commit()


async def with_blog(bot: Harness, server: FeedServer) -> None:
    await linked_group(bot)
    await bot.say_in_group(f"/feed add {server.url}/live.xml", member="olga", chat=GROUP)
    await bot.inbox("olga", chat=GROUP)


@pytest.mark.parametrize(
    ("lang", "heading", "day"),
    [
        ("en", "New on the blogs", "Tuesday, December 1"),
        ("fr", "Nouveau sur les blogs", "mardi 1 décembre"),
        ("nl", "Nieuw op de blogs", "dinsdag 1 december"),
    ],
)
async def test_the_weekly_digest_of_a_chapters_blog(
    feeds_bot: Harness,
    feed_server: FeedServer,
    clock: time_machine.Coordinates,
    lang: str,
    heading: str,
    day: str,
) -> None:
    bot = feeds_bot
    await with_blog(bot, feed_server)
    chat_speaks(bot, lang)
    schedule = digest_schedule(bot)
    assert schedule.next_at.replace(tzinfo=UTC) == MONDAY.replace(second=0)
    assert fire(bot, datetime(2026, 12, 7, 7, 59, 59, tzinfo=UTC), clock) == 0
    assert fire(bot, MONDAY, clock) == 1
    arrived = await bot.inbox("olga", chat=GROUP)
    (message,) = arrived.messages  # one message, not one per post
    assert message.notify is False and message.language == lang
    markup = message.body.text
    assert markup.startswith(f"<b>{heading}</b>")
    assert "<b>Brussels chapter blog</b>" in markup
    assert '<a href="https://brussels.example.org/soup">Soup &amp; &lt;solidarity&gt;</a>' in markup
    assert day in arrived.text.replace("1er", "1")
    assert "We cooked soup for 80 people." in markup
    # Newest first, each post once.
    assert markup.index("/soup") < markup.index("/flyers") < markup.index("/first")
    # Nothing new the next week: nothing sent.
    assert fire(bot, datetime(2026, 12, 14, 8, 0, 1, tzinfo=UTC), clock) == 1
    assert (await bot.inbox("olga", chat=GROUP)).messages == []


async def test_digest_now_shows_only_what_is_new(
    feeds_bot: Harness, feed_server: FeedServer, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await with_blog(bot, feed_server)
    reply = await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    assert "New on the blogs" in reply.text and "Soup & <solidarity>" in reply.text
    reply = await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    assert reply.text == "Nothing new on the chapter’s blogs since the last digest."
    assert fire(bot, MONDAY, clock) == 1
    assert (await bot.inbox("olga", chat=GROUP)).messages == []


async def test_after_a_long_pause_a_digest_shows_ten_per_feed_and_counts_the_rest(
    feeds_bot: Harness, feed_server: FeedServer, clock: time_machine.Coordinates
) -> None:
    from bot.handlers.feeds import fetch_round

    bot = feeds_bot
    await with_blog(bot, feed_server)
    await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    items = "".join(
        f"<item><guid>n{i}</guid><title>News {i}</title>"
        f"<link>https://brussels.example.org/n{i}</link></item>"
        for i in range(14)
    )
    feed_server.live = RSS.replace("<item>", items + "<item>", 1)
    clock.move_to(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert await fetch_round(bot.app.services) == 1
    reply = await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    assert reply.text.count("News ") == PER_FEED
    assert (
        "And 4 more posts on Brussels chapter blog (https://brussels.example.org/)." in reply.text
    )


async def test_digest_settings(
    feeds_bot: Harness, feed_server: FeedServer, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await with_blog(bot, feed_server)
    reply = await bot.say_in_group("/digest", member="olga", chat=GROUP)
    assert "This chat gets a digest of its chapter’s blogs every Monday at 9:00 AM" in reply.text
    assert "Its sources: Brussels chapter blog." in reply.text
    reply = await bot.say_in_group("/digest weekly friday 17:00", member="olga", chat=GROUP)
    assert "This chat will get its digest every Friday at 5:00 PM" in reply.text
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert digest_schedule(bot).next_at.replace(tzinfo=UTC) == friday
    reply = await bot.say_in_group("/digest daily 18:00", member="olga", chat=GROUP)
    assert "every day at 6:00 PM" in reply.text
    reply = await bot.say_in_group("/digest hebdomadaire vendredi à 17h", member="olga", chat=GROUP)
    assert "every Friday at 5:00 PM" in reply.text
    reply = await bot.say_in_group("/digest elke dag om 8 uur", member="olga", chat=GROUP)
    assert "every day at 8:00 AM" in reply.text
    reply = await bot.say_in_group("/digest every hour", member="olga", chat=GROUP)
    assert "at most once a day" in reply.text or "could not tell" in reply.text
    reply = await bot.say_in_group("/digest whenever", member="olga", chat=GROUP)
    assert "I could not tell when the digest should come" in reply.text
    reply = await bot.say_in_group("/digest off", member="olga", chat=GROUP)
    assert "This chat gets no digest any more" in reply.text
    assert fire(bot, datetime(2026, 12, 1, 17, 0, 1, tzinfo=UTC), clock) == 0
    assert (await bot.inbox("olga", chat=GROUP)).messages == []
    assert (
        "This chat gets no digest."
        in (await bot.say_in_group("/digest", member="olga", chat=GROUP)).text
    )


async def test_members_see_the_setting_but_cannot_change_it(
    feeds_bot: Harness, feed_server: FeedServer, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    reply = await bot.say_in_group("/digest", member="nina", chat=GROUP)
    assert "every Monday at 9:00 AM" in reply.text
    assert "follows no blog yet" in reply.text
    reply = await bot.say_in_group("/digest now", member="nina", chat=GROUP)
    assert reply.text == "Only the organizers of Brussels can change its digest."


async def test_a_chat_linked_later_gets_its_digest_schedule(
    feeds_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await linked_group(bot)
    from bot.handlers.digests import keep_schedules

    with bot.app.services.database.session() as session:
        keep_schedules(bot.app.services, session)
        keep_schedules(bot.app.services, session)  # once
        session.commit()
    assert digest_schedule(bot).key == f"digest:test:{GROUP}"


@pytest.mark.parametrize(("lang", "heading"), [("en", "New on the blogs"), ("nl", "Nieuw op")])
async def test_a_members_own_digest_in_private(
    feeds_bot: Harness,
    feed_server: FeedServer,
    clock: time_machine.Coordinates,
    lang: str,
    heading: str,
) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    await bot.say("/language " + lang, member="nina")
    await bot.inbox("nina")
    reply = await bot.say("/digest", member="nina")
    off = bot.app.services.catalogs.translator(lang).gettext("You get no digest of your own.")
    assert off.split(".")[0] in reply.text or lang != "en"
    await bot.say("/digest weekly friday 17:00", member="nina")
    await bot.say_in_group(f"/feed add {feed_server.url}/live.xml", member="olga", chat=GROUP)
    assert fire(bot, datetime(2026, 12, 4, 16, 0, 1, tzinfo=UTC), clock) == 1  # hers, on Friday
    mine = await bot.inbox("nina")
    (message,) = mine.messages
    assert message.language == lang and message.notify is False
    assert message.body.text.startswith(f"<b>{heading}")
    assert "Brussels chapter blog" in message.body.text
    reply = await bot.say("/digest now", member="nina")
    assert len(reply.messages) == 1 and "/soup" not in reply.text  # shown once
    await bot.say("/digest off", member="nina")
    feed_server.live = feed_server.live.replace("<item>", NEW_POST + "<item>", 1)
    clock.move_to(datetime(2026, 12, 9, 10, 0, tzinfo=UTC))
    assert await fetch_round(bot.app.services) == 1
    fire(bot, datetime(2026, 12, 11, 16, 0, 1, tzinfo=UTC), clock)  # the chat's digest only
    assert (await bot.inbox("nina")).messages == []
