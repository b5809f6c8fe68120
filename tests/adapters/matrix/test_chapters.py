"""Chapters on a real homeserver: an organizer links a room, a join request is accepted with a
reaction (or a typed number) and the newcomer is invited to the chapter's room."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from nio import InviteMemberEvent, JoinResponse, RoomGetStateEventResponse, RoomPutStateResponse
from sqlmodel import select

from bot.adapters.matrix.render import KEYCAPS, html_to_plain
from bot.core.events import BotAdded, CommandMessage, MemberJoined
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, JoinRequest, Member
from tests.adapters.matrix.conftest import Bot, StartBot, StartHuman
from tests.adapters.matrix.human import Human, body_of
from tests.support.synapse import RegisteredUser, Synapse

ORGANIZATION = """
[organization]
name = "Common Ground"
default_language = "en"
admins = ["telegram:1"]
interests = ["outreach", "events"]
chapter_radius_km = 50

[[chapters]]
name = "Brussels"
country = "BE"
latitude = 50.85
longitude = 4.35
languages = ["fr", "nl", "en"]
organizers = ["matrix:{organizer}"]

[[chapters]]
name = "Ghent"
country = "BE"
latitude = 51.05
longitude = 3.72
languages = ["nl"]
organizers = ["telegram:2"]
"""
BRUSSELS_GEO_URI = "geo:50.8466,4.3528;u=35"


@pytest.fixture
def olga_account(synapse: Synapse) -> RegisteredUser:
    """The organizer of Brussels: her Matrix ID is in the organization file."""
    return synapse.register(f"olga-{secrets.token_hex(4)}")


@pytest.fixture
def org_file(tmp_path: Path, olga_account: RegisteredUser) -> Path:
    path = tmp_path / "organization.toml"
    path.write_text(ORGANIZATION.format(organizer=olga_account.user_id), encoding="utf-8")
    return path


def said(bot: Bot, language: str, message: str, **values: str) -> str:
    """What the bot says for `message` in `language`, as a plain body shows it (with commands
    written the Matrix way: "!link", not "/link")."""
    text = bot.gettext(language, message)
    return html_to_plain(bot.adapter.outbox.renderer.bang(text % values if values else text))


def brussels(bot: Bot) -> Chapter:
    with bot.app.services.database.session() as session:
        return session.exec(select(Chapter).where(Chapter.name == "Brussels")).one()


def member_of(bot: Bot, human: Human) -> Member:
    with bot.app.services.database.session() as session:
        found = MemberRepository(session).find_by_identity("matrix", human.user_id)
        assert found, f"{human.user_id} is not a member"
        return found[0]


def chapter_of_room(bot: Bot, room_id: str) -> int | None:
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("matrix", room_id)
        assert chat is not None and chat.kind == "group"
        return chat.chapter_id


async def meet_organizer(bot: Bot, olga: Human) -> str:
    """Olga opens a direct chat with the bot and asks for French; she is then the organizer of
    Brussels (her identity was invited by the organization file). Returns the direct chat."""
    direct = await olga.direct_chat(bot.user_id)
    await olga.say(direct, "!language fr")
    french = said(bot, "fr", "From now on I'll write to you in English.")
    await olga.expect(direct, bot.user_id, french)
    organizer = member_of(bot, olga)
    assert organizer.language == "fr"
    with bot.app.services.database.session() as session:
        organizers = MembershipRepository(session).organizers_of(brussels(bot).id)
        assert [m.id for m in organizers] == [organizer.id]
    return direct


async def linked_room(bot: Bot, olga: Human, invite: tuple[str, ...] = ()) -> str:
    """Olga creates a group room, invites the bot (and others) and sends !link straight away,
    before the bot has even joined: the bot joins, greets, then links the room to Brussels."""
    room = await olga.create_room([bot.user_id, *invite])
    await olga.say(room, "!link")
    await olga.expect_membership(room, bot.user_id, "join")
    greeting = said(
        bot,
        "en",
        "Hello! I'm the assistant of %(organization)s. Members can talk to me in a private "
        "conversation to find their chapter. A chapter organizer can link this chat to "
        "the chapter with /link.",
        organization="Common Ground",
    )
    assert "!link" in greeting  # the core's "/link", the Matrix way
    await olga.expect(room, bot.user_id, greeting)
    added = await bot.wait_for(BotAdded)
    assert (added.chat.chat_id, added.chat_kind, added.sender.user_id) == (
        room,
        "group",
        olga.user_id,
    )
    linked = said(
        bot,
        "en",  # a group room speaks the organization's language until told otherwise
        "This chat is now the chat of %(chapter)s. New members will be invited here.",
        chapter="Brussels",
    )
    await olga.expect(room, bot.user_id, linked)
    assert chapter_of_room(bot, room) == brussels(bot).id
    return room


async def make_moderator(olga: Human, room: str, user_id: str) -> None:
    """Power level 50 for `user_id`; once the homeserver took it, later messages follow it."""
    current = await olga.client.room_get_state_event(room, "m.room.power_levels")
    assert isinstance(current, RoomGetStateEventResponse), current
    levels = dict(current.content)
    levels["users"] = {**levels.get("users", {}), user_id: 50}
    response = await olga.client.room_put_state(room, "m.room.power_levels", levels)
    assert isinstance(response, RoomPutStateResponse), response


async def test_an_organizer_links_a_room_and_a_room_moderator_cannot_unlink_or_relink_it(
    synapse: Synapse,
    start_bot: StartBot,
    start_human: StartHuman,
    olga_account: RegisteredUser,
    org_file: Path,
) -> None:
    bot = await start_bot(synapse, org_file=org_file)
    olga = await start_human(synapse, olga_account)
    ben = await start_human(synapse)
    await meet_organizer(bot, olga)

    room = await linked_room(bot, olga, invite=(ben.user_id,))
    await ben.client.join(room)
    await olga.expect_membership(room, ben.user_id, "join")
    # Ben moderates the room, but organizes no chapter: linking and unlinking are not his.
    await make_moderator(olga, room, ben.user_id)

    await ben.say(room, "!unlink")
    refusal = said(
        bot, "en", "Only the organizers of %(chapter)s can unlink this chat.", chapter="Brussels"
    )
    await olga.expect(room, bot.user_id, refusal)
    assert chapter_of_room(bot, room) == brussels(bot).id
    await ben.say(room, "!link Brussels")
    refusal = said(bot, "en", "Only a chapter's organizers can link a chat to it.")
    await olga.expect(room, bot.user_id, refusal)
    assert chapter_of_room(bot, room) == brussels(bot).id

    commands = [i for i in bot.received if isinstance(i, CommandMessage) and not i.is_direct]
    assert [(c.sender.user_id, c.name, c.chat_moderator) for c in commands] == [
        (olga.user_id, "link", True),
        (ben.user_id, "unlink", True),
        (ben.user_id, "link", True),
    ]
    with bot.app.services.database.session() as session:
        assert MembershipRepository(session).organized_by(member_of(bot, ben).id) == []
        linked = ConversationRepository(session).linked_chats(brussels(bot).id)
        assert [c.chat_id for c in linked] == [room]


@pytest.mark.parametrize("answer", ["reaction", "typed"])
async def test_an_accepted_join_request_ends_with_an_invitation_to_the_linked_room(
    synapse: Synapse,
    start_bot: StartBot,
    start_human: StartHuman,
    olga_account: RegisteredUser,
    org_file: Path,
    answer: str,
) -> None:
    bot = await start_bot(synapse, org_file=org_file)
    olga = await start_human(synapse, olga_account)
    olga_direct = await meet_organizer(bot, olga)
    room = await linked_room(bot, olga)

    # Nina onboards in Dutch, shares her location and asks to join Brussels.
    nina = await start_human(synapse)
    nina_direct = await nina.direct_chat(bot.user_id)
    await nina.say(nina_direct, "Hallo")
    prompt = await nina.expect(nina_direct, bot.user_id, "3. Nederlands")
    await nina.react(nina_direct, prompt["event_id"], KEYCAPS[2])
    await nina.expect(
        nina_direct, bot.user_id, said(bot, "nl", "What would you like me to call you?")
    )
    await nina.say(nina_direct, "Nina")
    where = said(
        bot,
        "nl",
        "Where do you live? Type the name of your town or city, or share your location. "
        "I only keep the town, never your exact position.",
    )
    await nina.expect(nina_direct, bot.user_id, where)
    await nina.send(
        nina_direct,
        "m.room.message",
        {"msgtype": "m.location", "body": "Brussels", "geo_uri": BRUSSELS_GEO_URI},
    )
    ask_to_join = said(bot, "nl", "Ask to join %(chapter)s", chapter="Brussels")
    await nina.expect(nina_direct, bot.user_id, f"1. {ask_to_join}")
    await nina.say(nina_direct, "1")
    await nina.expect(
        nina_direct,
        bot.user_id,
        said(
            bot,
            "nl",
            "I've sent your request to join %(chapter)s to its organizers. "
            "I'll tell you as soon as they answer.",
            chapter="Brussels",
        ),
    )
    newcomer = member_of(bot, nina)
    assert (newcomer.language, newcomer.display_name) == ("nl", "Nina")

    # The request reaches Olga's direct chat in French, with 1️⃣ 2️⃣ under it.
    question = said(
        bot,
        "fr",
        "%(name)s from %(place)s asks to join %(chapter)s.",
        name="Nina",
        place="Bruxelles",  # her town, as Olga reads it in French
        chapter="Brussels",
    )
    request = await olga.expect(olga_direct, bot.user_id, question)
    assert request["content"]["msgtype"] == "m.notice"
    accept, decline = said(bot, "fr", "Accept"), said(bot, "fr", "Decline")
    assert body_of(request) == f"{question}\n\n1. {accept}\n2. {decline}"
    for key in KEYCAPS[:2]:
        reaction = await olga.expect(olga_direct, bot.user_id, event_type="m.reaction")
        assert reaction["content"]["m.relates_to"] == {
            "rel_type": "m.annotation",
            "event_id": request["event_id"],
            "key": key,
        }
    if answer == "reaction":
        await olga.react(olga_direct, request["event_id"], KEYCAPS[0])
    else:
        await olga.say(olga_direct, "1")
    await olga.expect(
        olga_direct,
        bot.user_id,
        said(
            bot,
            "fr",
            "Accepted: %(name)s is now a member of %(chapter)s.",
            name="Nina",
            chapter="Brussels",
        ),
    )

    # Nina is welcomed in Dutch and invited to the room by the bot.
    await nina.expect(
        nina_direct,
        bot.user_id,
        said(bot, "nl", "Welcome to %(chapter)s! Your request was accepted.", chapter="Brussels"),
    )
    way_in = await nina.expect(
        nina_direct,
        bot.user_id,
        said(bot, "nl", "Here is your way into the chat of %(chapter)s.", chapter="Brussels"),
    )
    button = said(bot, "nl", "Join the chat")
    assert (
        f'<a href="https://matrix.to/#/{room}">{button}</a>' in way_in["content"]["formatted_body"]
    )
    await nina.wait_until(lambda: room in nina.invites)
    invitation = [
        e
        for e in nina.invite_state[room]
        if isinstance(e, InviteMemberEvent) and e.state_key == nina.user_id
    ]
    assert [(e.sender, e.membership) for e in invitation] == [(bot.user_id, "invite")]
    invited = await olga.expect_membership(room, nina.user_id, "invite")
    assert invited["sender"] == bot.user_id

    # She can join it: the bot and the organizer see her arrive.
    joined = await nina.client.join(room)
    assert isinstance(joined, JoinResponse), joined
    await olga.expect_membership(room, nina.user_id, "join")
    arrival = await bot.wait_for(MemberJoined)
    assert (arrival.chat.chat_id, arrival.member.user_id) == (room, nina.user_id)

    with bot.app.services.database.session() as session:
        requests = list(session.exec(select(JoinRequest)))
        assert [(r.member_id, r.status) for r in requests] == [(newcomer.id, "accepted")]
        membership = MembershipRepository(session).membership(brussels(bot).id, newcomer.id)
        assert membership is not None and membership.role == "member"
