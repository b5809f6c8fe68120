"""Outreach nudges by command: /nudge WHEN TEXT (a chapter's organizers) reaches each member
of the chapter who accepts nudges, privately, in their language, with the nudge's buttons;
/nudges lists a chapter's nudges (cancel, pause, resume) and, in a private conversation,
shows and changes the member's own settings (on, off, quiet hours, snooze).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bot.core.access import ANYONE, ORGANIZERS, Access, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.markup import Markup
from bot.core.outgoing import Option
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.handlers.chapter_asks import current_ask_words, set_ask
from bot.handlers.nudges import FanOut, quiet_hours, write_nudge
from bot.handlers.reminders import zone_here, zone_voice
from bot.i18n.catalog import N_
from bot.i18n.formatting import zone
from bot.i18n.schedule_words import describe, next_moments, state_words
from bot.i18n.when_input import split_when
from bot.scheduling.rules import Rule, next_occurrence, occurrences, place, shortest_gap
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, Identity, Member, Membership, NudgeState, Schedule, utcnow
from bot.storage.schedules import ACTIVE, PAUSED, ScheduleRepository

router = Router("chapter_nudges")
choosing = router.include_flow(Flow("nudge"))

CHAPTER_NUDGE = "chapter-nudge"
MAX_TEXT = 500
MAX_PER_CHAPTER = 20
WEEK = timedelta(days=7)
MANAGE = ("cancel", "pause", "resume")


# -- who it reaches --------------------------------------------------------------------------


def accepting(chapter_id: int) -> Select:
    """Members of the chapter who accept nudges and whom the bot can still reach."""
    reachable = (
        select(Identity.member_id)
        .where(col(Identity.unreachable_at).is_(None))
        .where(Identity.member_id == Member.id)
        .exists()
    )
    return (
        select(Member)
        .join(Membership, Membership.member_id == Member.id)
        .where(
            Membership.chapter_id == chapter_id,
            Member.nudges == "monthly",
            col(Member.onboarded_at).is_not(None),
            reachable,
        )
    )


def reach_now(session: Session, chapter_id: int) -> int:
    counted = accepting(chapter_id).with_only_columns(func.count(col(Member.id)))
    return int(session.exec(counted).one())  # type: ignore[call-overload]


@router.on_schedule(CHAPTER_NUDGE, grace=timedelta(hours=6))
def fire(services: Services, session: Session, schedule: Schedule, at: Occurrence) -> None:
    chapter_id = schedule.payload.get("chapter_id")
    if session.get(Chapter, chapter_id) is None:
        return
    counted = FanOut()
    for member in session.exec(accepting(chapter_id)).all():
        write_nudge(
            services,
            session,
            member,
            (schedule.id or 0, at.at),
            at.now,
            counted,
            text=schedule.payload.get("text", ""),
            wait=True,
        )


# -- /nudge ----------------------------------------------------------------------------------


@router.command(
    "nudge",
    description=N_("Send an outreach nudge to your chapter's members (organizers)"),
    access=Access(direct=ORGANIZERS, group=ORGANIZERS, linked=True),
    refusal=N_("Only a chapter's organizers can send outreach nudges."),
)
async def nudge(conv: Conversation, command: CommandMessage) -> None:
    if not command.args.strip():
        conv.reply(examples(conv))
        return
    chapter = chapter_in_view(conv)
    if chapter is not None:
        create(conv, chapter, command.args)
        return
    await for_chapter(conv, "nudge", command.args)


async def for_chapter(conv: Conversation, then: str, args: str) -> None:
    """In a private conversation: the organizer's chapter, or a choice when they have several."""
    mine = MembershipRepository(conv.session).organized_by(conv.member.id)
    if not mine:
        conv.reply(
            conv._("Only a chapter's organizers can send outreach nudges.")
            if then == "nudge"
            else conv._("Only a chapter's organizers can set its ask.")
        )
        return
    if len(mine) == 1:
        CHAPTER_STEPS[then](conv, mine[0], args)
        return
    conv.finish()
    await conv.enter(
        choosing,
        "chapter",
        args=args,
        then=then,
        options=[Option(str(c.id), c.name) for c in mine],
    )


@choosing.prompt("chapter")
async def ask_chapter(conv: Conversation) -> None:
    conv.ask(conv._("For which chapter?"), conv.remembered_options())


@choosing.answer("chapter")
async def on_chapter(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    args = conv.state.data.get("args", "")
    then = conv.state.data.get("then", "nudge")
    conv.finish()
    chapter = conv.session.get(Chapter, int(event.keys[0]))
    if chapter is None or chapter not in MembershipRepository(conv.session).organized_by(
        conv.member.id
    ):
        conv.reply(conv._("That chapter no longer exists. Please choose again."))
        return
    CHAPTER_STEPS.get(then, create)(conv, chapter, args)


def examples(conv: Conversation) -> str:
    return conv._(
        "For example: /nudge tomorrow at 18:00 Bring a friend to Thursday's meeting, or "
        "/nudge every first Monday of the month at 19:00 Who will you talk to this month?"
    )


def create(conv: Conversation, chapter: Chapter, args: str) -> None:
    now = utcnow()
    zone_name = zone_here(conv)
    split = split_when(args, zone_name, now)
    problem = None
    if split.when is None:
        problem = conv._("I could not tell when to send the nudge.")
    elif split.when.evening is not None:
        problem = conv._("Please write the time in 24 hours, for example 19:00 or 07:00.")
    elif not split.text.strip():
        problem = conv._("What should the nudge say? Put the text after the time.")
    elif len(split.text) > MAX_TEXT:
        problem = conv._(
            "The text of a nudge can have at most %(limit)s characters.", limit=MAX_TEXT
        )
    elif next_occurrence(split.when.rule, zone_name, now) is None:
        problem = conv._("That time is in the past. Please choose a moment still ahead.")
    elif (gap := shortest_gap(split.when.rule, zone_name, now)) is not None and gap < WEEK:
        problem = conv._("Nudges can repeat at most once a week.")
    if problem is not None:
        conv.reply(Markup(f"{problem}\n{examples(conv)}"))
        return
    assert split.when is not None
    schedules = ScheduleRepository(conv.session)
    if len(of_chapter(conv.session, chapter.id)) >= MAX_PER_CHAPTER:
        conv.reply(
            conv._(
                "%(chapter)s already has %(limit)s nudges, the most I keep for one chapter. "
                "Cancel one with /nudges cancel ID first.",
                chapter=chapter.name,
                limit=MAX_PER_CHAPTER,
            )
        )
        return
    rule = split.when.rule
    schedule = schedules.add(
        Schedule(
            kind=CHAPTER_NUDGE,
            created_by=conv.member.id,
            rule=rule.to_dict(),
            timezone=zone_name,
            payload={"chapter_id": chapter.id, "text": split.text},
            next_at=next_occurrence(rule, zone_name, now),
        )
    )
    voice = zone_voice(conv, zone_name)
    moments = occurrences(rule, zone_name, now, 3)
    reach = reach_now(conv.session, chapter.id)
    lines = [
        conv._(
            "I'll nudge the members of %(chapter)s %(when)s: “%(text)s”",
            chapter=chapter.name,
            when=describe(voice, rule, moments[0] if moments else None),
            text=split.text,
        ),
        conv.ngettext(
            "It reaches %(count)s member now: those who accept outreach nudges, each at most "
            "once a week, never in their quiet hours.",
            "It reaches %(count)s members now: those who accept outreach nudges, each at most "
            "once a week, never in their quiet hours.",
            reach,
        ),
    ]
    if rule.repeats and moments:
        lines.append(conv._("Next: %(moments)s", moments=next_moments(voice, moments)))
    lines.append(conv._("Its number is #%(id)s (see /nudges).", id=schedule.id))
    conv.reply(Markup("\n".join(lines)))


CHAPTER_STEPS = {"nudge": create, "ask": set_ask}


def of_chapter(session: Session, chapter_id: int) -> list[Schedule]:
    rows = session.exec(
        select(Schedule)
        .where(Schedule.kind == CHAPTER_NUDGE, col(Schedule.status).in_([ACTIVE, PAUSED]))
        .order_by(col(Schedule.id))
    )
    return [s for s in rows if s.payload.get("chapter_id") == chapter_id]


# -- /nudges ---------------------------------------------------------------------------------


@router.command(
    "nudges",
    description=N_("Your outreach nudge settings; a chapter's nudges (organizers)"),
    access=Access(direct=ANYONE, group=ORGANIZERS, linked=True),
    refusal=N_("Only the organizers of %(chapter)s can manage its nudges."),
)
async def nudges(conv: Conversation, command: CommandMessage) -> None:
    words = command.args.split()
    action = words[0].lower() if words else ""
    if action in MANAGE:
        manage(conv, action, words[1] if len(words) > 1 else "")
    elif action == "ask":
        await ask(conv, command.args.strip()[len("ask") :])
    elif conv.incoming.is_direct and action in ("on", "off", "quiet", "snooze"):
        settings(conv, action, words[1] if len(words) > 1 else "")
    elif action:
        conv.reply(usage(conv))
    else:
        show(conv)


async def ask(conv: Conversation, words: str) -> None:
    chapter = chapter_in_view(conv)
    if chapter is not None:
        set_ask(conv, chapter, words)
    else:
        await for_chapter(conv, "ask", words)


def usage(conv: Conversation) -> str:
    # TRANSLATORS: on, off, quiet, snooze, cancel, pause and resume are typed as they are.
    if conv.incoming.is_direct:
        return conv._(
            "Usage: /nudges shows your settings; /nudges on, /nudges off, /nudges quiet 22-08 "
            "(your quiet hours), /nudges snooze 2027-01-31 (none until then). Organizers: "
            "/nudges cancel ID, pause ID, resume ID, and /nudges ask TEXT: what your chapter "
            "asks of its members this month."
        )
    return conv._(
        "Usage: /nudges lists this chapter's nudges; /nudges cancel ID, pause ID, resume ID; "
        "/nudges ask TEXT: what the chapter asks of its members this month."
    )


def managed_chapters(conv: Conversation) -> list[Chapter]:
    chapter = chapter_in_view(conv)
    if chapter is not None:
        return [chapter]
    return MembershipRepository(conv.session).organized_by(conv.member.id)


def show(conv: Conversation) -> None:
    blocks = []
    if conv.incoming.is_direct:
        blocks.append(my_settings(conv))
    for chapter in managed_chapters(conv):
        found = of_chapter(conv.session, chapter.id)
        if not found:
            lines = [conv._("%(chapter)s has no nudges scheduled.", chapter=chapter.name)]
        else:
            lines = [conv._("<b>Nudges of %(chapter)s</b>", chapter=chapter.name)]
            lines += [nudge_line(conv, schedule) for schedule in found]
        lines.append(current_ask_words(conv, chapter))
        blocks.append("\n".join(lines))
    blocks.append(usage(conv))
    conv.reply(Markup("\n\n".join(blocks)))


def nudge_line(conv: Conversation, schedule: Schedule) -> str:
    rule = Rule.from_dict(schedule.rule)
    voice = zone_voice(conv, schedule.timezone)
    words = describe(voice, rule, schedule.next_at or schedule.last_fired_at)
    state = state_words(voice, schedule.status, schedule.next_at)
    return conv._(
        "#%(id)s %(rule)s (%(state)s): “%(text)s”",
        id=schedule.id,
        rule=words,
        state=state,
        text=schedule.payload.get("text", ""),
    )


def manage(conv: Conversation, action: str, word: str) -> None:
    schedule = ScheduleRepository(conv.session).open_by_number(CHAPTER_NUDGE, word)
    ids = {c.id for c in managed_chapters(conv)}
    if schedule is None or schedule.payload.get("chapter_id") not in ids:
        conv.reply(
            Markup(
                conv._("I don't know a nudge #%(id)s of your chapter.", id=word.lstrip("#")[:12])
                + "\n"
                + usage(conv)
            )
        )
        return
    schedules = ScheduleRepository(conv.session)
    if action == "cancel":
        schedules.delete(schedule)
        conv.reply(conv._("Nudge #%(id)s is cancelled.", id=schedule.id))
    elif action == "pause":
        schedule.status = PAUSED
        schedules.save(schedule)
        conv.reply(
            conv._(
                "Nudge #%(id)s is paused. /nudges resume %(id)s starts it again.",
                id=schedule.id,
            )
        )
    else:
        schedule.status = ACTIVE
        schedule.next_at = next_occurrence(
            Rule.from_dict(schedule.rule), schedule.timezone, utcnow()
        )
        schedules.save(schedule)
        if schedule.next_at is None:
            conv.reply(conv._("Nudge #%(id)s has no moment ahead: it is done.", id=schedule.id))
            return
        voice = zone_voice(conv, schedule.timezone)
        conv.reply(
            conv._(
                "Nudge #%(id)s is on again: next %(when)s.",
                id=schedule.id,
                when=voice.when(schedule.next_at),
            )
        )


# -- a member's own settings -----------------------------------------------------------------


def state_of(session: Session, member_id: int) -> NudgeState:
    return session.get(NudgeState, member_id) or NudgeState(member_id=member_id)


def my_settings(conv: Conversation) -> str:
    state = conv.session.get(NudgeState, conv.member.id)
    start, end = quiet_hours(state)
    fmt = conv.fmt
    lines = [
        conv._("<b>Your outreach nudges</b>"),
        conv._("Nudges: on (once a month, and your organizers' at most once a week)")
        if conv.member.nudges == "monthly"
        else conv._("Nudges: off"),
        conv._("Quiet hours: %(start)s–%(end)s", start=fmt.clock(start, 0), end=fmt.clock(end, 0)),
    ]
    if state and state.snoozed_until and aware(state.snoozed_until) > utcnow():
        lines.append(conv._("Snoozed until %(day)s", day=fmt.day(aware(state.snoozed_until))))
    return "\n".join(lines)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def settings(conv: Conversation, action: str, value: str) -> None:
    members = MemberRepository(conv.session)
    if action in ("on", "off"):
        conv.member.nudges = "monthly" if action == "on" else "none"
        members.save(conv.member)
        conv.reply(
            conv._("Outreach nudges are on. Thank you!")
            if action == "on"
            else conv._("Outreach nudges are off. /nudges on starts them again.")
        )
        return
    state = state_of(conv.session, conv.member.id)
    if action == "quiet":
        hours = parse_hours(value)
        if hours is None:
            conv.reply(
                conv._(
                    "Please give your quiet hours as two hours from 0 to 23, for example "
                    "/nudges quiet 22-08."
                )
            )
            return
        state.quiet_from, state.quiet_until = hours
        conv.session.add(state)
        conv.reply(
            conv._(
                "Quiet hours: %(start)s–%(end)s. No nudge comes then.",
                start=conv.fmt.clock(hours[0], 0),
                end=conv.fmt.clock(hours[1], 0),
            )
        )
        return
    day = parse_day(value)
    today = utcnow().astimezone(zone(conv.member.timezone)).date()
    if day is None or not today < day <= today + timedelta(days=366):
        conv.reply(
            conv._(
                "Please give a date within a year as YYYY-MM-DD, for example "
                "/nudges snooze %(example)s.",
                example=(today + timedelta(days=30)).isoformat(),
            )
        )
        return
    tz = zone(conv.member.timezone)
    state.snoozed_until = place(datetime.combine(day, time(0)), tz).astimezone(UTC)
    conv.session.add(state)
    conv.reply(conv._("No nudges until %(day)s.", day=conv.fmt.day_of(day)))


def parse_hours(value: str) -> tuple[int, int] | None:
    start, dash, end = value.replace("–", "-").partition("-")
    if not dash or not (start.strip().isdigit() and end.strip().isdigit()):
        return None
    hours = int(start), int(end)
    if not all(0 <= h <= 23 for h in hours) or hours[0] == hours[1]:
        return None
    return hours


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
