"""The numbers of growth: members, newcomers, graded activity, conversations, recruitments,
per chapter or for the whole organization. Counts only: nothing here names a member.

History as numbers: whoever leaves a chapter, is removed from it, or erases themself with
/forget leaves a Departure (when they joined, when they went; nobody's id), so the months they
were there keep counting them. Two figures per moment (Headcount):
- `members`: who had joined by then and had not gone yet: what the history shows;
- `joined`: everyone who had joined by then, gone since or not. "Joined this month" and the
  "+new" of each month are these gross joins (someone who came in March and left in May did
  join in March), while the projection's pace is the net growth of `members` (a chapter that
  gains five and loses five is not on its way to a milestone).
A merge of two accounts of one person is no departure: one person was counted once.

Speed: a chapter's history is one aggregated query over its memberships and one over its
departures, whatever the number of months. The organization's is too large to count row by
row at each /stats all (500,000 members), so the hourly tally (count_tally, on the clock)
keeps its joins and departures per UTC day (GrowthDay) and each chapter's size (ChapterSize);
a reading adds to those the rows since the tally, read through indexes. Without a tally yet
(a new database), everything is counted from the rows. Either way the figures are the same,
except after a merge of two accounts until the next tally (the merged-away account's day
still counts it) — a tally rather than counts kept up to date at each join and departure,
because members are written in many places (onboarding, merges, imports, cascades) and a
count that one of them forgot would stay wrong forever; the tally corrects itself each hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, or_, union_all
from sqlmodel import Session, col, select

from bot.storage.feeds import aware
from bot.storage.models import (
    ChapterSize,
    Departure,
    GrowthDay,
    GrowthTally,
    Member,
    Membership,
    OutreachEntry,
    PollRecord,
    PollVoter,
    Recruitment,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class Activity:
    """Graded activity of a chapter's members within a period: each member counts once per
    grade, and 'nothing yet' is those with none of them."""

    members: int
    voted: int
    outreach: int
    invited: int
    nothing: int


@dataclass(frozen=True, slots=True)
class Headcount:
    """At one moment: members then, and everyone who had joined by then (gone since or not).
    Joined by t: joined before t; gone by t: left at t or before (who leaves is gone at once)."""

    members: int
    joined: int


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of the moment's UTC day."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def edge(moment: datetime, cutoff: datetime) -> tuple[datetime, bool]:
    """The midnight (UTC) from which the tally's days count a moment, and whether it comes
    after the moment: the nearer of the two around it, never past the tally's own day."""
    below = min(day_start(moment), cutoff)
    above = below + timedelta(days=1)
    if above <= cutoff and above - moment < moment - below:
        return above, True
    return below, False


def _as_date(value: Any) -> date:
    # PostgreSQL returns a date, SQLite the text of one.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _sums(session: Session, conditions: Sequence[Any], *where: Any, value: Any = 1) -> list[int]:
    """SUM(CASE WHEN condition THEN value ELSE 0 END) for each condition (`value` may be one
    per condition), in one query: one pass over the rows instead of a count per condition
    (portable, unlike FILTER)."""
    values = value if isinstance(value, list) else [value] * len(conditions)
    columns = [
        func.coalesce(func.sum(case((c, v), else_=0)), 0)
        for c, v in zip(conditions, values, strict=True)
    ]
    row = session.execute(select(*columns).where(*where)).one()
    return [int(v) for v in row]


class GrowthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _count(self, query: object) -> int:
        return int(self.session.exec(query).one())  # type: ignore[call-overload]

    def _day(self, column: Any) -> Any:
        """The UTC date of a time column, in the database's words."""
        if self.session.get_bind().dialect.name == "postgresql":
            return func.date(func.timezone("UTC", column))
        return func.date(column)

    # -- members -------------------------------------------------------------------------

    def headcounts(self, chapter_id: int | None, moments: Sequence[datetime]) -> list[Headcount]:
        """A chapter's (or, for None, the organization's onboarded) members at each moment."""
        if chapter_id is not None:
            return self._chapter_headcounts(chapter_id, moments)
        tally = self.session.get(GrowthTally, 1)
        if tally is None:
            return self._organization_from_rows(moments)
        return self._organization_from_tally(day_start(aware(tally.counted_at)), moments)

    def headcount(self, chapter_id: int | None, moment: datetime) -> Headcount:
        return self.headcounts(chapter_id, [moment])[0]

    def _chapter_headcounts(self, chapter_id: int, moments: Sequence[datetime]) -> list[Headcount]:
        return self._from_rows(
            col(Membership.joined_at),
            Membership.chapter_id == chapter_id,
            Departure.chapter_id == chapter_id,
            moments,
        )

    def _organization_from_rows(self, moments: Sequence[datetime]) -> list[Headcount]:
        onboarded = col(Member.onboarded_at)
        return self._from_rows(
            onboarded, onboarded.is_not(None), col(Departure.chapter_id).is_(None), moments
        )

    def _from_rows(
        self, joined_at: Any, present: Any, departed: Any, moments: Sequence[datetime]
    ) -> list[Headcount]:
        """Today's members by when they joined, and the departures: one query each."""
        here = _sums(self.session, [joined_at < t for t in moments], present)
        gone = _sums(
            self.session,
            [col(Departure.joined_at) < t for t in moments]
            + [col(Departure.left_at) <= t for t in moments],
            departed,
        )
        n = len(moments)
        return [
            Headcount(members=here[i] + gone[i] - gone[n + i], joined=here[i] + gone[i])
            for i in range(n)
        ]

    def _organization_from_tally(
        self, cutoff: datetime, moments: Sequence[datetime]
    ) -> list[Headcount]:
        """The tally's days up to the midnight nearest each moment (the tally has no day of
        its own or after), and the rows between that midnight and the moment: an hour or so
        of them for a month's start in Europe, read through indexes."""
        edges = [edge(t, cutoff) for t in moments]
        days = [col(GrowthDay.day) < e.date() for e, _after in edges]
        tallied = _sums(
            self.session,
            days + days,
            value=[col(GrowthDay.joined)] * len(days) + [col(GrowthDay.departed)] * len(days),
        )

        def between(column: Any, gone: bool) -> list[Any]:
            """Rows from the edge to the moment (joined before it, or gone by it)."""
            if gone:  # gone by t: left at t or before
                return [
                    (column > t) & (column < e) if after else (column >= e) & (column <= t)
                    for t, (e, after) in zip(moments, edges, strict=True)
                ]
            return [
                (column >= t) & (column < e) if after else (column >= e) & (column < t)
                for t, (e, after) in zip(moments, edges, strict=True)
            ]

        came = between(col(Member.onboarded_at), gone=False)
        here = _sums(self.session, came, or_(*came))
        came_gone = between(col(Departure.joined_at), gone=False)
        went = between(col(Departure.left_at), gone=True)
        gone = _sums(
            self.session,
            came_gone + went,
            col(Departure.chapter_id).is_(None),
            or_(*came_gone, *went),
        )
        n = len(moments)
        result = []
        for i, (_edge, after) in enumerate(edges):
            sign = -1 if after else 1
            joined = tallied[i] + sign * (here[i] + gone[i])
            departed = tallied[n + i] + sign * gone[n + i]
            result.append(Headcount(members=joined - departed, joined=joined))
        return result

    def chapters_with(self, min_members: int) -> int:
        """Chapters with at least `min_members` members: the tally's sizes with the joins
        and departures since, summed in the database (5,000 chapters, one row back); or,
        without a tally, counted from every membership."""
        tally = self.session.get(GrowthTally, 1)
        if tally is None:
            sizes = (
                select(Membership.chapter_id)
                .group_by(col(Membership.chapter_id))
                .having(func.count(col(Membership.id)) >= min_members)
                .subquery()
            )
            return self._count(select(func.count()).select_from(sizes))
        since = aware(tally.counted_at)
        changes = union_all(
            select(ChapterSize.chapter_id, col(ChapterSize.members).label("n")),
            select(Membership.chapter_id, literal(1).label("n")).where(
                col(Membership.joined_at) >= since
            ),
            select(col(Departure.chapter_id), literal(-1).label("n")).where(
                col(Departure.chapter_id).is_not(None),
                col(Departure.left_at) >= since,
                col(Departure.joined_at) < since,
            ),
        ).subquery()
        sizes = (
            select(changes.c.chapter_id)
            .group_by(changes.c.chapter_id)
            .having(func.sum(changes.c.n) >= min_members)
            .subquery()
        )
        return self._count(select(func.count()).select_from(sizes))

    # -- departures ----------------------------------------------------------------------

    def leave_chapter(self, membership: Membership) -> None:
        """The membership ends (the caller deletes it); its months stay counted."""
        self.session.add(
            Departure(chapter_id=membership.chapter_id, joined_at=membership.joined_at)
        )

    def leave_organization(self, member_id: int) -> None:
        """The member is erased: every chapter they were in, and the organization if they
        were onboarded, keep them as a number."""
        for membership in self.session.exec(
            select(Membership).where(Membership.member_id == member_id)
        ):
            self.leave_chapter(membership)
        member = self.session.get(Member, member_id)
        if member is not None and member.onboarded_at is not None:
            self.session.add(Departure(chapter_id=None, joined_at=member.onboarded_at))
        self.session.flush()

    # -- the hourly tally ----------------------------------------------------------------

    def count_tally(self, now: datetime | None = None) -> None:
        """Count the organization's days before today (UTC) and each chapter's size now."""
        now = now or utcnow()
        cutoff = day_start(now)
        days: dict[date, list[int]] = {}

        def add(column: Any, index: int, *where: Any) -> None:
            day = self._day(column)
            rows = self.session.execute(
                select(day, func.count()).where(column < cutoff, *where).group_by(day)
            )
            for value, count in rows:
                days.setdefault(_as_date(value), [0, 0])[index] += int(count)

        org = col(Departure.chapter_id).is_(None)
        add(col(Member.onboarded_at), 0, col(Member.onboarded_at).is_not(None))
        add(col(Departure.joined_at), 0, org)
        add(col(Departure.left_at), 1, org)
        self.session.execute(delete(GrowthDay))
        if days:
            self.session.execute(
                insert(GrowthDay),
                [{"day": d, "joined": j, "departed": g} for d, (j, g) in sorted(days.items())],
            )
        self.session.execute(delete(ChapterSize))
        sizes = self.session.execute(
            select(Membership.chapter_id, func.count()).group_by(col(Membership.chapter_id))
        ).all()
        if sizes:
            self.session.execute(
                insert(ChapterSize), [{"chapter_id": c, "members": n} for c, n in sizes]
            )
        tally = self.session.get(GrowthTally, 1) or GrowthTally(id=1, counted_at=now)
        tally.counted_at = now
        self.session.add(tally)
        self.session.flush()

    # -- activity ------------------------------------------------------------------------

    def activity(self, chapter_id: int, start: datetime, end: datetime) -> Activity:
        """Counted in the database in one query: a 5,000-member chapter's ids never travel."""
        voted = (
            select(PollVoter.member_id)
            .join(PollRecord, col(PollRecord.id) == PollVoter.poll_id)
            .where(
                PollRecord.chapter_id == chapter_id,
                col(PollVoter.voted).is_(True),
                col(PollRecord.created_at) >= start,
                col(PollRecord.created_at) < end,
            )
        )
        outreach = select(OutreachEntry.member_id).where(
            OutreachEntry.chapter_id == chapter_id,
            col(OutreachEntry.member_id).is_not(None),
            col(OutreachEntry.logged_at) >= start,
            col(OutreachEntry.logged_at) < end,
        )
        invited = select(Recruitment.inviter_id).where(
            Recruitment.chapter_id == chapter_id,
            col(Recruitment.inviter_id).is_not(None),
            col(Recruitment.joined_at) >= start,
            col(Recruitment.joined_at) < end,
        )
        # What counts for the chapter (the entries name it), by its members of today.
        member = col(Membership.member_id)
        grades = [member.in_(voted), member.in_(outreach), member.in_(invited)]
        members, *counts = _sums(
            self.session,
            [literal(True), *grades, ~or_(*grades)],
            Membership.chapter_id == chapter_id,
        )
        return Activity(members, *counts)

    def conversations(self, chapter_id: int | None, start: datetime, end: datetime) -> int:
        query = select(func.coalesce(func.sum(OutreachEntry.people), 0)).where(
            col(OutreachEntry.logged_at) >= start, col(OutreachEntry.logged_at) < end
        )
        if chapter_id is not None:
            query = query.where(OutreachEntry.chapter_id == chapter_id)
        return self._count(query)

    def recruited(self, chapter_id: int | None, start: datetime, end: datetime) -> int:
        query = select(func.count(col(Recruitment.id))).where(
            col(Recruitment.joined_at) >= start, col(Recruitment.joined_at) < end
        )
        if chapter_id is not None:
            query = query.where(Recruitment.chapter_id == chapter_id)
        return self._count(query)
