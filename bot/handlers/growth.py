"""Growth made visible in /stats: graded activity, the last six months, and projections at
the present pace towards the milestones of the organization file. Counts only.

"Joined" (this month, last month, the "+new" of each month) counts everyone who joined in
the month, even if they left since; "members" in a month counts those who were members at
its end (or now), departed or not today; the pace of a projection is net growth (members at
the end of the last full months minus members at their start), so departures slow it down.
See bot/storage/growth.py."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.dates import format_date

from bot.config import Milestone
from bot.core.conversation import Conversation
from bot.i18n.formatting import zone
from bot.storage.growth import GrowthRepository, Headcount
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


@dataclass(frozen=True, slots=True)
class History:
    """Headcounts at the months' boundaries (and now), read in one go."""

    counts: dict[datetime, Headcount]
    now: datetime

    def at(self, moment: datetime) -> Headcount:
        return self.counts[min(moment, self.now)]

    def members(self, moment: datetime) -> int:
        return self.at(moment).members

    def joined(self, start: datetime, end: datetime) -> int:
        """Everyone who joined in [start, end), gone since or not."""
        return self.at(end).joined - self.at(start).joined

    def pace(self, months: list[Month]) -> float:
        """Net growth a month over the full months before the last one of `months`."""
        full = months[-PACE_MONTHS - 1 : -1]
        grown = self.members(full[-1].end) - self.members(full[0].start)
        return grown / len(full)


def history(
    growth: GrowthRepository, chapter_id: int | None, months: list[Month], now: datetime
) -> History:
    moments = sorted({now} | {min(t, now) for m in months for t in (m.start, m.end)})
    return History(dict(zip(moments, growth.headcounts(chapter_id, moments), strict=True)), now)


def months_to(current: int, target: int, per_month: float) -> int | None:
    if current >= target:
        return 0
    if per_month <= 0:
        return None
    return math.ceil((target - current) / per_month)


def chapter_target(conv: Conversation, count: int) -> int:
    named = sorted(m.min_members for m in conv.services.organization.milestones if m.min_members)
    return next((n for n in [*named, *ROUND_NUMBERS] if n > count), count + 1)


def reader_months(conv: Conversation, now: datetime) -> list[Month]:
    """The months /stats shows, in the reader's zone in private, the organization's in a group."""
    timezone = conv.member.timezone if conv.incoming.is_direct else None
    return recent_months(now, timezone, max(HISTORY_MONTHS, PACE_MONTHS + 1))


def chapter_history(conv: Conversation, chapter: Chapter, now: datetime) -> History:
    assert chapter.id is not None
    growth = GrowthRepository(conv.session)
    return history(growth, chapter.id, reader_months(conv, now), now)


def chapter_lines(
    conv: Conversation, chapter: Chapter, now: datetime | None = None, past: History | None = None
) -> list[str]:
    now = now or utcnow()
    assert chapter.id is not None
    growth = GrowthRepository(conv.session)
    months = reader_months(conv, now)
    past = past or history(growth, chapter.id, months, now)
    this, last = months[-1], months[-2]
    activity = growth.activity(chapter.id, this.start, this.end)
    fmt = conv.fmt
    lines = [
        conv.ngettext(
            "%(count)s joined last month",
            "%(count)s joined last month",
            past.joined(last.start, last.end),
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
    lines += history_lines(conv, past, months)
    count = past.members(now)
    per_month = past.pace(months)
    lines.append(
        projection(conv, chapter.name, count, chapter_target(conv, count), per_month, months)
    )
    return lines


def history_lines(conv: Conversation, past: History, months: list[Month]) -> list[str]:
    """The last six months: members at each month's end (or now), and who joined in it."""
    fmt = conv.fmt
    return [
        f"{month_name(conv, month.first)}: {fmt.number(past.members(month.end))}"
        f" (+{fmt.number(past.joined(month.start, month.end))})"
        for month in months[-HISTORY_MONTHS:]
    ]


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
    past = history(growth, None, months, now)
    count = past.members(now)
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
            past.joined(this.start, this.end),
        ),
        conv.ngettext(
            "%(count)s joined last month",
            "%(count)s joined last month",
            past.joined(last.start, last.end),
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
    lines += history_lines(conv, past, months)
    per_month = past.pace(months)
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
