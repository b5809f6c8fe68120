"""/connect: one member on two platforms, by a one-time code."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.core.events import ChatRef, CommandMessage, Sender, TextMessage, parse_command
from bot.storage.members import MemberRepository
from bot.storage.models import Ballot, ConnectCode, Identity, Member, utcnow
from tests.handlers.test_chapters import meet_organizers, members_of, request_brussels
from tests.support.harness import Harness, Reply


async def say_on(
    bot: Harness, platform: str, user: str, text: str, group: str | None = None
) -> Reply:
    """A message from another platform's account (the harness's own platform is 'test')."""
    common = {
        "chat": ChatRef(platform, group or f"dm-{user}"),
        "chat_kind": "group" if group else "direct",
        "sender": Sender(platform, user, display_name=user, handle=user),
    }
    command = parse_command(text)
    if command:
        return await bot.send(CommandMessage(name=command[0], args=command[1], **common))
    return await bot.send(TextMessage(text=text, **common))


def code_in(reply: Reply) -> str:
    match = re.search(r"/connect ([0-9A-Z]{5}-[0-9A-Z]{5})", reply.text)
    assert match, reply.text
    return match.group(1)


async def test_two_accounts_become_one_member(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", "fr", place="Antwerpen")
    await request_brussels(bot, "nina")
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")
    await say_on(bot, "matrix", "@nina:example.org", "hello")  # a new, separate member
    code = code_in(await bot.say("/connect", member="nina"))
    reply = await say_on(bot, "matrix", "@nina:example.org", f"/connect {code}")
    assert "Nina" in reply.text and "joined" in reply.text
    with bot.app.services.database.session() as session:
        identities = session.exec(select(Identity)).all()
        nina = MemberRepository(session).find_by_identity("test", "nina")
        assert nina is not None
        mine = {(i.platform, i.user_id) for i in identities if i.member_id == nina[0].id}
        assert mine == {("test", "nina"), ("matrix", "@nina:example.org")}
        assert len(session.exec(select(Member)).all()) == 4  # olga, gert, admin, nina
    assert members_of(bot, "Brussels") == {"Olga": "organizer", "Nina": "member"}
    # The Matrix account speaks as Nina now: same profile, same language.
    reply = await say_on(bot, "matrix", "@nina:example.org", "/stats")
    assert "Brussels" in reply.text and "membres" in reply.text
    # The code was single use, and the other account was told.
    reply = await say_on(bot, "matrix", "@nina:example.org", f"/connect {code}")
    assert "inconnu ou a expiré" in reply.text  # in Nina's language, on both accounts
    assert "Matrix" in (await bot.inbox("nina")).text


async def test_codes_expire_and_cannot_join_two_accounts_on_one_platform(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    await bot.onboard("other")
    code = code_in(await bot.say("/connect", member="nina"))
    reply = await bot.say(f"/connect {code}", member="nina")
    assert "your own code" in reply.text
    reply = await bot.say(f"/connect {code}", member="other")
    assert "same platform" in reply.text
    with bot.app.services.database.session() as session:
        row = session.get(ConnectCode, code.replace("-", ""))
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    reply = await say_on(bot, "matrix", "@nina:example.org", f"/connect {code}")
    assert "expired" in reply.text
    reply = await say_on(bot, "matrix", "@nina:example.org", "/connect 12 34 56x")
    assert "unknown" in reply.text


async def test_a_vote_from_each_platform_counts_once(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    await bot.say_in_group("/poll Where? | Ghent | Brussels", member="nina", chat="g1")
    await bot.say_in_group("1", member="nina", chat="g1")
    await say_on(bot, "matrix", "@nina:example.org", "hello")
    await say_on(bot, "matrix", "@nina:example.org", "2", group="room1")  # not a poll chat
    code = code_in(await bot.say("/connect", member="nina"))
    await say_on(bot, "matrix", "@nina:example.org", f"/connect {code}")
    # Voting again from the other platform replaces the ballot: the last one counts.
    from bot.storage.polls import PollRepository

    with bot.app.services.database.session() as session:
        from bot.storage.models import PollRecord

        poll = session.exec(select(PollRecord)).one()
        PollRepository(session).posted(poll, "matrix", "room1")
    await say_on(bot, "matrix", "@nina:example.org", "2", group="room1")
    with bot.app.services.database.session() as session:
        ballots = session.exec(select(Ballot)).all()
    assert [b.choices for b in ballots] == [[1]]


async def test_an_account_that_sends_five_wrong_codes_waits_an_hour(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina", "fr")
    code = code_in(await bot.say("/connect", member="nina"))
    eve = "@eve:example.org"
    await say_on(bot, "matrix", eve, "hello")
    for guess in ("AAAAA-AAAAA", "BBBBBBBBBB", "123", "ZZZZZ ZZZZZ", "0000000000"):
        assert "unknown" in (await say_on(bot, "matrix", eve, f"/connect {guess}")).text
    reply = await say_on(bot, "matrix", eve, f"/connect {code}")  # even the right one
    assert "Too many wrong codes" in reply.text
    with bot.app.services.database.session() as session:
        identity = session.exec(select(Identity).where(Identity.user_id == eve)).one()
        assert identity.connect_failures == 5
        identity.connect_failed_at = utcnow() - timedelta(hours=1, seconds=1)
        session.add(identity)
    reply = await say_on(bot, "matrix", eve, f"/connect {code.lower()}")  # an hour later
    assert "joined" in reply.text


async def test_a_code_that_wrong_codes_came_close_to_ends(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("olga", "fr")
    code = code_in(await bot.say("/connect", member="olga")).replace("-", "")
    other = "0" if code[0] != "0" else "1"
    # Five accounts, each one wrong guess that is one character off the code.
    for n in range(5):
        guess = other + code[1:] if n % 2 else code[:-1] + ("Z" if code[-1] != "Z" else "Y")
        reply = await say_on(bot, "matrix", f"@guess{n}:example.org", f"/connect {guess}")
        assert "unknown" in reply.text
    with bot.app.services.database.session() as session:
        assert session.get(ConnectCode, code) is None
    notice = await bot.inbox("olga")
    assert "code /connect" in notice.text or "/connect" in notice.text
    assert "fin" in notice.text or "plus valable" in notice.text  # in Olga's language
    reply = await say_on(bot, "matrix", "@guess9:example.org", f"/connect {code}")
    assert "unknown" in reply.text


async def test_codes_are_long_and_read_forgivingly(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    codes = {code_in(await bot.say("/connect", member="nina")) for _ in range(20)}
    assert len(codes) == 20
    assert all(len(c.replace("-", "")) == 10 and not set(c) & set("ILOU") for c in codes)
