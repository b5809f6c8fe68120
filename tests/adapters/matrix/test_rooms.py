"""Group rooms, invitations, polls, encrypted rooms and being removed, on a real homeserver."""

from __future__ import annotations

import asyncio

import pytest
from nio import JoinedRoomsResponse

from bot.adapters.matrix.config import ALLOWED_SERVERS_ENV
from bot.core.events import (
    BotAdded,
    BotRemoved,
    ChatRef,
    CommandMessage,
    MemberJoined,
    PollVote,
)
from bot.core.outgoing import Invite, Option, Outgoing, Poll, Text
from bot.storage.conversations import ConversationRepository
from bot.storage.outbox import OutboxStore
from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.support.synapse import Synapse


async def test_group_room_moderators_commands_and_private_pointer(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)  # creates the room: power level 100
    ben = await start_human(synapse)
    room = await ann.create_room([bot.user_id, ben.user_id])
    await ann.expect_membership(room, bot.user_id, "join")
    await ben.client.join(room)
    joined = await bot.wait_for(MemberJoined)
    assert joined.member.user_id == ben.user_id
    added = await bot.wait_for(BotAdded)
    assert (added.chat_kind, added.sender.user_id) == ("group", ann.user_id)
    await ann.expect(room, bot.user_id, "Hello! I'm the assistant of")
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("matrix", room)
        assert chat is not None and chat.kind == "group"

    await ann.say(room, "!help")
    help_text = await ann.expect(room, bot.user_id, "What I can do")
    assert "!help" in body_of(help_text)
    assert "!profile" not in body_of(help_text)  # personal commands are for direct chats
    # Another bot's notice is never answered, even when it looks like a command.
    await ben.send(room, "m.room.message", {"msgtype": "m.notice", "body": "!help"})
    await ben.say(room, "/profile")
    pointer = await ann.expect(room, bot.user_id, "private conversation")
    assert f"Open a direct chat with {bot.user_id} and send !profile there." in body_of(pointer)
    assert f'href="https://matrix.to/#/{bot.user_id}"' in pointer["content"]["formatted_body"]
    assert len([e for e in ann.from_user(room, bot.user_id) if "What I can do" in body_of(e)]) == 1

    commands = [i for i in bot.received if isinstance(i, CommandMessage)]
    by_sender = {c.sender.user_id: c.chat_moderator for c in commands if c.sender}
    assert by_sender == {ann.user_id: True, ben.user_id: False}

    await ann.client.room_kick(room, bot.user_id)
    removed = await bot.wait_for(BotRemoved)
    assert (removed.chat.chat_id, removed.sender.user_id) == (room, ann.user_id)


async def test_polls_are_sent_natively_and_votes_read_under_both_names(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.create_room([bot.user_id])
    await ann.expect_membership(room, bot.user_id, "join")

    poll = Poll("poll-1", "Next meeting?", (Option("tue", "Tuesday"), Option("thu", "Thursday")))
    await bot.adapter.live_outbox.send(Outgoing(ChatRef("matrix", room), poll))
    start = await ann.expect(room, bot.user_id, event_type="m.poll.start")
    content = start["content"]
    assert content["m.poll"]["answers"][1] == {"m.id": "thu", "m.text": [{"body": "Thursday"}]}
    unstable = content["org.matrix.msc3381.poll.start"]
    assert unstable["answers"][0] == {"id": "tue", "org.matrix.msc1767.text": "Tuesday"}
    assert content["body"] == "Next meeting?\n1. Tuesday\n2. Thursday"

    reference = {"rel_type": "m.reference", "event_id": start["event_id"]}
    await ann.send(
        room,
        "org.matrix.msc3381.poll.response",
        {"m.relates_to": reference, "org.matrix.msc3381.poll.response": {"answers": ["thu"]}},
    )
    vote = await bot.wait_for(PollVote)
    assert (vote.poll_id, vote.option_keys) == ("poll-1", ("thu",))
    await ann.send(room, "m.poll.response", {"m.relates_to": reference, "m.selections": ["tue"]})
    await bot.wait_for_count(PollVote, 2)
    assert [v.option_keys for v in bot.received if isinstance(v, PollVote)] == [
        ("thu",),
        ("tue",),
    ]


async def test_an_encrypted_room_gets_one_plain_notice(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.create_room([bot.user_id], encrypted=True)
    notice = await ann.expect(room, bot.user_id, "end-to-end encrypted")
    assert bot.user_id in body_of(notice)
    ciphertext = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "ciphertext": "AwgAEn",
        "device_id": "DEVICE",
        "sender_key": "key",
        "session_id": "session",
    }
    await ann.send(room, "m.room.encrypted", ciphertext)
    await ann.say(room, "!help")  # a client may still send plain text: that is answered
    await ann.expect(room, bot.user_id, "What I can do")
    notices = [e for e in ann.from_user(room, bot.user_id) if "encrypted" in body_of(e)]
    assert len(notices) == 1


async def test_invitations_from_servers_not_allowed_are_declined(
    synapse: Synapse,
    start_bot: StartBot,
    start_human: StartHuman,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALLOWED_SERVERS_ENV, "example.org, matrix.example.net")
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.create_room([bot.user_id], direct=True)
    await ann.expect_membership(room, bot.user_id, "leave")
    assert bot.adapter.config.allowed_servers == {"example.org", "matrix.example.net"}


async def test_an_invite_message_invites_to_the_room_then_says_so(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    organizer = await start_human(synapse)
    chapter_room = await organizer.create_room([bot.user_id])
    await organizer.expect_membership(chapter_room, bot.user_id, "join")
    newcomer = await start_human(synapse)
    direct = await newcomer.direct_chat(bot.user_id)

    invite = Invite(
        text="Welcome! Here is the chapter's room.",
        target_chat=ChatRef("matrix", chapter_room),
        user_id=newcomer.user_id,
        button_label="Open the room",
    )
    await bot.adapter.live_outbox.send(Outgoing(ChatRef("matrix", direct), invite))
    notice = await newcomer.expect(direct, bot.user_id, "Welcome! Here is the chapter's room.")
    assert chapter_room in newcomer.invites
    assert (
        f'<a href="https://matrix.to/#/{chapter_room}">Open the room</a>'
        in (notice["content"]["formatted_body"])
    )
    # Delivered again (a retry after a crash): no error, no second invitation needed.
    await bot.adapter.outbox.send(Outgoing(ChatRef("matrix", direct), invite, id="again"))


async def test_deliveries_waiting_in_the_outbox_table_are_sent(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    organizer = await start_human(synapse)
    room = await organizer.direct_chat(bot.user_id)
    message = Outgoing(ChatRef("matrix", room), Text("A new member asked to join <b>Ghent</b>."))
    with bot.app.services.database.session() as session:
        OutboxStore(session).enqueue(message)
    bot.adapter.drainer.wake()
    notice = await organizer.expect(room, bot.user_id, "A new member asked to join Ghent.")
    assert notice["content"]["formatted_body"] == "A new member asked to join <b>Ghent</b>."


async def test_the_bot_leaves_a_direct_chat_the_member_left(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.direct_chat(bot.user_id)
    await ann.client.room_leave(room)

    async def bot_still_in_room() -> bool:
        joined = await bot.adapter.client.joined_rooms()
        return isinstance(joined, JoinedRoomsResponse) and room in joined.rooms

    for _ in range(200):
        if not await bot_still_in_room():
            break
        await asyncio.sleep(0.05)
    assert not await bot_still_in_room()


async def test_in_rooms_of_version_12_the_creator_moderates(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.create_room([bot.user_id], room_version="12")
    await ann.expect_membership(room, bot.user_id, "join")
    await ann.say(room, "!help")
    command = await bot.wait_for(CommandMessage)
    assert command.chat_moderator  # no power level entry: creators outrank them all
