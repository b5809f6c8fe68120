"""Outreach nudges by command: /nudge WHEN TEXT by a chapter's organizers reaches only the
members who accept nudges, privately, framed in their language, within the 7-day budget;
/nudges lists, cancels, pauses; a member's settings (on, off, quiet hours, snooze)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.handlers.chapter_nudges import CHAPTER_NUDGE
from bot.storage.models import Delivery, Identity, NudgeState, Schedule
from tests.handlers.test_nudges import accept_nudges, aware, fire
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.harness import Harness

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Brussels
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def chapter_nudges(bot: Harness) -> list[Schedule]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(Schedule).where(Schedule.kind == CHAPTER_NUDGE)))


def deliveries_of(bot: Harness, schedule_id: int) -> dict[int, Delivery]:
    with bot.app.services.database.session() as session:
        rows = session.exec(select(Delivery).where(Delivery.schedule_id == schedule_id))
        return {d.member_id: d for d in rows}


async def test_a_nudge_reaches_only_the_members_who_accept_nudges_in_their_language(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina", "jan", "quiet", "gone")
    with bot.app.services.database.session() as session:
        for name, lang in (("nina", "fr"), ("jan", "nl")):
            member = session.get(type(bot.member(name)), bot.member(name).id)
            member.language = lang
            session.add(member)
        gone = session.exec(select(Identity).where(Identity.user_id == "gone")).one()
        gone.unreachable_at = START  # blocked the bot
        session.add(gone)
    accept_nudges(bot, "nina", "jan", "gone")
    refused = await bot.say_in_group("/nudge tomorrow at 18:00 Hello", member="nina", chat=GROUP)
    assert refused.text == "Only a chapter's organizers can send outreach nudges."
    reply = await bot.say_in_group(
        "/nudge tomorrow at 18:00 Bring a friend on Thursday", member="olga", chat=GROUP
    )
    assert "It reaches 2 members now" in reply.text and "Bring a friend" in reply.text
    [schedule] = chapter_nudges(bot)
    fire(bot, datetime(2026, 12, 2, 17, 0, tzinfo=UTC), clock)
    written = deliveries_of(bot, schedule.id)
    assert set(written) == {bot.member("nina").id, bot.member("jan").id}
    nina = await bot.inbox("nina")
    assert "Des responsables de la section Brussels" in nina.text
    assert "Bring a friend on Thursday" in nina.text and len(nina.choice.options) == 5
    assert "Van de organisatoren van Brussels" in (await bot.inbox("jan")).text
    assert (await bot.inbox("quiet")).texts == []
    reply = await bot.press(nina.choice.prompt_id, "1", member="nina")
    assert "1 conversation" in reply.text


async def test_a_second_nudge_within_7_days_waits_and_quiet_hours_are_kept(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina", "jan")
    accept_nudges(bot, "nina", "jan")
    await bot.say("/nudges quiet 8-20", member="jan")  # 18:00 is in Jan's quiet hours
    await bot.say_in_group("/nudge tomorrow at 18:00 First", member="olga", chat=GROUP)
    await bot.say_in_group("/nudge friday at 18:00 Second", member="olga", chat=GROUP)
    first, second = chapter_nudges(bot)
    fire(bot, datetime(2026, 12, 2, 17, 0, tzinfo=UTC), clock)
    fire(bot, datetime(2026, 12, 4, 17, 0, tzinfo=UTC), clock)
    nina_first = aware(deliveries_of(bot, first.id)[bot.member("nina").id].due_at)
    assert nina_first == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    jan_first = aware(deliveries_of(bot, first.id)[bot.member("jan").id].due_at)
    assert jan_first.astimezone(BRUSSELS).replace(tzinfo=None) == datetime(2026, 12, 2, 20, 0)
    # The second comes a week after the first, not two days after.
    nina_second = aware(deliveries_of(bot, second.id)[bot.member("nina").id].due_at)
    assert nina_second == datetime(2026, 12, 9, 17, 0, tzinfo=UTC)
    # A third within the week is dropped: one nudge at most waits for the budget.
    await bot.say_in_group("/nudge saturday at 18:00 Third", member="olga", chat=GROUP)
    third = chapter_nudges(bot)[-1]
    fire(bot, datetime(2026, 12, 5, 17, 0, tzinfo=UTC), clock)
    assert deliveries_of(bot, third.id) == {}
    reply = await bot.say_in_group("/nudge every day at 18:00 Daily", member="olga", chat=GROUP)
    assert "at most once a week" in reply.text
    clock.move_to(datetime(2026, 12, 8, 12, tzinfo=UTC))
    assert "First" in (await bot.inbox("nina")).text
    assert "Second" not in (await bot.inbox("nina")).text
    clock.move_to(datetime(2026, 12, 9, 17, 0, 1, tzinfo=UTC))
    assert "Second" in (await bot.inbox("nina")).text


async def test_nudges_lists_cancels_and_pauses_for_organizers(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina")
    await bot.say_in_group(
        "/nudge every first Monday of the month at 19:00 Who will you talk to?",
        member="olga",
        chat=GROUP,
    )
    [schedule] = chapter_nudges(bot)
    listing = await bot.say("/nudges", member="olga")  # privately: her settings and Brussels
    assert "Nudges of Brussels" in listing.text and f"#{schedule.id}" in listing.text
    assert "Quiet hours" in listing.text
    refused = await bot.say_in_group(f"/nudges cancel {schedule.id}", member="nina", chat=GROUP)
    assert "Only the organizers of Brussels" in refused.text
    reply = await bot.say_in_group(f"/nudges pause {schedule.id}", member="olga", chat=GROUP)
    assert "paused" in reply.text
    assert "paused" in (await bot.say_in_group("/nudges", member="olga", chat=GROUP)).text
    reply = await bot.say_in_group(f"/nudges resume {schedule.id}", member="olga", chat=GROUP)
    assert "on again" in reply.text and "December 7" in reply.text
    reply = await bot.say_in_group(f"/nudges cancel {schedule.id}", member="olga", chat=GROUP)
    assert "cancelled" in reply.text and chapter_nudges(bot) == []
    reply = await bot.say_in_group("/nudges cancel 999", member="olga", chat=GROUP)
    assert "I don't know a nudge #999" in reply.text


async def test_a_member_s_settings_on_off_quiet_hours_and_snooze(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina")
    reply = await bot.say("/nudges", member="nina")
    assert "Nudges: off" in reply.text and "Quiet hours: 9:00 PM–9:00 AM" in reply.text
    assert "are on" in (await bot.say("/nudges on", member="nina")).text
    assert bot.member("nina").nudges == "monthly"
    reply = await bot.say("/nudges quiet 22-08", member="nina")
    assert "Quiet hours: 10:00 PM–8:00 AM" in reply.text
    for bad in ("/nudges quiet 25-08", "/nudges quiet 8", "/nudges quiet 9-9"):
        assert "two hours from 0 to 23" in (await bot.say(bad, member="nina")).text
    for bad in (
        "/nudges snooze tomorrowish",
        "/nudges snooze 2026-11-30",
        "/nudges snooze 2030-01-01",
    ):
        assert "within a year" in (await bot.say(bad, member="nina")).text
    reply = await bot.say("/nudges snooze 2026-12-10", member="nina")
    assert "No nudges until December 10, 2026" in reply.text
    with bot.app.services.database.session() as session:
        state = session.get(NudgeState, bot.member("nina").id)
        assert (state.quiet_from, state.quiet_until) == (22, 8)
    await bot.say_in_group("/nudge tomorrow at 18:00 Snoozed one", member="olga", chat=GROUP)
    await bot.say_in_group("/nudge december 11 at 18:00 After", member="olga", chat=GROUP)
    first, second = chapter_nudges(bot)
    fire(bot, datetime(2026, 12, 2, 17, 0, tzinfo=UTC), clock)
    fire(bot, datetime(2026, 12, 11, 17, 0, tzinfo=UTC), clock)
    assert deliveries_of(bot, first.id) == {}
    assert bot.member("nina").id in deliveries_of(bot, second.id)
    assert "off" in (await bot.say("/nudges off", member="nina")).text
    assert bot.member("nina").nudges == "none"
    assert "Usage" in (await bot.say("/nudges sometimes", member="nina")).text
