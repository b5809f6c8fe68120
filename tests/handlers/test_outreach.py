"""Outreach through the whole core: /talked and /outreach (month, chapter, streak), /invite
and onboarding with an invitation (credit, consent, self-invite, unknown code)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from bot.storage.models import InvitationCode, OutreachEntry, Recruitment
from bot.storage.outreach import ALPHABET
from tests.handlers.test_chapters import chapter, meet_organizers, request_brussels
from tests.support.harness import Harness, Reply

LANG_NUMBER = {"en": "1", "fr": "2", "nl": "3"}


async def brussels_member(bot: Harness, who: str, lang: str = "en") -> None:
    await bot.onboard(who, lang)
    await request_brussels(bot, who, lang)
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")


def entries(bot: Harness) -> list[OutreachEntry]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(OutreachEntry).order_by(OutreachEntry.id)))


@pytest.mark.parametrize(
    ("lang", "logged", "month", "chapter_words", "streak"),
    [
        (
            "en",
            "Logged: 2 conversations",
            "you talked with 5 people",
            "Brussels this month: 6",
            "2 months in a row",
        ),
        (
            "fr",
            "2 conversations notées",
            "vous avez parlé avec 5 personnes",
            "Brussels ce mois-ci : 6",
            "2 mois d’affilée",
        ),
        (
            "nl",
            "2 gesprekken genoteerd",
            "met 5 mensen gepraat",
            "Brussels deze maand: 6",
            "2 maanden op rij",
        ),
    ],
)
async def test_talked_is_logged_and_outreach_shows_month_chapter_and_streak(
    chapters_bot: Harness, lang: str, logged: str, month: str, chapter_words: str, streak: str
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await brussels_member(bot, "nina", lang)
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        await bot.say("/talked 4 old friends", member="nina")  # last month: the streak only
    with time_machine.travel(datetime(2026, 12, 2, 12, tzinfo=UTC), tick=False):
        reply = await bot.say("/talked 3 collègues au travail", member="nina")
        assert "3" in reply.text
        reply = await bot.say("/talked 2", member="nina")
        assert logged in reply.text and month in reply.text
        await bot.say("/talked 1 neighbour", member="olga")  # the chapter counts everyone's
        reply = await bot.say("/outreach", member="nina")
    assert month in reply.text and chapter_words in reply.text and streak in reply.text
    rows = entries(bot)
    assert [(r.people, r.note) for r in rows] == [
        (4, "old friends"),
        (3, "collègues au travail"),
        (2, None),
        (1, "neighbour"),
    ]
    assert {r.chapter_id for r in rows} == {chapter(bot, "Brussels").id}


async def test_a_streak_counts_months_in_a_row_and_survives_until_the_month_ends(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    for moment in (
        datetime(2026, 9, 30, 22, 30, tzinfo=UTC),  # 1 October already in Brussels
        datetime(2026, 11, 1, 8, tzinfo=UTC),
        datetime(2026, 12, 3, 8, tzinfo=UTC),
    ):
        with time_machine.travel(moment, tick=False):
            await bot.say("/talked 1", member="nina")
    with time_machine.travel(datetime(2026, 12, 20, tzinfo=UTC), tick=False):
        assert "3 months in a row" in (await bot.say("/outreach", member="nina")).text
    with time_machine.travel(datetime(2027, 1, 20, tzinfo=UTC), tick=False):
        reply = await bot.say("/outreach", member="nina")  # nothing yet in January
    assert "talked with 0 people" in reply.text and "3 months in a row" in reply.text
    with time_machine.travel(datetime(2027, 2, 2, tzinfo=UTC), tick=False):
        reply = await bot.say("/outreach", member="nina")
    assert "in a row" not in reply.text and "/talked" in reply.text


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("", "How many people"),
        ("0 nobody", "from 1 to 50: one entry"),
        ("51", "from 1 to 50: one entry"),
        ("-2", "“-2” is not a number"),
        ("two colleagues", "“two” is not a number"),
        ("2.5", "“2.5” is not a number"),
        ("² superscript", "“²” is not a number"),
        ("9" * 5000, "from 1 to 50: one entry"),
        ("3 " + "x" * 201, "at most 200 characters"),
    ],
)
async def test_talked_refuses_anything_but_1_to_50_with_the_reason(
    bot: Harness, args: str, reason: str
) -> None:
    await bot.onboard("nina")
    reply = await bot.say(f"/talked {args}", member="nina")
    assert reason in reply.text
    assert entries(bot) == []


@pytest.mark.parametrize("lang", ["fr", "nl"])
async def test_talked_refusals_are_in_the_member_s_language(bot: Harness, lang: str) -> None:
    await bot.onboard("nina", lang)
    english = "Give a number from 1 to 50"
    for args in ("", "51", "deux"):
        reply = await bot.say(f"/talked {args}", member="nina")
        assert english not in reply.text and "50" in reply.text


# -- invitations -------------------------------------------------------------------------------


def invitation_in(reply: Reply) -> str:
    match = re.search(r"/start (i-[0-9A-Z]+)", reply.text)
    assert match, reply.text
    return match.group(1)


async def start_with(bot: Harness, who: str, start: str, place: str = "Gent") -> Reply:
    """A newcomer's onboarding from an invitation link, up to the last question."""
    await bot.say(f"/start {start}", member=who)
    await bot.say("1", member=who)
    await bot.say(who.title(), member=who)
    reply = await bot.say(place, member=who)
    if any(o.key == "other" for o in reply.choice.options):
        reply = await bot.say("1", member=who)
    return reply  # the nearest chapters


async def test_an_invited_newcomer_sees_the_inviter_s_chapter_first_and_the_inviter_is_told(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await brussels_member(bot, "nina")
    reply = await bot.say("/invite", member="nina")
    start = invitation_in(reply)
    assert "Nina invites you" in reply.text
    assert await bot.say("/invite", member="nina") and start == invitation_in(
        await bot.say("/invite", member="nina")
    )  # the same code each time: it may already be shared
    member = bot.member("nina")
    code = start.removeprefix("i-")
    assert len(code) == 10 and set(code) <= set(ALPHABET)  # random: no id in it

    chapters = await start_with(bot, "zed", start)  # Ghent is nearer to Gent
    brussels = chapter(bot, "Brussels")
    assert chapters.choice.options[0].key == f"chapter:{brussels.id}"
    reply = await bot.say(chapters.option_number("none"), member="zed")
    await bot.say("1", member="zed")  # interests
    reply = await bot.say("1", member="zed")  # nudges: monthly
    assert "personal invitation" in reply.text
    reply = await bot.say(reply.option_number("name"), member="zed")
    assert "all set" in reply.text
    assert "Zed, whom you invited, has joined us" in (await bot.inbox("nina")).text
    with bot.app.services.database.session() as session:
        [row] = session.exec(select(Recruitment)).all()
    assert (row.inviter_id, row.newcomer_id, row.chapter_id, row.name_shared) == (
        member.id,
        bot.member("zed").id,
        brussels.id,
        True,
    )


async def test_without_consent_the_inviter_hears_no_name(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina", "fr")
    start = invitation_in(await bot.say("/invite", member="nina"))
    chapters = await start_with(bot, "zed", start)
    await bot.say(chapters.option_number("none"), member="zed")
    await bot.say("1", member="zed")
    reply = await bot.say("2", member="zed")  # no nudges
    await bot.say(reply.option_number("anonymous"), member="zed")
    told = (await bot.inbox("nina")).text
    assert "Quelqu’un que vous avez invité" in told and "Zed" not in told
    # Starting again with another invitation credits nobody a second time.
    await bot.onboard("olga")
    again = invitation_in(await bot.say("/invite", member="olga"))
    await bot.say(f"/start {again}", member="zed")
    assert (await bot.inbox("olga")).texts == []


async def test_a_member_cannot_invite_themself_and_an_unknown_code_starts_ordinary_onboarding(
    bot: Harness,
) -> None:
    await bot.onboard("nina")
    start = invitation_in(await bot.say("/invite", member="nina"))
    reply = await bot.say(f"/start {start}", member="nina")
    assert "your own invitation" in reply.text
    reply = await bot.say("/start i-ZZZZZZZZZZ", member="zed")
    assert "Which language" in reply.text
    await bot.say("1", member="zed")
    await bot.say("Zed", member="zed")
    reply = await bot.say("Brussels", member="zed")
    await bot.say(reply.option_number("none"), member="zed")  # the nearest chapters
    await bot.say("1", member="zed")  # interests
    reply = await bot.say("1", member="zed")
    assert "all set" in reply.text and "personal invitation" not in reply.text
    with bot.app.services.database.session() as session:
        assert session.exec(select(Recruitment)).all() == []
        assert len(session.exec(select(InvitationCode)).all()) == 1


async def test_joined_accounts_keep_one_invitation_and_all_conversations(bot: Harness) -> None:
    from tests.handlers.test_connect import code_in, say_on

    await bot.onboard("nina")
    await bot.say("/talked 2", member="nina")
    first = invitation_in(await bot.say("/invite", member="nina"))
    await say_on(bot, "matrix", "@nina:example.org", "hello")
    await say_on(bot, "matrix", "@nina:example.org", "/talked 3")
    await say_on(bot, "matrix", "@nina:example.org", "/invite")
    code = code_in(await bot.say("/connect", member="nina"))
    await say_on(bot, "matrix", "@nina:example.org", f"/connect {code}")
    reply = await say_on(bot, "matrix", "@nina:example.org", "/outreach")
    assert "talked with 5 people" in reply.text
    assert invitation_in(await bot.say("/invite", member="nina")) == first
    with bot.app.services.database.session() as session:
        assert len(session.exec(select(InvitationCode)).all()) == 1
