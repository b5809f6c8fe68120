"""The monthly outreach nudge on the clock: one schedule, its fan-out spread over 10:00–19:00
in each member's zone, only to members who accepted, at most one per 7 days, the thank-you
variant, and the buttons (log, again in a week, stop)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.handlers.nudges import AGAIN, MONTHLY_KEY, NUDGE, keep_monthly, slot
from bot.scheduling.clock import Clock
from bot.scheduling.rules import once
from bot.storage.models import Chapter, Delivery, Member, NudgeState, OutreachEntry, Schedule
from bot.storage.outreach import OutreachRepository
from bot.storage.schedules import ScheduleRepository
from tests.handlers.test_chapters import meet_organizers
from tests.handlers.test_outreach import brussels_member
from tests.support.harness import Harness

# Tuesday 1 December 2026; the first Monday is 7 December.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# The nudge day begins in the earliest zone (UTC+14) on Sunday 6 December at 10:00 UTC.
FIRING = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fire(bot: Harness, at: datetime, traveller: time_machine.Coordinates) -> int:
    traveller.move_to(at)
    return Clock.for_router(bot.app.services, bot.app.dispatcher.router).fire_due(at)


def accept_nudges(bot: Harness, *names: str) -> None:
    with bot.app.services.database.session() as session:
        for name in names:
            member = session.get(Member, bot.member(name).id)
            member.nudges = "monthly"
            session.add(member)


def keep(bot: Harness) -> Schedule:
    with bot.app.services.database.session() as session:
        keep_monthly(bot.app.services, session)
    with bot.app.services.database.session() as session:
        return session.exec(select(Schedule).where(Schedule.key == MONTHLY_KEY)).one()


def nudges(bot: Harness) -> dict[int, Delivery]:
    """member id → their nudge delivery"""
    with bot.app.services.database.session() as session:
        rows = session.exec(
            select(Delivery, Schedule)
            .join(Schedule, Schedule.id == Delivery.schedule_id)
            .where(Schedule.kind.in_([NUDGE, AGAIN]))  # type: ignore[attr-defined]
        )
        return {d.member_id: d for d, _s in rows}


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_one_schedule_fans_out_spread_over_the_day_to_members_who_accepted(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await bot.onboard("nina", "fr")
    await bot.onboard("jan", "nl", place="Den Haag")
    await bot.onboard("lou", "en", place="London")
    await bot.onboard("quiet")  # said no to nudges
    accept_nudges(bot, "nina", "jan", "lou")
    schedule = keep(bot)
    assert (schedule.kind, aware(schedule.next_at)) == (NUDGE, FIRING)
    keep(bot)  # kept, not doubled
    fire(bot, FIRING, clock)
    written = nudges(bot)
    ids = {name: bot.member(name).id for name in ("nina", "jan", "lou", "quiet")}
    assert set(written) == {ids["nina"], ids["jan"], ids["lou"]}
    for name, zone in (("nina", BRUSSELS), ("jan", BRUSSELS), ("lou", ZoneInfo("Europe/London"))):
        local = aware(written[ids[name]].due_at).astimezone(zone)
        assert local.date().isoformat() == "2026-12-07"
        assert local.replace(tzinfo=None) == datetime(2026, 12, 7, 10) + slot(ids[name])
        assert 10 <= local.hour < 19
    # Nothing reaches anyone before their moment; by 19:00 everyone has it, in their language.
    assert (await bot.inbox("nina")).texts == []
    clock.move_to(datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    nina = await bot.inbox("nina")
    assert "sensibilisation" in nina.text and len(nina.choice.options) == 5
    assert "Tijd voor werving" in (await bot.inbox("jan")).text
    assert "Outreach time" in (await bot.inbox("lou")).text
    assert (await bot.inbox("quiet")).texts == []
    # A second firing of the same occurrence writes nothing twice (the clock moved on).
    fire(bot, FIRING + timedelta(minutes=1), clock)
    assert len(nudges(bot)) == 3


async def test_at_most_one_nudge_per_member_per_7_days(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    await bot.onboard("olga")
    accept_nudges(bot, "nina", "olga")
    with bot.app.services.database.session() as session:
        # Olga was nudged on Thursday 3 December: the monthly one on the 7th would be too soon.
        session.add(
            NudgeState(
                member_id=bot.member("olga").id,
                last_nudged_at=datetime(2026, 12, 3, 12, tzinfo=UTC),
            )
        )
    keep(bot)
    fire(bot, FIRING, clock)
    assert set(nudges(bot)) == {bot.member("nina").id}


async def test_the_buttons_log_ask_again_in_a_week_and_stop(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    accept_nudges(bot, "nina")
    keep(bot)
    fire(bot, FIRING, clock)
    clock.move_to(datetime(2026, 12, 7, 19, 0, tzinfo=UTC))
    nudge = await bot.inbox("nina")
    assert "Outreach time" in nudge.text
    # Her personal invitation rides along, to forward (the terminal shows the words to send).
    code = nudge.choice.invitation
    assert code.startswith("i-") and f"/start {code}" in nudge.text
    with bot.app.services.database.session() as session:
        assert OutreachRepository(session).inviter_of_code(code[2:]) == bot.member("nina").id
    # "Remind me in a week": asked again seven days later, not before.
    reply = await bot.press(nudge.choice.prompt_id, "week", member="nina")
    assert "ask again" in reply.text and "December 14" in reply.text
    await bot.say("/talked 2", member="nina")
    first = nudges(bot)
    fire(bot, datetime(2026, 12, 14, 18, 59, tzinfo=UTC), clock)
    assert nudges(bot) == first
    fire(bot, datetime(2026, 12, 14, 19, 0, 1, tzinfo=UTC), clock)
    again = await bot.inbox("nina")
    # She logged 2 this month: the thank-you, not the same ask.
    assert "Thank you: this month you already talked with 2 people" in again.text
    reply = await bot.press(again.choice.prompt_id, "3", member="nina")
    assert "Logged: 3 conversations" in reply.text and "talked with 5 people" in reply.text
    with bot.app.services.database.session() as session:
        assert [e.people for e in session.exec(select(OutreachEntry))] == [2, 3]

    # January's nudge (its first Monday is the 4th), then one tap stops them.
    fire(bot, datetime(2027, 1, 3, 10, 0, tzinfo=UTC), clock)
    clock.move_to(datetime(2027, 1, 4, 19, 0, tzinfo=UTC))
    january = await bot.inbox("nina")
    assert "Outreach time" in january.text
    reply = await bot.press(january.choice.prompt_id, "stop", member="nina")
    assert "no more outreach nudges" in reply.text
    assert bot.member("nina").nudges == "none"
    fire(bot, datetime(2027, 1, 31, 10, 0, tzinfo=UTC), clock)  # February's firing
    clock.move_to(datetime(2027, 2, 1, 19, 0, tzinfo=UTC))
    assert (await bot.inbox("nina")).texts == []


@pytest.mark.parametrize(
    ("lang", "thanks", "chapter_words"),
    [
        ("en", "Thank you: this month you already talked with 3 people", "Brussels this month: 4"),
        (
            "fr",
            "Merci : ce mois-ci, vous avez déjà parlé avec 3 personnes",
            "Brussels ce mois-ci : 4",
        ),
        ("nl", "Bedankt: deze maand heb je al met 3 mensen gepraat", "Brussels deze maand: 4"),
    ],
)
async def test_a_member_who_already_logged_this_month_is_thanked_with_the_chapter_s_number(
    chapters_bot: Harness,
    clock: time_machine.Coordinates,
    lang: str,
    thanks: str,
    chapter_words: str,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await brussels_member(bot, "nina", lang)
    await bot.say("/talked 3", member="nina")
    await bot.say("/talked 1", member="olga")
    accept_nudges(bot, "nina")
    keep(bot)
    fire(bot, FIRING, clock)
    clock.move_to(datetime(2026, 12, 7, 19, 0, tzinfo=UTC))
    reply = await bot.inbox("nina")
    assert thanks in reply.text and chapter_words in reply.text


async def test_a_nudge_due_in_quiet_hours_waits_for_the_morning(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    accept_nudges(bot, "nina")
    keep(bot)
    fire(bot, FIRING, clock)
    clock.move_to(datetime(2026, 12, 7, 21, 30, tzinfo=UTC))  # 22:30 in Brussels
    nudge = await bot.inbox("nina")
    reply = await bot.press(nudge.choice.prompt_id, "week", member="nina")
    assert "December 14" in reply.text
    fire(bot, datetime(2026, 12, 14, 21, 30, 1, tzinfo=UTC), clock)
    [again] = [d for d in nudges(bot).values() if aware(d.due_at) > FIRING + timedelta(days=2)]
    local = aware(again.due_at).astimezone(BRUSSELS)
    assert local.replace(tzinfo=None) == datetime(2026, 12, 15, 9, 0)
    assert (await bot.inbox("nina")).texts == []  # not at 22:30
    clock.move_to(datetime(2026, 12, 15, 8, 0, 1, tzinfo=UTC))
    assert "Outreach time" in (await bot.inbox("nina")).text


async def test_a_week_later_nudge_in_the_same_tick_as_the_monthly_one_spends_the_budget(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await bot.onboard("nina")
    accept_nudges(bot, "nina")
    with bot.app.services.database.session() as session:
        # Her "remind me in a week" falls due at the very moment the monthly one fires (and
        # fires first in the batch: the older schedule).
        ScheduleRepository(session).add(
            Schedule(
                kind=AGAIN,
                owner_id=bot.member("nina").id,
                rule=once(FIRING).to_dict(),
                next_at=FIRING,
            )
        )
    schedule = keep(bot)
    fire(bot, FIRING, clock)
    with bot.app.services.database.session() as session:
        rows = session.exec(select(Delivery).where(Delivery.member_id == bot.member("nina").id))
        assert len(rows.all()) == 1  # one nudge, not two in a week
        assert session.get(NudgeState, bot.member("nina").id) is not None
        again = session.exec(select(Schedule).where(Schedule.kind == AGAIN)).one()
        assert again.status == "done" and again.last_fired_at is not None  # it did fire
    assert schedule.kind == NUDGE


@pytest.fixture
def organization_on_any_database(
    any_database_url: str, locales_dir: Path, cache_dir: Path, tmp_path: Path
) -> Iterator[Harness]:
    """The organization with organizers (olga for Brussels) on SQLite and on PostgreSQL,
    where the fan-out writes with COPY."""
    from dataclasses import replace

    from bot.app import build_application
    from tests.conftest import make_settings
    from tests.support.organizations import write_chapters_org

    settings = replace(
        make_settings(any_database_url, locales_dir, cache_dir),
        org_file=write_chapters_org(tmp_path),
    )
    application = build_application(settings, upgrade_database=True)
    yield Harness(application)
    application.close()


@pytest.mark.parametrize(
    ("lang", "asks", "invitation"),
    [
        ("en", "Brussels asks: Bring a friend to Thursday's meeting", "to forward"),
        ("fr", "Brussels demande : Bring a friend to Thursday's meeting", "à transférer"),
        ("nl", "Brussels vraagt: Bring a friend to Thursday's meeting", "om door te sturen"),
    ],
)
async def test_the_nudge_carries_the_chapter_s_current_ask_and_the_member_s_invitation(
    chapters_bot: Harness, clock: time_machine.Coordinates, lang: str, asks: str, invitation: str
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await brussels_member(bot, "nina", lang)
    await bot.onboard("lou", "en", place="London")  # in no chapter: no ask
    set_ask = await bot.say("/nudges ask Bring a friend to Thursday's meeting", member="olga")
    assert "carry your ask" in set_ask.text
    assert (
        "Current ask, since Tuesday, December 1" in (await bot.say("/nudges", member="olga")).text
    )
    accept_nudges(bot, "nina", "lou")
    keep(bot)
    fire(bot, FIRING, clock)
    clock.move_to(datetime(2026, 12, 7, 19, 0, tzinfo=UTC))
    nina = await bot.inbox("nina")
    assert asks in nina.text.replace("\u00a0", " ")
    assert invitation in nina.text and nina.choice.invitation.startswith("i-")
    lou = await bot.inbox("lou")
    assert "asks:" not in lou.text and lou.choice.invitation != nina.choice.invitation
    # Cleared, January's nudge asks nothing of Brussels.
    assert "no current ask" in (await bot.say("/nudges ask off", member="olga")).text
    fire(bot, datetime(2027, 1, 3, 10, 0, tzinfo=UTC), clock)
    clock.move_to(datetime(2027, 1, 4, 19, 0, tzinfo=UTC))
    january = await bot.inbox("nina")
    assert january.choice.invitation == nina.choice.invitation  # the same code, kept
    assert "Bring a friend" not in january.text


async def test_only_organizers_set_an_ask_and_it_has_a_length_limit(
    chapters_bot: Harness, clock: time_machine.Coordinates
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await brussels_member(bot, "nina")
    refused = await bot.say("/nudges ask Come along", member="nina")
    assert refused.text == "Only a chapter's organizers can set its ask."
    too_long = await bot.say("/nudges ask " + "x" * 301, member="olga")
    assert "at most 300 characters (this one has 301)" in too_long.text
    empty = await bot.say("/nudges ask", member="olga")
    assert (
        "What should the nudges of Brussels ask" in empty.text and "/nudges ask off" in empty.text
    )
    with bot.app.services.database.session() as session:
        assert all(c.current_ask is None for c in session.exec(select(Chapter)))


async def test_the_fan_out_on_sqlite_and_postgresql(
    organization_on_any_database: Harness, clock: time_machine.Coordinates
) -> None:
    bot = organization_on_any_database
    await meet_organizers(bot)
    await brussels_member(bot, "nina", "fr")
    await bot.onboard("jan", "nl", place="Den Haag")
    await bot.say("/talked 2", member="jan")
    await bot.say("/nudges ask Venez jeudi", member="olga")
    accept_nudges(bot, "nina", "jan")
    with bot.app.services.database.session() as session:
        # Jan's quiet hours end at 11: his 10:xx slot waits until then.
        session.add(NudgeState(member_id=bot.member("jan").id, quiet_from=20, quiet_until=11))
    keep(bot)
    fire(bot, FIRING, clock)
    written = nudges(bot)
    assert set(written) == {bot.member("nina").id, bot.member("jan").id}
    jan_due = aware(written[bot.member("jan").id].due_at).astimezone(BRUSSELS)
    assert jan_due.hour >= 11
    with bot.app.services.database.session() as session:
        budgets = {s.member_id: s for s in session.exec(select(NudgeState))}
        assert aware(budgets[bot.member("jan").id].last_nudged_at) == aware(
            written[bot.member("jan").id].due_at
        )
        assert budgets[bot.member("jan").id].quiet_until == 11  # kept
        assert bot.member("nina").id in budgets
    clock.move_to(datetime(2026, 12, 7, 19, 0, tzinfo=UTC))
    nina = await bot.inbox("nina")
    assert "Brussels demande : Venez jeudi" in nina.text.replace("\u00a0", " ")
    jan = await bot.inbox("jan")
    assert "Bedankt: deze maand heb je al met 2 mensen gepraat" in jan.text
    reply = await bot.press(nina.choice.prompt_id, "2", member="nina")
    assert "2 conversations" in reply.text
