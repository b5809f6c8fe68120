"""A group reminder on Telegram with the real clock: set by a group administrator, fired
by the clock, posted to the group so that it notifies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.app import Application
from bot.scheduling.clock import Clock
from bot.storage.models import Schedule, utcnow
from bot.storage.schedules import ScheduleRepository
from tests.adapters.telegram.conftest import texts
from tests.support.fake_telegram import FakeTelegram


def bring_forward(app: Application, seconds: float) -> None:
    """The reminder's moment, a few seconds from now (as if it had been set long ago)."""
    with app.services.database.session() as session:
        schedule = session.exec(select(Schedule).where(Schedule.kind == "reminder")).one()
        schedule.next_at = utcnow() + timedelta(seconds=seconds)
        ScheduleRepository(session).save(schedule)


async def test_a_group_reminder_reaches_the_group_and_notifies(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    ann, bo = fake.person("Ann"), fake.person("Bo")
    group = fake.group("Ghent", {ann: "administrator", bo: "member"})
    await talk(ann, group).handled(fake.add_bot(ann, group))
    refused = await talk(bo, group).say("/remind tomorrow at 18:00 Bring chairs")
    assert "Only this group's moderators" in texts(refused)
    answer = await talk(ann, group).say("/remind tomorrow at 18:00 Bring chairs")
    assert "I'll remind this chat" in texts(answer)
    clock = Clock.for_router(telegram_app.services, telegram_app.dispatcher.router)
    clock.start()
    try:
        before = len(fake.calls_of("sendMessage"))
        bring_forward(telegram_app, 1)
        await fake.wait_for(
            lambda: any("Bring chairs" in m.get("text", "") and "⏰" in m.get("text", "")
                        for m in fake.bot_messages(group)),
            timeout=10,
            what="the reminder in the group",
        )  # fmt: skip
    finally:
        clock.stop()
    sent = [c for c in fake.calls_of("sendMessage")[before:] if "⏰" in c.params["text"]]
    assert len(sent) == 1
    assert str(sent[0].params["chat_id"]) == str(group.id)
    assert "disable_notification" not in sent[0].params  # a reminder must ping
    # Ann never told the bot her name, so the reminder names nobody.
    assert sent[0].params["text"] == "⏰ <b>Reminder</b>: Bring chairs"
    assert sent[0].params["parse_mode"] == "HTML"


async def test_chapterbot_run_leads_and_runs_the_clock(
    fake: FakeTelegram, telegram_app: Application
) -> None:
    """`chapterbot run` as a whole: the adapter, leadership and the clock in one loop."""
    import asyncio

    from bot.cli import run_adapters

    stop = asyncio.Event()
    running = asyncio.create_task(run_adapters(telegram_app, stop))
    try:
        ann = fake.person("Ann")
        chat = fake.private_chat(ann)
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), what="long polling")
        fake.say(ann, "/remind tomorrow at 18:00 Water the plants", chat)
        await fake.wait_for(
            lambda: any("I'll remind you" in m.get("text", "") for m in fake.bot_messages(chat)),
            what="the confirmation",
        )
        bring_forward(telegram_app, 1)
        await fake.wait_for(
            lambda: any("Water the plants" in m.get("text", "") and "⏰" in m.get("text", "")
                        for m in fake.bot_messages(chat)),
            timeout=10,
            what="the reminder",
        )  # fmt: skip
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
