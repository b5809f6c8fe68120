"""A chapter room's digest on a real Synapse with the real clock: one m.notice (a digest is
not a ping), its links in formatted_body."""

from __future__ import annotations

from bot.scheduling.clock import Clock
from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.support.digests import blog_for_chat, digest_due_in
from tests.support.synapse import Synapse


async def test_a_room_digest_arrives_as_one_m_notice(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.create_room([bot.user_id])
    await ann.expect_membership(room, bot.user_id, "join")
    await ann.expect(room, bot.user_id, "Hello! I'm the assistant of")
    blog_for_chat(bot.app, "matrix", room)
    clock = Clock.for_router(bot.app.services, bot.app.dispatcher.router)
    clock.start()
    try:
        digest_due_in(bot.app, 1)
        digest = await ann.expect(room, bot.user_id, "New on the blogs", timeout=20)
    finally:
        clock.stop()
    content = digest["content"]
    assert content["msgtype"] == "m.notice"
    assert "Soup & solidarity" in body_of(digest) and "Flyers at the market" in body_of(digest)
    formatted = content["formatted_body"]
    assert '<a href="https://brussels.example.org/soup">Soup &amp; solidarity</a>' in formatted
    assert formatted.index("/soup") < formatted.index("/flyers")
