"""The monthly outreach nudge: one schedule (kind "nudge") on the organization's nudge day,
whose firing writes one message per member who accepted nudges, each due at a moment of
10:00–19:00 in the member's zone (stable per member, so not everyone at once), at most one
per 7 days (read and written here, where the deliveries are written). Its buttons log
conversations, ask again in a week, or stop the nudges.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from bot.core.conversation import Conversation
from bot.core.notify import Notifier
from bot.core.outgoing import Choice, Option, Outgoing, Priority
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.chapter_asks import ask_line
from bot.handlers.nudge_fanout import fan_out
from bot.handlers.outreach import INVITE_PREFIX, home_chapter, log_people
from bot.i18n.formatting import zone
from bot.scheduling.rules import Rule, next_occurrence, once, place
from bot.storage.actions import ActionRepository
from bot.storage.members import MemberRepository
from bot.storage.models import Chapter, Member, NudgeState, PendingAction, Schedule, utcnow
from bot.storage.outbox import OutboxStore
from bot.storage.outreach import OutreachRepository
from bot.storage.schedules import ScheduleRepository

log = logging.getLogger(__name__)
router = Router("nudges")

NUDGE = "nudge"  # the monthly one: one schedule for everyone
AGAIN = "nudge-again"  # "remind me in a week": one member's, once
MONTHLY_KEY = "nudge:monthly"
ANSWER = "nudge.answer"
# The firing happens when the nudge day begins in the earliest zone, so every member's
# 10:00–19:00 of that day is still ahead.
EARLIEST_ZONE = "Pacific/Kiritimati"
WINDOW_START = time(10, 0)
WINDOW_MINUTES = 9 * 60
BUDGET = timedelta(days=7)
# Quiet hours in the member's zone, unless they chose theirs: a nudge due then waits.
QUIET_FROM, QUIET_UNTIL = 21, 9


def monthly_rule(services: Services) -> Rule:
    day, weekday = services.organization.nudge_day
    return Rule(type="cron", minute="0", hour="0", day=day, day_of_week=weekday)


@router.every(timedelta(hours=1), name="nudges.keep-monthly")
def keep_monthly(services: Services, session: Session, now: datetime | None = None) -> None:
    """The monthly nudge's one schedule exists and follows the organization file."""
    now = now or utcnow()
    schedules = ScheduleRepository(session)
    rule = monthly_rule(services)
    schedule = schedules.by_key(MONTHLY_KEY)
    if schedule is not None and schedule.rule == rule.to_dict():
        return
    if schedule is None:
        schedule = Schedule(kind=NUDGE, key=MONTHLY_KEY, timezone=EARLIEST_ZONE)
    schedule.rule = rule.to_dict()
    schedule.next_at = next_occurrence(rule, EARLIEST_ZONE, now)
    if schedule.id is None:
        schedules.add(schedule)
    else:
        schedules.save(schedule)


def slot(member_id: int) -> timedelta:
    """The member's moment within 10:00–19:00: stable, and spread evenly over members."""
    digest = hashlib.sha256(f"nudge-slot:{member_id}".encode()).digest()
    return timedelta(minutes=int.from_bytes(digest[:4], "big") % WINDOW_MINUTES)


def due_for(minutes: timedelta, timezone: str, nudge_day: datetime) -> datetime:
    """The moment `minutes` into the nudge day's 10:00–19:00 in `timezone`."""
    local = datetime.combine(nudge_day.date(), WINDOW_START) + minutes
    return place(local, zone(timezone)).astimezone(UTC)


def quiet_hours(state: NudgeState | None) -> tuple[int, int]:
    return chosen_quiet(state.quiet_from, state.quiet_until) if state else (QUIET_FROM, QUIET_UNTIL)


def chosen_quiet(quiet_from: int | None, quiet_until: int | None) -> tuple[int, int]:
    if quiet_from is not None and quiet_until is not None:
        return quiet_from, quiet_until
    return QUIET_FROM, QUIET_UNTIL


def is_quiet(hour: int, quiet: tuple[int, int]) -> bool:
    start, end = quiet
    return start <= hour < end if start < end else hour >= start or hour < end


def after_quiet_hours(due: datetime, timezone: str, quiet: tuple[int, int]) -> datetime:
    """`due`, or the end of the quiet hours it falls in."""
    tz = zone(timezone)
    local = due.astimezone(tz).replace(tzinfo=None)
    if quiet[0] == quiet[1] or not is_quiet(local.hour, quiet):
        return due
    end = datetime.combine(local.date(), time(quiet[1]))
    if end <= local:
        end += timedelta(days=1)
    return place(end, tz).astimezone(UTC)


@dataclass
class FanOut:
    written: int = 0
    unreachable: int = 0
    over_budget: int = 0
    snoozed: int = 0


@router.on_schedule(NUDGE, grace=timedelta(hours=12))
def fire_monthly(services: Services, session: Session, schedule: Schedule, at: Occurrence) -> None:
    nudge_day = at.at.astimezone(zone(EARLIEST_ZONE))
    counted = FanOut()
    # One member at a time would be a few queries each: the organization is read at once.
    fan_out(services, session, (schedule.id or 0, at.at), nudge_day, at.now, counted)
    log.info(
        "monthly nudge: %s written, %s unreachable, %s over the 7-day budget",
        counted.written,
        counted.unreachable,
        counted.over_budget,
    )


def as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def write_nudge(
    services: Services,
    session: Session,
    member: Member,
    occurrence: tuple[int, datetime],
    due: datetime,
    counted: FanOut,
    text: str | None = None,
    wait: bool = False,
) -> bool:
    """One member's nudge, due at `due` (or after their quiet hours). The 7-day budget: a
    nudge that would come too soon is dropped, or with `wait` comes when it allows.
    `text`: the organizers' words, instead of the monthly ask."""
    assert member.id is not None
    state = session.get(NudgeState, member.id)
    timezone = member.timezone or services.organization.timezone
    due = after_quiet_hours(due, timezone, quiet_hours(state))
    if state and state.snoozed_until and due < as_aware(state.snoozed_until):
        counted.snoozed += 1
        return False
    if state and state.last_nudged_at and due - as_aware(state.last_nudged_at) < BUDGET:
        # One nudge at most waits for the budget: a later one is dropped, not queued.
        if not wait or as_aware(state.last_nudged_at) > utcnow():
            counted.over_budget += 1
            return False
        # An organizers' nudge waits for the member's budget rather than being lost.
        allowed = as_aware(state.last_nudged_at) + BUDGET
        due = after_quiet_hours(allowed, timezone, quiet_hours(state))
    notifier = Notifier(services, session, occurrence=occurrence)
    reached = notifier.reach(member)
    if reached is None:
        counted.unreachable += 1
        return False
    voice = notifier.voice_for(member)
    chapter = home_chapter(session, member.id)
    words = with_invitation(
        voice,
        organizers_words(session, voice, text, occurrence[0])
        if text is not None
        else nudge_words(voice, chapter, people_this_month(session, member, chapter, due)),
    )
    options = answer_options(voice)
    action = ActionRepository(session).create(
        member.id, reached[0].key, ANSWER, {}, [(o.key, o.label) for o in options]
    )
    invitation = INVITE_PREFIX + OutreachRepository(session).code_of(member.id)
    message = Outgoing(
        chat=reached[0],
        body=Choice(prompt_id=action.id, text=words, options=tuple(options), invitation=invitation),
        priority=Priority.BROADCAST,
        language=voice.language,
        notify=True,
    )
    OutboxStore(session).enqueue(message, member.id, occurrence, due_at=due)
    state = state or NudgeState(member_id=member.id)
    state.last_nudged_at = due
    session.add(state)
    counted.written += 1
    return True


@dataclass(frozen=True, slots=True)
class Logged:
    """Conversations logged this month (in the member's zone): theirs and their chapter's."""

    mine: int
    chapter: int


def people_this_month(
    session: Session, member: Member, chapter: Chapter | None, due: datetime
) -> Logged:
    assert member.id is not None
    since = due.astimezone(zone(member.timezone)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    repo = OutreachRepository(session)
    mine = repo.people_of_member(member.id, since.astimezone(UTC))
    if not mine or chapter is None:
        return Logged(mine, 0)
    return Logged(mine, repo.people_of_chapter(chapter.id, since.astimezone(UTC)))


def nudge_words(voice: Voice, chapter: Chapter | None, logged: Logged) -> str:
    """The ask, or a thank-you with the chapter's number for a member who already logged
    outreach this month; then the chapter's current ask."""
    if not logged.mine:
        lines = [
            voice._(
                "🌱 Outreach time: who could you talk with about us this month? Two or three "
                "people are enough. Tell me here when you have."
            )
        ]
    else:
        lines = [
            voice.ngettext(
                "🌱 Thank you: this month you already talked with %(count)s person.",
                "🌱 Thank you: this month you already talked with %(count)s people.",
                logged.mine,
            )
        ]
        if chapter is not None:
            lines.append(
                voice.ngettext(
                    "%(chapter)s this month: %(count)s conversation logged.",
                    "%(chapter)s this month: %(count)s conversations logged.",
                    logged.chapter,
                    chapter=chapter.name,
                )
            )
        lines.append(voice._("Talked with more people since? Tell me here."))
    ask = ask_line(voice, chapter)
    if ask is not None:
        lines.append(ask)
    return "\n".join(lines)


def with_invitation(voice: Voice, words: str) -> str:
    """The invitation's link (or the words to send) follows: the adapter puts it there."""
    lead = voice._("Your personal invitation, to forward to someone you talked with:")
    return f"{words}\n{lead}"


def organizers_words(session: Session, voice: Voice, text: str, schedule_id: int) -> str:
    schedule = session.get(Schedule, schedule_id)
    chapter = session.get(Chapter, schedule.payload.get("chapter_id")) if schedule else None
    return voice._(
        "📣 From the organizers of %(chapter)s: %(text)s",
        chapter=chapter.name if chapter else "?",
        text=text,
    )


def answer_options(voice: Voice) -> list[Option]:
    return [
        Option("1", voice._("I talked with 1 person")),
        Option("2", voice._("With 2 people")),
        Option("3", voice._("With 3 or more")),
        Option("week", voice._("Remind me in a week")),
        Option("stop", voice._("Stop these nudges")),
    ]


@router.action(ANSWER)
async def answered(conv: Conversation, _action: PendingAction, answer: str) -> None:
    if answer in ("1", "2", "3"):
        log_people(conv, int(answer), None)
    elif answer == "week":
        later = utcnow() + BUDGET
        ScheduleRepository(conv.session).add(
            Schedule(
                kind=AGAIN,
                owner_id=conv.member.id,
                created_by=conv.member.id,
                rule=once(later).to_dict(),
                timezone="UTC",
                next_at=later,
            )
        )
        conv.reply(conv._("All right, I'll ask again %(when)s.", when=conv.when(later)))
    elif answer == "stop":
        conv.member.nudges = "none"
        MemberRepository(conv.session).save(conv.member)
        conv.reply(conv._("Done: no more outreach nudges. To have them again, send /profile."))


@router.on_schedule(AGAIN, grace=timedelta(days=2))
def fire_again(services: Services, session: Session, schedule: Schedule, at: Occurrence) -> None:
    member = session.get(Member, schedule.owner_id) if schedule.owner_id else None
    if member is None or member.nudges != "monthly":
        return  # stopped since: nothing to ask
    write_nudge(services, session, member, (schedule.id or 0, at.at), at.now, FanOut())
