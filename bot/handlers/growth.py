"""Growth made visible in /stats: graded activity, the last six months, and projections at
the present pace towards the milestones of the organization file. Counts only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.dates import format_date

from bot.config import Milestone
from bot.core.conversation import Conversation
from bot.i18n.formatting import zone
from bot.storage.growth import GrowthRepository
from bot.storage.models import Chapter, utcnow

HISTORY_MONTHS = 6
PACE_MONTHS = 3
# A chapter's next milestone when the organization file names none above its size.
ROUND_NUMBERS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


@dataclass(frozen=True, slots=True)
class Month:
    first: date  # the month's first day, in the reader's zone
    start: datetime  # UTC
    end: datetime  # UTC


def month_of(first: date, timezone: str | None) -> Month:
    tz = zone(timezone)
    following = add_months(first, 1)
    start = datetime(first.year, first.month, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(following.year, following.month, 1, tzinfo=tz).astimezone(UTC)
    return Month(first, start, end)


def add_months(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def recent_months(now: datetime, timezone: str | None, count: int) -> list[Month]:
    """The last `count` months, this one last."""
    local = now.astimezone(zone(timezone)).date().replace(day=1)
    return [month_of(add_months(local, -back), timezone) for back in range(count - 1, -1, -1)]


def month_name(conv: Conversation, first: date) -> str:
    return format_date(first, format="LLLL yyyy", locale=conv.language)


def pace(growth: GrowthRepository, chapter_id: int | None, months: list[Month]) -> float:
    """New members a month over the last full months."""
    full = months[-PACE_MONTHS - 1 : -1]
    return growth.joined_between(chapter_id, full[0].start, full[-1].end) / len(full)


def months_to(current: int, target: int, per_month: float) -> int | None:
    if current >= target:
        return 0
    if per_month <= 0:
        return None
    return math.ceil((target - current) / per_month)


def chapter_target(conv: Conversation, count: int) -> int:
    named = sorted(m.min_members for m in conv.services.organization.milestones if m.min_members)
    return next((n for n in [*named, *ROUND_NUMBERS] if n > count), count + 1)


def chapter_lines(conv: Conversation, chapter: Chapter, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    assert chapter.id is not None
    growth = GrowthRepository(conv.session)
    timezone = conv.member.timezone if conv.incoming.is_direct else None
    months = recent_months(now, timezone, max(HISTORY_MONTHS, PACE_MONTHS + 1))
    this, last = months[-1], months[-2]
    activity = growth.activity(chapter.id, this.start, this.end)
    fmt = conv.fmt
    lines = [
        conv.ngettext(
            "%(count)s joined last month",
            "%(count)s joined last month",
            growth.joined_between(chapter.id, last.start, last.end),
        ),
        conv._("<b>Activity this month</b>"),
        conv._("Voted in a poll: %(count)s", count=fmt.number(activity.voted)),
        conv._("Logged outreach: %(count)s", count=fmt.number(activity.outreach)),
        conv._("Invited someone who joined: %(count)s", count=fmt.number(activity.invited)),
        conv._("Nothing yet: %(count)s", count=fmt.number(activity.nothing)),
        conv._(
            "Conversations logged: %(count)s",
            count=fmt.number(growth.conversations(chapter.id, this.start, this.end)),
        ),
        conv._(
            "Recruited through invitations: %(count)s",
            count=fmt.number(growth.recruited(chapter.id, this.start, this.end)),
        ),
        conv._("<b>The last six months</b> (members, new)"),
    ]
    for month in months[-HISTORY_MONTHS:]:
        members = growth.members_before(chapter.id, min(month.end, now))
        new = growth.joined_between(chapter.id, month.start, month.end)
        lines.append(f"{month_name(conv, month.first)}: {fmt.number(members)} (+{fmt.number(new)})")
    count = growth.members_before(chapter.id, now)
    per_month = pace(growth, chapter.id, months)
    lines.append(
        projection(conv, chapter.name, count, chapter_target(conv, count), per_month, months)
    )
    return lines


def projection(
    conv: Conversation, name: str, count: int, target: int, per_month: float, months: list[Month]
) -> str:
    ahead = months_to(count, target, per_month)
    if ahead is None:
        return conv._(
            "No one joined in the last three months: there is no pace to project from yet."
        )
    return conv._(
        "At this pace (%(pace)s a month), %(name)s reaches %(target)s members around %(month)s.",
        pace=conv.fmt.number(round(per_month, 1)),
        name=name,
        target=conv.fmt.number(target),
        month=month_name(conv, add_months(months[-1].first, ahead)),
    )


def organization_lines(conv: Conversation, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    growth = GrowthRepository(conv.session)
    organization = conv.services.organization
    months = recent_months(now, conv.member.timezone, max(HISTORY_MONTHS, PACE_MONTHS + 1))
    this, last = months[-1], months[-2]
    fmt = conv.fmt
    count = growth.members_before(None, now)
    chapters = growth.chapters_with(1)
    lines = [
        conv._("<b>%(chapter)s</b>", chapter=organization.name),
        conv.ngettext("%(count)s member", "%(count)s members", count),
        conv.ngettext(
            "%(count)s chapter with members", "%(count)s chapters with members", chapters
        ),
        conv.ngettext(
            "%(count)s joined this month",
            "%(count)s joined this month",
            growth.joined_between(None, this.start, this.end),
        ),
        conv.ngettext(
            "%(count)s joined last month",
            "%(count)s joined last month",
            growth.joined_between(None, last.start, last.end),
        ),
        conv._(
            "Conversations logged: %(count)s",
            count=fmt.number(growth.conversations(None, this.start, this.end)),
        ),
        conv._(
            "Recruited through invitations: %(count)s",
            count=fmt.number(growth.recruited(None, this.start, this.end)),
        ),
        conv._("<b>The last six months</b> (members, new)"),
    ]
    for month in months[-HISTORY_MONTHS:]:
        members = growth.members_before(None, min(month.end, now))
        new = growth.joined_between(None, month.start, month.end)
        lines.append(f"{month_name(conv, month.first)}: {fmt.number(members)} (+{fmt.number(new)})")
    per_month = pace(growth, None, months)
    for milestone in organization.milestones:
        lines += milestone_lines(conv, milestone, count, per_month, months, growth)
    return lines


def milestone_lines(
    conv: Conversation,
    milestone: Milestone,
    count: int,
    per_month: float,
    months: list[Month],
    growth: GrowthRepository,
) -> list[str]:
    fmt = conv.fmt
    lines = [conv._("<b>%(milestone)s</b>", milestone=milestone.name_for(conv.language))]
    if milestone.chapters:
        lines.append(
            conv._(
                "Chapters with at least %(min)s members: %(count)s of %(target)s",
                min=fmt.number(milestone.min_members),
                count=fmt.number(growth.chapters_with(max(1, milestone.min_members))),
                target=fmt.number(milestone.chapters),
            )
        )
    if milestone.members:
        target = milestone.members
        lines.append(
            conv._(
                "Members: %(count)s of %(target)s",
                count=fmt.number(count),
                target=fmt.number(target),
            )
        )
        name = conv.services.organization.name
        lines.append(projection(conv, name, count, target, per_month, months))
        if 0 < count < target:
            doubling = math.ceil(math.log2(target / count))
            lines.append(
                conv._(
                    "If every member talked with three people a month and recruited one, we "
                    "would double each month: %(target)s members around %(month)s.",
                    target=fmt.number(target),
                    month=month_name(conv, add_months(months[-1].first, doubling)),
                )
            )
    return lines
