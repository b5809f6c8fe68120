"""Chapter stories: told by a member, approved by an organizer, in the next digest; an
organizer's own story at once; /stories; the author's data for /mydata and /forget."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from bot.storage.members import MemberRepository
from bot.storage.models import ChapterStory
from tests.handlers.test_digests import MONDAY, START, fire
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.harness import Harness

SOUP = "We cooked soup for 80 people on Saturday."


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def stories(bot: Harness) -> list[ChapterStory]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(ChapterStory).order_by(ChapterStory.id)))


async def test_a_story_approved_goes_into_the_next_digest(
    feeds_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    await bot.say_in_group("/digest", member="olga", chat=GROUP)  # the chat's digest schedule
    reply = await bot.say(f"/story {SOUP}", member="nina")
    assert "The organizers of Brussels will read your story" in reply.text
    question = await bot.inbox("olga")
    assert "A story for the digest of Brussels, from Nina, Brussels:" in question.text
    assert SOUP in question.text
    assert [o.key for o in question.choice.options] == ["approve", "decline"]
    assert fire(bot, MONDAY, clock) == 1
    assert (await bot.inbox("olga", chat=GROUP)).messages == []  # not before it is approved
    answer = await bot.press(question.choice.prompt_id, "approve", member="olga")
    assert "Published" in answer.text
    told = await bot.inbox("nina")
    assert "Your story is published: it goes into the next digest of Brussels." in told.text
    assert fire(bot, datetime(2026, 12, 14, 8, 0, 1, tzinfo=UTC), clock) == 1
    digest = await bot.inbox("olga", chat=GROUP)
    (message,) = digest.messages
    assert "<b>Stories from the chapters</b>" in message.body.text
    assert f"{SOUP}\n— <i>Nina, Brussels</i>" in message.body.text
    assert "New on the blogs" not in message.body.text  # no blog: only the stories
    assert fire(bot, datetime(2026, 12, 21, 8, 0, 1, tzinfo=UTC), clock) == 1
    assert (await bot.inbox("olga", chat=GROUP)).messages == []  # once
    listed = await bot.say_in_group("/stories", member="nina", chat=GROUP)
    assert "Recent stories of Brussels:" in listed.text and SOUP in listed.text
    # Answered once: pressing again changes nothing.
    await bot.press(question.choice.prompt_id, "decline", member="olga")
    assert [s.status for s in stories(bot)] == ["approved"]


async def test_declined_and_anonymous_and_organizers_own(
    feeds_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    await bot.say(f"/story anonymous {SOUP}", member="nina")
    question = await bot.inbox("olga")
    assert "from a member of Brussels" in question.text and "Nina" not in question.text
    await bot.press(question.choice.prompt_id, "decline", member="olga")
    told = await bot.inbox("nina")
    assert "did not publish your story this time" in told.text
    reply = await bot.say_in_group("/story Flyers at the market.", member="olga", chat=GROUP)
    assert "Your story goes into the next digest of Brussels" in reply.text
    assert (await bot.inbox("olga")).messages == []  # no question to oneself
    assert [(s.status, s.anonymous) for s in stories(bot)] == [
        ("declined", True),
        ("approved", False),
    ]
    reply = await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    assert "Flyers at the market." in reply.text and SOUP not in reply.text


async def test_bad_stories_get_a_clear_answer(feeds_bot: Harness) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    assert (
        "Tell what your chapter did after /story" in (await bot.say("/story", member="nina")).text
    )
    reply = await bot.say("/story " + "x" * 2001, member="nina")
    assert "at most 2,000 characters" in reply.text
    await bot.onboard("zoe", place="Antwerpen")
    reply = await bot.say(f"/story {SOUP}", member="zoe")
    assert "join one with /chapters" in reply.text
    reply = await bot.say_in_group(f"/story {SOUP}", member="zoe", chat=GROUP)
    assert "Stories of Brussels are told by its members." in reply.text
    assert stories(bot) == []


async def test_stories_are_the_authors_data(feeds_bot: Harness) -> None:
    bot = feeds_bot
    await linked_group(bot, "nina")
    await bot.say(f"/story {SOUP}", member="nina")
    nina = bot.member("nina").id
    with bot.app.services.database.session() as session:
        exported = MemberRepository(session).export(nina)
        assert [s["text"] for s in exported["stories"]] == [SOUP]
        MemberRepository(session).erase(nina)
    assert stories(bot) == []


async def test_stories_of_other_chapters_reach_every_chapters_digest(
    feeds_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = feeds_bot
    await linked_group(bot)  # Olga's Brussels chat; Gert organizes Ghent
    await bot.say_in_group("/digest", member="olga", chat=GROUP)
    reply = await bot.say("/story We planted forty trees by the Leie.", member="gert", lang="nl")
    assert reply.messages  # an organizer's own story is published at once
    assert fire(bot, MONDAY, clock) == 1
    (message,) = (await bot.inbox("olga", chat=GROUP)).messages
    assert "We planted forty trees by the Leie." in message.body.text
    assert "Ghent" in message.body.text  # signed with its chapter
