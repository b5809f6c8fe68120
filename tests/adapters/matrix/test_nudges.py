"""An outreach nudge on a real Synapse with the real clock: it reaches the member's direct
chat as m.text (so that it notifies), with its numbered answers."""

from __future__ import annotations

from sqlmodel import select

from bot.scheduling.clock import Clock
from bot.storage.members import MemberRepository
from bot.storage.models import OutreachEntry
from bot.storage.outreach import OutreachRepository
from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.adapters.telegram.test_nudges import nudge_soon
from tests.support.synapse import Synapse


async def test_a_nudge_arrives_as_m_text_and_a_number_answers_it(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.direct_chat(bot.user_id)
    await ann.say(room, "hello")
    await ann.expect(room, bot.user_id, "Which language")
    await ann.say(room, "!cancel")  # no conversation going on: a number answers the nudge
    await ann.expect(room, bot.user_id)
    clock = Clock.for_router(bot.app.services, bot.app.dispatcher.router)
    clock.start()
    try:
        nudge_soon(bot.app, ann.user_id, platform="matrix")
        nudge = await ann.expect(room, bot.user_id, "Outreach time", timeout=20)
    finally:
        clock.stop()
    assert nudge["content"]["msgtype"] == "m.text"  # a nudge must ping
    assert "2. With 2 people" in body_of(nudge)
    # Her personal invitation: the bot to open a chat with, and the words to send there.
    with bot.app.services.database.session() as session:
        member = MemberRepository(session).find_by_identity("matrix", ann.user_id)[0]
        code = OutreachRepository(session).code_of(member.id)
    assert f"send !start i-{code} there" in body_of(nudge)
    assert bot.user_id in body_of(nudge)
    await ann.say(room, "2")
    await ann.expect(room, bot.user_id, "Logged: 2 conversations")
    with bot.app.services.database.session() as session:
        assert [e.people for e in session.exec(select(OutreachEntry))] == [2]
