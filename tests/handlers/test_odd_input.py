"""Input that once ended in the generic apology: odd digits, huge numbers, far deadlines,
undecodable text. Each gets a clear answer (or, in a group, silence), never an error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.events import PollVote
from bot.core.outgoing import Poll
from bot.storage.models import Ballot, PollRecord, utcnow
from tests.support.harness import Harness, Reply

GROUP = "brussels-chat"
APOLOGY = "something went wrong"


def no_apology(reply: Reply) -> Reply:
    assert APOLOGY not in reply.text, reply.text
    return reply


def ballots(bot: Harness) -> list[Ballot]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(Ballot)))


async def speaks(bot: Harness, chat: str, lang: str) -> None:
    """A group chat that speaks `lang` (as its organizers would have set it)."""
    from bot.storage.conversations import ConversationRepository

    await bot.say_in_group("/polls", member="ann", chat=chat)
    with bot.app.services.database.session() as session:
        row = ConversationRepository(session).find_chat("test", chat)
        assert row is not None
        row.language = lang
        session.add(row)


def the_poll(bot: Harness) -> PollRecord:
    with bot.app.services.database.session() as session:
        return session.exec(select(PollRecord)).one()


@pytest.mark.parametrize("answer", ["²", "1²", "①", "9" * 5000])
async def test_odd_digits_answer_a_choice_with_its_range(bot: Harness, answer: str) -> None:
    await bot.say("/start")
    reply = no_apology(await bot.say(answer))
    assert "Please" in reply.text  # asked again, with the options
    reply = no_apology(await bot.say("3"))  # and the question still works
    member = bot.member()
    assert member is not None and member.language == "nl"


async def test_digits_of_other_scripts_are_numbers(bot: Harness) -> None:
    await bot.say("/start")
    no_apology(await bot.say("٣"))  # Arabic-Indic three
    member = bot.member()
    assert member is not None and member.language == "nl"


@pytest.mark.parametrize("answer", ["²", "9" * 5000, "1" * 4097])
async def test_odd_numbers_in_a_group_with_a_poll(chapters_bot: Harness, answer: str) -> None:
    bot = chapters_bot
    await bot.say_in_group("/poll Where? | Ghent | Brussels", member="ann", chat=GROUP)
    reply = no_apology(await bot.say_in_group(answer, member="bob", chat=GROUP))
    assert reply.messages == []  # not a vote, so nothing to say in the group
    assert ballots(bot) == []


async def test_odd_numbers_in_a_private_vote_and_a_native_one(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.say_in_group("/poll Secret? | yes | no | anonymous", member="ann", chat=GROUP)
    code = the_poll(bot).id
    reply = no_apology(await bot.say(f"/vote {code} ²", member="bob"))
    assert "Usage: /vote" in reply.text
    vote = bot._common("bob", None, GROUP)
    for keys in (("²",), ("9" * 5000,), ("-1",)):
        no_apology(await bot.send(PollVote(poll_id=code, option_keys=keys, **vote)))
    assert ballots(bot) == []


@pytest.mark.parametrize(
    "deadline",
    ["closes 99999999999 days", "100000000 h", "closes in 99999999999 years", "closes 31/12/9999"],
)
async def test_far_deadlines_are_refused(chapters_bot: Harness, deadline: str) -> None:
    bot = chapters_bot
    reply = no_apology(
        await bot.say_in_group(f"/poll Q? | a | b | {deadline}", member="ann", chat=GROUP)
    )
    assert "at most a year" in reply.text or "don't understand the deadline" in reply.text
    with bot.app.services.database.session() as session:
        assert session.exec(select(PollRecord)).all() == []


@pytest.mark.parametrize(
    ("lang", "command", "refusal"),
    [
        ("en", "/poll Q? | a | b | closes 31/12/9999", "at most a year"),
        ("fr", "/poll Q ? | a | b | ferme le 31/12/9999", "au plus tard dans un an"),
        ("nl", "/poll V? | a | b | sluit 31/12/9999", "uiterlijk over een jaar"),
        ("en", "/poll Q? | a | b | closes -5h", "already passed"),
        ("fr", "/poll Q ? | a | b | -5h", "déjà passée"),
        ("nl", "/poll V? | a | b | sluit -5 uur", "al voorbij"),
    ],
)
async def test_negative_and_far_deadlines_in_each_language(
    chapters_bot: Harness, lang: str, command: str, refusal: str
) -> None:
    bot = chapters_bot
    await bot.onboard("ann", lang)
    await speaks(bot, GROUP, lang)
    reply = no_apology(await bot.say_in_group(command, member="ann", chat=GROUP, lang=lang))
    assert refusal in reply.text
    with bot.app.services.database.session() as session:
        assert session.exec(select(PollRecord)).all() == []


async def test_a_negative_deadline_step_by_step_is_refused(chapters_bot: Harness) -> None:
    bot = chapters_bot
    for text in ["/poll", "When?", "monday | tuesday", "4"]:
        await bot.say_in_group(text, member="ann", chat=GROUP)
    reply = no_apology(await bot.say_in_group("-5h", member="ann", chat=GROUP))
    assert "already passed" in reply.text
    reply = no_apology(await bot.say_in_group("31/12/9999", member="ann", chat=GROUP))
    assert "at most a year" in reply.text
    reply = await bot.say_in_group("48h", member="ann", chat=GROUP)
    assert any(isinstance(m.body, Poll) for m in reply.messages)


async def test_a_deadline_in_another_year_shows_the_year(chapters_bot: Harness) -> None:
    bot = chapters_bot
    next_year = utcnow().year + 1
    reply = await bot.say_in_group(
        f"/poll Q? | a | b | closes 2/1/{next_year} 18:00", member="ann", chat=GROUP
    )
    assert str(next_year) in reply.text
    closes = the_poll(bot).closes_at
    assert closes is not None and closes.year == next_year
    # This year's dates keep their short form.
    assert (
        str(utcnow().year)
        not in (await bot.say_in_group("/polls", member="ann", chat="other")).text
    )


async def test_lone_surrogates_and_nul_are_stored_as_replacement_characters(
    bot: Harness,
) -> None:
    await bot.say("/start")
    await bot.say("1")
    no_apology(await bot.say("Al\udcffex\x00"))
    member = bot.member()
    assert member is not None and member.display_name == "Al\ufffdex"
    no_apology(await bot.say("/chapters \udcff"))
    no_apology(await bot.say("\ud800"))


def test_durations_never_overflow() -> None:
    from bot.i18n.poll_input import FAR_FUTURE, parse_deadline

    now = utcnow()
    assert parse_deadline("closes 99999999999 days", "en", None, now) == FAR_FUTURE
    assert parse_deadline("100000000 h", "en", None, now) == FAR_FUTURE
    assert parse_deadline("-5h", "en", None, now) == now - timedelta(hours=5)
