"""The monthly report: on the first day of each month, each chapter's organizers get last
month's numbers and the trend, in their own language (one message per organizer, with a
block for each chapter they organize). One schedule (kind "report") for the whole
organization."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlmodel import Session, select

from bot.core.markup import escape
from bot.core.notify import Notifier
from bot.core.outgoing import Priority
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.growth import PACE_MONTHS, add_months, history, month_of
from bot.handlers.stories import approved_since, signature
from bot.i18n.formatting import zone
from bot.scheduling.rules import Rule, next_occurrence
from bot.storage.feeds import aware
from bot.storage.growth import GrowthRepository
from bot.storage.memberships import ORGANIZER
from bot.storage.models import Chapter, Member, Membership, Schedule, utcnow
from bot.storage.schedules import ScheduleRepository

router = Router("monthly_report")

STORIES_SHOWN = 5
REPORT = "report"
REPORT_KEY = "report:monthly"
RULE = Rule(type="cron", minute="0", hour="9", day="1")


@router.every(timedelta(hours=1), name="report.keep-monthly")
def keep_report(services: Services, session: Session, now: datetime | None = None) -> None:
    """The report's one schedule exists, at 09:00 on the first of the month in the
    organization's zone."""
    schedules = ScheduleRepository(session)
    timezone = services.organization.timezone
    schedule = schedules.by_key(REPORT_KEY)
    if schedule is not None and schedule.timezone == timezone:
        return
    schedule = schedule or Schedule(kind=REPORT, key=REPORT_KEY, rule=RULE.to_dict())
    schedule.timezone = timezone
    schedule.next_at = next_occurrence(RULE, timezone, now or utcnow())
    if schedule.id is None:
        schedules.add(schedule)
    else:
        schedules.save(schedule)


@router.on_schedule(REPORT, grace=timedelta(days=2))
def fire(services: Services, session: Session, schedule: Schedule, at: Occurrence) -> None:
    rows = session.exec(
        select(Member, Chapter)
        .join(Membership, Membership.member_id == Member.id)
        .join(Chapter, Chapter.id == Membership.chapter_id)
        .where(Membership.role == ORGANIZER)
        .order_by(Member.id, Chapter.name)
    ).all()
    chapters_of: dict[int, tuple[Member, list[Chapter]]] = {}
    for member, chapter in rows:
        chapters_of.setdefault(member.id or 0, (member, []))[1].append(chapter)
    notifier = Notifier(services, session, occurrence=(schedule.id or 0, at.at))
    # Last month as the organization's zone counts it: the report is about the same month
    # for every organizer.
    this = at.at.astimezone(zone(services.organization.timezone)).date().replace(day=1)
    for member, chapters in chapters_of.values():
        notifier.tell(
            member,
            lambda voice, chapters=chapters: report_words(
                session, voice, chapters, this, services.organization.timezone
            ),
            priority=Priority.BROADCAST,
        )


def report_words(
    session: Session, voice: Voice, chapters: list[Chapter], this: date, timezone: str
) -> str:
    growth = GrowthRepository(session)
    fmt = voice.fmt
    months = [month_of(add_months(this, -back), timezone) for back in range(PACE_MONTHS, 0, -1)]
    last, before = months[-1], months[-2]
    blocks = [voice._("📊 <b>Your monthly report</b>")]
    for chapter in chapters:
        assert chapter.id is not None
        past = history(growth, chapter.id, months, last.end)
        new = past.joined(last.start, last.end)
        activity = growth.activity(chapter.id, last.start, last.end)
        # New members (gross joins), as the line says; /stats projects from net growth.
        per_month = past.joined(months[0].start, last.end) / len(months)
        lines = [
            voice._(
                "<b>%(chapter)s in %(month)s</b>",
                chapter=chapter.name,
                month=format_date(last.first, format="LLLL yyyy", locale=voice.language),
            ),
            voice.ngettext("%(count)s member", "%(count)s members", past.members(last.end)),
            voice._(
                "New members: %(count)s (the month before: %(before)s)",
                count=fmt.number(new),
                before=fmt.number(past.joined(before.start, before.end)),
            ),
            voice._(
                "Conversations logged: %(count)s (the month before: %(before)s)",
                count=fmt.number(growth.conversations(chapter.id, last.start, last.end)),
                before=fmt.number(growth.conversations(chapter.id, before.start, before.end)),
            ),
            voice._(
                "Recruited through invitations: %(count)s",
                count=fmt.number(growth.recruited(chapter.id, last.start, last.end)),
            ),
            voice._("Voted in a poll: %(count)s", count=fmt.number(activity.voted)),
            voice._("Logged outreach: %(count)s", count=fmt.number(activity.outreach)),
            voice._("Invited someone who joined: %(count)s", count=fmt.number(activity.invited)),
            voice._("Nothing yet: %(count)s", count=fmt.number(activity.nothing)),
            voice._(
                "Trend (new members a month over the last three months): %(pace)s",
                pace=fmt.number(round(per_month, 1)),
            ),
        ]
        lines += story_lines(session, voice, chapter, last.start, last.end)
        blocks.append("\n".join(lines))
    blocks.append(voice._("Send /stats for today's numbers."))
    return "\n\n".join(blocks)


def story_lines(
    session: Session, voice: Voice, chapter: Chapter, start: datetime, end: datetime
) -> list[str]:
    """The chapter's stories published that month, a line each."""
    assert chapter.id is not None
    told = [s for s in approved_since(session, [chapter.id], start) if aware(s.decided_at) < end]
    if not told:
        return []
    lines = [voice._("Stories of the month:")]
    for story in told[:STORIES_SHOWN]:
        text = story.text if len(story.text) <= 160 else story.text[:159].rstrip() + "…"
        signed = signature(voice, session, story)
        lines.append(f"• {escape(text)} — <i>{escape(signed)}</i>")
    return lines
