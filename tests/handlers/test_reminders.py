"""Reminders through the whole core, with a controlled clock: /remind in groups and in
private, the clock firing them, snooze, /reminders, /timezone, permissions, privacy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlmodel import select

from bot.app import Application
from bot.core.outgoing import Choice, Outgoing
from bot.scheduling.clock import Clock
from bot.storage.models import Delivery, Schedule
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.harness import Harness

# Tuesday 1 December 2026, 10:00 in Brussels.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fire(bot: Harness, at: datetime, traveller: time_machine.Coordinates) -> int:
    """The clock's tick at `at` (as the running clock would do it)."""
    traveller.move_to(at)
    ticking = Clock.for_router(bot.app.services, bot.app.dispatcher.router)
    return ticking.fire_due(at)


def schedules(bot: Harness) -> list[Schedule]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(Schedule).where(Schedule.kind == "reminder")))


def translated(bot: Harness, language: str, message: str) -> str:
    return bot.app.services.catalogs.translator(language).gettext(message)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


# -- in a private conversation ---------------------------------------------------------------


async def test_a_personal_reminder_is_confirmed_fired_and_snoozed(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    reply = await bot.say("/remind tomorrow at 18:00 Bring the flyers")
    assert "I'll remind you Wednesday, December 2 at 6:00 PM: “Bring the flyers”" in reply.text
    assert [o.key for o in reply.choice.options] == ["undo"]
    (schedule,) = schedules(bot)
    listed = await bot.say("/reminders")
    assert f"#{schedule.id} Wednesday, December 2 at 6:00 PM: “Bring the flyers”" in listed.text
    # Not before its time…
    assert fire(bot, datetime(2026, 12, 2, 16, 59, 50, tzinfo=UTC), clock) == 0
    assert (await bot.inbox("alice")).messages == []
    # …and within the second it is due.
    assert fire(bot, datetime(2026, 12, 2, 17, 0, 1, tzinfo=UTC), clock) == 1
    arrived = await bot.inbox("alice")
    assert "⏰ Reminder: Bring the flyers" in arrived.text
    assert "Late" not in arrived.text
    message = arrived.messages[0]
    assert message.notify is True
    assert [o.key for o in arrived.choice.options] == ["done", "hour", "tomorrow"]
    assert fire(bot, datetime(2026, 12, 2, 17, 0, 2, tzinfo=UTC), clock) == 0  # once
    # "In one hour": it comes back an hour later, once.
    reply = await bot.press(arrived.choice.prompt_id, "hour")
    assert "I'll remind you again Wednesday, December 2 at 7:00 PM" in reply.text
    assert fire(bot, datetime(2026, 12, 2, 18, 0, 3, tzinfo=UTC), clock) == 1
    again = await bot.inbox("alice")
    assert "Bring the flyers" in again.text
    reply = await bot.press(again.choice.prompt_id, "done")
    assert reply.text == "Done. 👍"
    assert [s.status for s in schedules(bot)] == ["done"]


async def test_snooze_until_tomorrow_keeps_the_wall_clock_time(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind every day at 9:00 Stretch")
    fire(bot, datetime(2026, 12, 2, 8, 0, 1, tzinfo=UTC), clock)
    arrived = await bot.inbox("alice")
    await bot.press(arrived.choice.prompt_id, "tomorrow")
    (schedule,) = schedules(bot)
    assert schedule.snoozed_until is not None
    assert schedule.snoozed_until.replace(tzinfo=UTC) == datetime(2026, 12, 3, 8, 0, 1, tzinfo=UTC)
    assert schedule.next_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


async def test_the_next_three_occurrences_are_shown_in_the_members_language(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("amelie", lang="fr", place="Bruxelles")
    reply = await bot.say(
        "/remind chaque premier lundi du mois à 19h Assemblée", member="amelie", lang="fr"
    )
    text = plain(reply.text)
    assert "lundi 7 décembre à 19:00, lundi 4 janvier 2027, lundi 1 février 2027" in text
    assert "Assemblée" in text
    await bot.onboard("jan", lang="nl", place="Amsterdam")
    reply = await bot.say("/remind elke werkdag om 8:30 Overleg", member="jan", lang="nl")
    assert "woensdag 2 december om 08:30, donderdag 3 december, vrijdag 4 december" in plain(
        reply.text
    )


async def test_an_hour_that_could_be_morning_or_evening_is_asked(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    reply = await bot.say("/remind at 7 Call Ann")
    assert [plain(o.label) for o in reply.choice.options] == ["7:00 AM", "7:00 PM"]
    assert schedules(bot) == []
    reply = await bot.say("2")
    assert "Tuesday, December 1 at 7:00 PM" in reply.text
    assert len(schedules(bot)) == 1


async def test_a_past_day_with_an_hour_of_either_kind_is_refused_after_the_choice(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    reply = await bot.say("/remind on 1 December 2026 at 7 Too late")
    assert [plain(o.label) for o in reply.choice.options] == ["7:00 AM", "7:00 PM"]
    reply = await bot.say("1")
    assert "That time is in the past." in reply.text
    assert schedules(bot) == []


async def test_reminder_step_by_step(bot: Harness, clock: time_machine.Coordinates) -> None:
    await bot.onboard("alice")
    reply = await bot.say("/remind")
    assert "What should I remind you of?" in reply.text
    reply = await bot.say("Water the plants")
    assert [o.key for o in reply.choice.options] == ["once", "repeat"]
    reply = await bot.say(reply.option_number("repeat"))
    assert "How often?" in reply.text
    reply = await bot.say("nonsense")
    assert "I could not tell when" in reply.text and "How often?" in reply.text
    reply = await bot.say("every Monday and Thursday")
    assert "What time?" in reply.text
    reply = await bot.say("18:30")
    assert "every Monday and Thursday at 6:30 PM: “Water the plants”" in reply.text
    assert "Next: Thursday, December 3 at 6:30 PM, Monday, December 7, Thursday, December 10" in (
        reply.text
    )


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/remind whenever it suits you", "I could not tell when you want the reminder."),
        ("/remind tomorrow at 18:00", "What should the reminder say? Put the text after the time."),
        (
            "/remind tomorrow at 18:00 " + "x" * 1001,
            "The text of a reminder can have at most %(limit)s characters.",
        ),
        (
            "/remind on 1 December 2026 at 8:00 Too late",
            "That time is in the past. Please choose a moment still ahead.",
        ),
        ("/remind cron */5 * * * * Spam", "Reminders can repeat at most every 15 minutes."),
        ("/remind every monday Meeting", "Please tell me the time too, for example “at 19:00”."),
    ],
)
async def test_refusals_say_why_with_examples_in_the_members_language(
    bot: Harness, clock: time_machine.Coordinates, lang: str, command: str, reason: str
) -> None:
    await bot.onboard("mia", lang=lang)
    reply = await bot.say(command, member="mia", lang=lang)
    expected = translated(bot, lang, reason).split("%(")[0]
    assert plain(expected) in reply.text
    example = translated(
        bot,
        lang,
        "For example: /remind tomorrow at 18:00 Bring the flyers, or /remind every first "
        "Monday of the month at 19:00 Chapter meeting.",
    )
    if "characters" not in reason:
        assert plain(example) in reply.text
    assert schedules(bot) == []


async def test_at_most_twenty_personal_reminders(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    for number in range(20):
        await bot.say(f"/remind every day at 9:{number:02d} Task {number}")
    reply = await bot.say("/remind every day at 10:00 One more")
    assert "You already have 20 reminders" in reply.text
    assert len(schedules(bot)) == 20


async def test_undo_cancels_what_was_just_set(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    reply = await bot.say("/remind tomorrow at 18:00 Bring the flyers")
    reply = await bot.press(reply.choice.prompt_id, "undo")
    assert "Undone" in reply.text
    assert schedules(bot) == []


# -- /reminders ------------------------------------------------------------------------------


async def test_list_pause_resume_skip_edit_cancel(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind every Monday at 19:00 Meeting")
    (schedule,) = schedules(bot)
    number = schedule.id
    reply = await bot.say("/reminders")
    assert f"#{number} every Monday at 7:00 PM (next Monday, December 7 at 7:00 PM)" in reply.text
    reply = await bot.say(f"/reminders skip {number}")
    assert "comes next Monday, December 14 at 7:00 PM" in reply.text
    reply = await bot.say(f"/reminders pause {number}")
    assert "paused" in reply.text
    assert fire(bot, datetime(2026, 12, 14, 18, 0, 1, tzinfo=UTC), clock) == 0
    reply = await bot.say(f"/reminders resume {number}")
    assert "next Monday, December 21 at 7:00 PM" in reply.text
    reply = await bot.say(f"/reminders edit {number} every Tuesday at 20:00")
    assert "every Tuesday at 8:00 PM: “Meeting”" in reply.text
    reply = await bot.say(f"/reminders edit {number} Chapter meeting, bring snacks")
    assert "every Tuesday at 8:00 PM: “Chapter meeting, bring snacks”" in reply.text
    reply = await bot.say(f"/reminders cancel {number}")
    assert f"Reminder #{number} is cancelled." in reply.text
    assert schedules(bot) == []
    reply = await bot.say(f"/reminders cancel {number}")
    assert f"I don't know a reminder #{number} here." in reply.text
    reply = await bot.say("/reminders frobnicate 1")
    assert "Usage: /reminders" in reply.text


async def test_members_cannot_touch_each_others_reminders(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.onboard("bob")
    await bot.say("/remind every Monday at 19:00 Meeting")
    (schedule,) = schedules(bot)
    reply = await bot.say(f"/reminders cancel {schedule.id}", member="bob")
    assert "I don't know a reminder" in reply.text
    assert "You have no reminders" in (await bot.say("/reminders", member="bob")).text
    assert len(schedules(bot)) == 1


# -- in a group chat -------------------------------------------------------------------------


async def test_a_group_reminder_by_an_organizer_posts_to_the_group(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina")
    reply = await bot.say_in_group("/remind friday 19:30 Bring chairs", member="olga", chat=GROUP)
    assert "I'll remind this chat Friday, December 4 at 7:30 PM: “Bring chairs”" in reply.text
    fire(bot, datetime(2026, 12, 4, 18, 30, 1, tzinfo=UTC), clock)
    posted = await bot.inbox(chat=GROUP)
    assert "⏰ Reminder from Olga: Bring chairs" in posted.text
    assert posted.messages[0].notify is True
    reply = await bot.say_in_group("/reminders", member="nina", chat=GROUP)
    assert "This chat has no reminders." in reply.text  # it was a one-off, now done


async def test_only_organizers_admins_and_moderators_may_ping_a_group(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina")
    reply = await bot.say_in_group("/remind tomorrow at 9:00 Hi all", member="nina", chat=GROUP)
    assert "Only the organizers of Brussels can set reminders for this chat." in reply.text
    # A moderator of a linked chapter's chat is not enough: the chapter decides.
    reply = await bot.say_in_group(
        "/remind tomorrow at 9:00 Hi all", member="nina", chat=GROUP, moderator=True
    )
    assert "Only the organizers of Brussels" in reply.text
    reply = await bot.say_in_group("/remind tomorrow at 9:00 Hi all", member="admin", chat=GROUP)
    assert "I'll remind this chat" in reply.text
    # In a chat linked to no chapter, the group's moderators decide.
    reply = await bot.say_in_group("/remind tomorrow at 9:00 Hi", member="nina", chat="other")
    assert "Only this group's moderators can set reminders for it." in reply.text
    reply = await bot.say_in_group(
        "/remind tomorrow at 9:00 Hi", member="nina", chat="other", moderator=True
    )
    assert "I'll remind this chat" in reply.text
    # Authors manage their own; organizers any reminder in their chapter's chats.
    (admins, _other) = schedules(bot)
    reply = await bot.say_in_group(f"/reminders cancel {admins.id}", member="nina", chat=GROUP)
    assert "Only the reminder's author and the chapter's organizers" in reply.text
    reply = await bot.say_in_group(f"/reminders cancel {admins.id}", member="olga", chat=GROUP)
    assert "is cancelled" in reply.text


async def test_a_group_reminder_follows_the_chapters_city_and_timezone_changes_it(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot)
    reply = await bot.say_in_group("/timezone", member="olga", chat=GROUP)
    assert "Europe/Brussels" in reply.text
    await bot.say_in_group("/remind every day at 19:00 Check in", member="olga", chat=GROUP)
    reply = await bot.say_in_group("/timezone New York", member="olga", chat=GROUP)
    assert "America/New_York" in reply.text
    (schedule,) = schedules(bot)
    assert schedule.timezone == "America/New_York"
    # Still 19:00, now New York's: midnight in UTC.
    assert schedule.next_at.replace(tzinfo=UTC) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    reply = await bot.say_in_group("/timezone Qwxzv", member="olga", chat=GROUP)
    assert "I don't know the place “Qwxzv”" in reply.text


async def test_a_reminder_whose_chat_is_gone_is_paused_and_its_author_told(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot)
    await bot.say_in_group("/remind every day at 19:00 Check in", member="olga", chat=GROUP)
    await bot.inbox("olga")
    from bot.core.events import BotRemoved

    await bot.send(BotRemoved(**bot._common("olga", None, GROUP)))
    (schedule,) = schedules(bot)
    assert schedule.status == "paused" and schedule.due_at is None
    told = await bot.inbox("olga")
    assert f"Your reminder #{schedule.id} (“Check in”) is paused" in told.text
    assert fire(bot, datetime(2026, 12, 1, 18, 0, 1, tzinfo=UTC), clock) == 0


# -- missed while down -----------------------------------------------------------------------


async def test_within_the_grace_window_a_missed_reminder_is_sent_once_and_says_it_is_late(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind every 15th of the month at 19:00 Pay dues")  # 18:00 UTC in December
    # The bot was down from 17:55 to 18:40 UTC.
    fire(bot, datetime(2026, 12, 15, 18, 40, tzinfo=UTC), clock)
    arrived = await bot.inbox("alice")
    assert "Pay dues" in arrived.text
    assert "(Late: this was due Tuesday, December 15 at 7:00 PM; I was offline.)" in arrived.text
    assert fire(bot, datetime(2026, 12, 15, 18, 41, tzinfo=UTC), clock) == 0


async def test_beyond_the_grace_window_it_is_skipped_and_the_author_told_once(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind every day at 9:00 Stretch")  # 08:00 UTC
    # Down for three days: three occurrences passed, the last one two hours ago.
    fire(bot, datetime(2026, 12, 4, 10, 0, tzinfo=UTC), clock)
    arrived = await bot.inbox("alice")
    assert len(arrived.messages) == 1
    assert "was due 3 times (last on Friday, December 4 at 9:00 AM)" in arrived.text
    assert "did not send them late" in arrived.text
    (schedule,) = schedules(bot)
    assert schedule.next_at.replace(tzinfo=UTC) == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


async def test_never_a_burst_of_past_occurrences(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind cron */15 * * * * Drink water")
    # 40 minutes down: two occurrences skipped, the latest sent once, late.
    fire(bot, datetime(2026, 12, 1, 9, 41, tzinfo=UTC), clock)
    with bot.app.services.database.session() as session:
        rows = session.exec(select(Delivery).where(Delivery.schedule_id.is_not(None))).all()
    assert len(rows) == 1
    assert rows[0].occurrence.replace(tzinfo=UTC) == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def test_a_restart_between_firing_and_delivery_neither_repeats_nor_loses(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    await bot.onboard("alice")
    await bot.say("/remind tomorrow at 18:00 Bring the flyers")
    fire(bot, datetime(2026, 12, 2, 17, 0, 1, tzinfo=UTC), clock)
    # The process dies before any sender ran; another one starts on the same database.
    from bot.app import build_application

    restarted = build_application(bot.app.services.settings)
    try:
        again = Harness(restarted)
        assert (
            Clock.for_router(restarted.services, restarted.dispatcher.router).fire_due(
                datetime(2026, 12, 2, 17, 0, 5, tzinfo=UTC)
            )
            == 0
        )
        arrived = await again.inbox("alice")
        assert [m for m in arrived.messages if "Bring the flyers" in str(m.body)]
        assert (await again.inbox("alice")).messages == []
    finally:
        restarted.close()


# -- privacy ---------------------------------------------------------------------------------


async def test_mydata_lists_reminders_and_forget_removes_personal_ones(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await linked_group(bot)
    await bot.say("/remind every day at 9:00 Stretch", member="olga")
    await bot.say_in_group("/remind every Monday at 19:00 Meeting", member="olga", chat=GROUP)
    reply = await bot.say("/mydata", member="olga")
    assert "“Stretch”" in reply.text and "“Meeting”" in reply.text
    assert '"reminders"' in reply.text
    reply = await bot.say("/forget", member="olga")
    await bot.say(reply.option_number("erase"), member="olga")
    (left,) = schedules(bot)
    assert left.payload["text"] == "Meeting" and left.created_by is None
    fire(bot, datetime(2026, 12, 7, 18, 0, 1, tzinfo=UTC), clock)
    posted = await bot.inbox(chat=GROUP)
    assert "⏰ Reminder: Meeting" in posted.text
    assert "Olga" not in posted.text


def test_reminder_messages_survive_the_outbox_with_their_ping() -> None:
    from bot.core.events import ChatRef
    from bot.core.outgoing import Option, from_record, to_record

    message = Outgoing(
        ChatRef("test", "x"), Choice("p", "t", (Option("done", "Done"),)), notify=True
    )
    assert from_record(to_record(message)).notify is True
    assert from_record({**to_record(message), "notify": False}).notify is False


async def test_the_daily_reminder_fires_at_nine_local_on_both_dst_days(
    bot: Harness, clock: time_machine.Coordinates
) -> None:
    clock.move_to(datetime(2027, 3, 27, 12, 0, tzinfo=UTC))
    await bot.onboard("alice")
    await bot.say("/remind every day at 9:00 Stretch")
    assert fire(bot, datetime(2027, 3, 28, 6, 59, 59, tzinfo=UTC), clock) == 0
    assert fire(bot, datetime(2027, 3, 28, 7, 0, 1, tzinfo=UTC), clock) == 1  # 09:00 CEST
    clock.move_to(datetime(2027, 10, 30, 12, 0, tzinfo=UTC))
    (schedule,) = schedules(bot)
    with bot.app.services.database.session() as session:
        stored = session.get(Schedule, schedule.id)
        stored.next_at = datetime(2027, 10, 31, 8, 0, tzinfo=UTC)
        stored.due_at = stored.next_at
        session.add(stored)
    assert fire(bot, datetime(2027, 10, 31, 7, 59, 59, tzinfo=UTC), clock) == 0
    assert fire(bot, datetime(2027, 10, 31, 8, 0, 1, tzinfo=UTC), clock) == 1  # 09:00 CET


# -- the same on PostgreSQL ------------------------------------------------------------------


async def test_reminders_on_sqlite_and_postgresql(
    app_on_any_database: Application, clock: time_machine.Coordinates
) -> None:
    """Set, fired once, snoozed, late within the grace window, skipped beyond it."""
    bot = Harness(app_on_any_database)
    await bot.onboard("alice")
    await bot.say("/remind every day at 9:00 Stretch")  # 08:00 UTC
    assert fire(bot, datetime(2026, 12, 2, 8, 0, 1, tzinfo=UTC), clock) == 1
    assert fire(bot, datetime(2026, 12, 2, 8, 0, 2, tzinfo=UTC), clock) == 0
    arrived = await bot.inbox("alice")
    assert "⏰ Reminder: Stretch" in arrived.text
    await bot.press(arrived.choice.prompt_id, "hour")
    assert fire(bot, datetime(2026, 12, 2, 9, 0, 3, tzinfo=UTC), clock) == 1
    assert "Stretch" in (await bot.inbox("alice")).text
    # Down from 07:55 to 08:30 the next day: sent once, late.
    fire(bot, datetime(2026, 12, 3, 8, 30, tzinfo=UTC), clock)
    assert "(Late: this was due Thursday, December 3 at 9:00 AM" in (await bot.inbox("alice")).text
    # Down for two days: skipped, and said once.
    fire(bot, datetime(2026, 12, 5, 12, 0, tzinfo=UTC), clock)
    told = await bot.inbox("alice")
    assert len(told.messages) == 1 and "was due 2 times" in told.text
