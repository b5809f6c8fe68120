"""An outreach nudge on Telegram with the real clock: it reaches the member's private chat
with sound, in their language, and its buttons log conversations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.app import Application
from bot.handlers.nudges import AGAIN
from bot.scheduling.clock import Clock
from bot.scheduling.rules import once
from bot.storage.members import MemberRepository
from bot.storage.models import Member, NudgeState, OutreachEntry, Schedule, utcnow
from bot.storage.outreach import OutreachRepository
from bot.storage.schedules import ScheduleRepository
from tests.adapters.telegram.conftest import buttons
from tests.support.fake_telegram import FakeTelegram


def nudge_soon(app: Application, user_id: int | str, platform: str = "telegram") -> None:
    """Ann accepted nudges and asked for one again; it is due in a second."""
    with app.services.database.session() as session:
        member = MemberRepository(session).find_by_identity(platform, str(user_id))[0]
        member = session.get(Member, member.id)
        member.nudges, member.onboarded_at = "monthly", utcnow()
        session.add(member)
        at = utcnow() + timedelta(seconds=1)
        # Quiet hours well away from now, whatever the hour the test runs at.
        hour = at.hour
        session.add(
            NudgeState(
                member_id=member.id, quiet_from=(hour + 12) % 24, quiet_until=(hour + 13) % 24
            )
        )
        ScheduleRepository(session).add(
            Schedule(kind=AGAIN, owner_id=member.id, rule=once(at).to_dict(), next_at=at)
        )


async def test_a_nudge_reaches_the_member_privately_and_its_buttons_log(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    ann = fake.person("Ann", language_code="fr")
    chat = talk(ann)
    await chat.say("/start")
    await chat.press(0)  # English (the first language offered)
    clock = Clock.for_router(telegram_app.services, telegram_app.dispatcher.router)
    clock.start()
    try:
        before = len(fake.calls_of("sendMessage"))
        nudge_soon(telegram_app, ann.id)
        await fake.wait_for(
            lambda: any("Outreach time" in m.get("text", "") for m in chat.messages),
            timeout=10,
            what="the nudge",
        )
    finally:
        clock.stop()
    sent = [c for c in fake.calls_of("sendMessage")[before:] if "Outreach" in c.params["text"]]
    assert len(sent) == 1 and str(sent[0].params["chat_id"]) == str(ann.id)
    assert "disable_notification" not in sent[0].params  # a nudge must ping
    # Her personal invitation, as the deep link a newcomer opens.
    with telegram_app.services.database.session() as session:
        member = MemberRepository(session).find_by_identity("telegram", str(ann.id))[0]
        code = OutreachRepository(session).code_of(member.id)
    assert f"https://t.me/{fake.bot_username}?start=i-{code}" in sent[0].params["text"]
    nudge = chat.last_with_buttons()
    assert buttons(nudge) == [
        "I talked with 1 person",
        "With 2 people",
        "With 3 or more",
        "Remind me in a week",
        "Stop these nudges",
    ]
    answer = await chat.press(1, nudge)
    assert any("Logged: 2 conversations" in m.get("text", "") for m in answer)
    with telegram_app.services.database.session() as session:
        assert [e.people for e in session.exec(select(OutreachEntry))] == [2]
