"""A group reminder on a real Synapse with the real clock: set by a room moderator, posted
as m.text so that it notifies (the default push rules silence m.notice)."""

from __future__ import annotations

from bot.scheduling.clock import Clock
from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.adapters.telegram.test_reminders import bring_forward
from tests.support.synapse import Synapse


async def test_a_room_reminder_arrives_as_m_text(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)  # creates the room: a moderator
    ben = await start_human(synapse)
    room = await ann.create_room([bot.user_id, ben.user_id])
    await ann.expect_membership(room, bot.user_id, "join")
    await ben.client.join(room)
    await ann.expect(room, bot.user_id, "Hello! I'm the assistant of")
    await ben.say(room, "!remind tomorrow at 18:00 Bring chairs")
    await ann.expect(room, bot.user_id, "Only this group's moderators")
    await ann.say(room, "!remind tomorrow at 18:00 Bring chairs")
    confirmation = await ann.expect(room, bot.user_id, "I'll remind this chat")
    assert confirmation["content"]["msgtype"] == "m.notice"  # an answer need not ping
    clock = Clock.for_router(bot.app.services, bot.app.dispatcher.router)
    clock.start()
    try:
        bring_forward(bot.app, 1)
        reminder = await ann.expect(room, bot.user_id, "Bring chairs", timeout=20)
    finally:
        clock.stop()
    assert reminder["content"]["msgtype"] == "m.text"
    assert body_of(reminder) == "⏰ Reminder: Bring chairs"
    assert "<b>Reminder</b>" in reminder["content"]["formatted_body"]
