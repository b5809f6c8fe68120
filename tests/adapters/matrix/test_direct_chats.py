"""Direct chats through a real homeserver: onboarding in French and Dutch, reactions, places."""

from __future__ import annotations

from bot.adapters.matrix.render import KEYCAPS, html_to_plain
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository
from bot.storage.models import Member
from tests.adapters.matrix.conftest import Bot, StartBot, StartHuman
from tests.adapters.matrix.human import Human, body_of
from tests.support.synapse import Synapse


def member_of(bot: Bot, human: Human) -> Member | None:
    with bot.app.services.database.session() as session:
        found = MemberRepository(session).find_by_identity("matrix", human.user_id)
        return found[0] if found else None


def said(bot: Bot, language: str, message: str, **values: str) -> str:
    """What the bot says for `message` in `language`, as a plain body shows it."""
    text = bot.gettext(language, message)
    return html_to_plain(text % values if values else text)


async def test_a_newcomer_invites_the_bot_and_onboards_in_french(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    amelie = await start_human(synapse)
    room = await amelie.direct_chat(bot.user_id)
    assert bot.adapter.store.room(room).kind == "direct"
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("matrix", room)
        assert chat is not None and chat.kind == "direct"

    await amelie.say(room, "Bonjour")
    prompt = await amelie.expect(room, bot.user_id, "2. Français")
    content = prompt["content"]
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert (
        "<ol><li>English</li><li>Français</li><li>Nederlands</li></ol>"
        in (content["formatted_body"])
    )
    # The bot offers 1️⃣ 2️⃣ 3️⃣ under the prompt.
    for key in KEYCAPS[:3]:
        reaction = await amelie.expect(room, bot.user_id, event_type="m.reaction")
        assert reaction["content"]["m.relates_to"]["event_id"] == prompt["event_id"]
        assert reaction["content"]["m.relates_to"]["key"] == key

    await amelie.say(room, "Français")
    await amelie.expect(room, bot.user_id, said(bot, "fr", "What would you like me to call you?"))
    await amelie.say(room, "Amélie")
    await amelie.expect(
        room, bot.user_id, said(bot, "fr", "Nice to meet you, %(name)s!", name="Amélie")
    )
    for answer in ["Bruxelles", "1", "3", "1"]:
        await amelie.say(room, answer)
    summary = await amelie.expect(
        room, bot.user_id, said(bot, "fr", "<b>You're all set, %(name)s!</b>", name="Amélie")
    )
    assert "<b>" in summary["content"]["formatted_body"]

    member = member_of(bot, amelie)
    assert member is not None
    assert (member.language, member.display_name) == ("fr", "Amélie")
    assert member.onboarded_at is not None
    # Commands are shown the Matrix way: "!mydata", not "/mydata" (a client command).
    data_notice = next(
        e for e in amelie.from_user(room, bot.user_id) if "mydata" in e["content"]["body"]
    )
    assert "!mydata" in data_notice["content"]["body"]
    assert "/mydata" not in data_notice["content"]["body"]


async def test_language_command_reactions_and_a_place_typed_in_dutch(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    jan = await start_human(synapse)
    room = await jan.direct_chat(bot.user_id)

    await jan.say(room, "!language nl")
    await jan.say(room, "!start")
    prompt = await jan.expect(room, bot.user_id, "3. Nederlands")
    await jan.expect(room, bot.user_id, event_type="m.reaction")
    # Answered with a reaction: 3️⃣ is Nederlands.
    await jan.react(room, prompt["event_id"], KEYCAPS[2])
    await jan.expect(room, bot.user_id, said(bot, "nl", "What would you like me to call you?"))
    await jan.say(room, "Jan")
    await jan.expect(room, bot.user_id, said(bot, "nl", "Nice to meet you, %(name)s!", name="Jan"))
    await jan.say(room, "Den Haag")
    chapters = await jan.expect(room, bot.user_id, "1. ")
    nearest = bot.app.services.catalogs.translator("nl").ngettext(
        "This is the chapter nearest to you:", "These are the chapters nearest to you:", 3
    )
    assert chapters["content"]["body"].startswith(nearest)

    member = member_of(bot, jan)
    assert member is not None
    assert member.language == "nl"
    assert member.country_code == "NL"
    assert member.place_name and "Haag" in member.place_name


async def test_a_shared_location_answers_where_do_you_live(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    sam = await start_human(synapse)
    room = await sam.direct_chat(bot.user_id)

    await sam.say(room, "hello")
    prompt = await sam.expect(room, bot.user_id, "1. English")
    await sam.react(room, prompt["event_id"], "1⃣")  # a keycap without its variation selector
    await sam.expect(room, bot.user_id, "What would you like me to call you?")
    await sam.say(room, "Sam")
    await sam.expect(room, bot.user_id, "Where do you live?")
    await sam.send(
        room,
        "m.room.message",
        {"msgtype": "m.location", "body": "Brussels", "geo_uri": "geo:50.8466,4.3528;u=35"},
    )
    chapters = await sam.expect(room, bot.user_id, "1. Ask to join Brussels")
    assert "Brussels" in chapters["content"]["body"]

    member = member_of(bot, sam)
    assert member is not None
    assert member.country_code == "BE"
    assert (member.latitude, member.longitude) == (50.85, 4.35)  # the town's, not the point


async def test_a_direct_room_with_a_third_person_is_not_private(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    """`is_direct` is the creator's word: while someone else is in the room, what is
    personal (/mydata, a connect code, a notice) is not said there."""
    bot = await start_bot(synapse)
    nina = await start_human(synapse)
    eve = await start_human(synapse)
    room = await nina.direct_chat(bot.user_id)
    await nina.say(room, "!mydata")
    await nina.expect(room, bot.user_id, "Everything I store about you")

    await nina.client.room_invite(room, eve.user_id)
    await eve.client.join(room)
    await nina.expect_membership(room, eve.user_id, "join")
    await nina.say(room, "!mydata")
    pointer = await nina.expect(room, bot.user_id, "private conversation")
    assert "Everything I store about you" not in body_of(pointer)
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("matrix", room)
        assert chat is not None and chat.kind == "group"  # notices no longer go there
    assert (
        len([e for e in nina.from_user(room, bot.user_id) if "Everything I store" in body_of(e)])
        == 1
    )

    await eve.client.room_leave(room)
    await nina.expect_membership(room, eve.user_id, "leave")
    await nina.say(room, "!mydata")
    await nina.expect(room, bot.user_id, "Everything I store about you")
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("matrix", room)
        assert chat is not None and chat.kind == "direct"
