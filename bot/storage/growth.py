"""The numbers of growth: members, newcomers, graded activity, conversations, recruitments,
per chapter or for the whole organization. Counts only: nothing here names a member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.models import (
    Member,
    Membership,
    OutreachEntry,
    PollRecord,
    PollVoter,
    Recruitment,
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


class GrowthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _count(self, query: object) -> int:
        return int(self.session.exec(query).one())  # type: ignore[call-overload]

    # -- members -------------------------------------------------------------------------

    def members_before(self, chapter_id: int | None, moment: datetime) -> int:
        """Members who had joined before `moment` (of a chapter, or onboarded ones of the
        organization). Those who left since are not counted: the history is today's members'."""
        if chapter_id is None:
            return self._count(
                select(func.count(col(Member.id))).where(
                    col(Member.onboarded_at).is_not(None), col(Member.onboarded_at) < moment
                )
            )
        return self._count(
            select(func.count(col(Membership.id))).where(
                Membership.chapter_id == chapter_id, col(Membership.joined_at) < moment
            )
        )

    def joined_between(self, chapter_id: int | None, start: datetime, end: datetime) -> int:
        return self.members_before(chapter_id, end) - self.members_before(chapter_id, start)

    # -- activity ------------------------------------------------------------------------

    def activity(self, chapter_id: int, start: datetime, end: datetime) -> Activity:
        members = set(
            self.session.exec(
                select(Membership.member_id).where(Membership.chapter_id == chapter_id)
            )
        )
        voted = set(
            self.session.exec(
                select(PollVoter.member_id)
                .join(PollRecord, col(PollRecord.id) == PollVoter.poll_id)
                .where(
                    PollRecord.chapter_id == chapter_id,
                    col(PollVoter.voted).is_(True),
                    col(PollRecord.created_at) >= start,
                    col(PollRecord.created_at) < end,
                )
            )
        )
        outreach = set(
            self.session.exec(
                select(OutreachEntry.member_id).where(
                    OutreachEntry.chapter_id == chapter_id,
                    col(OutreachEntry.logged_at) >= start,
                    col(OutreachEntry.logged_at) < end,
                )
            )
        )
        invited = set(
            self.session.exec(
                select(Recruitment.inviter_id).where(
                    Recruitment.chapter_id == chapter_id,
                    col(Recruitment.joined_at) >= start,
                    col(Recruitment.joined_at) < end,
                )
            )
        )
        # What counts for the chapter (the entries name it), by its members of today.
        voted, outreach, invited = voted & members, outreach & members, invited & members
        return Activity(
            members=len(members),
            voted=len(voted),
            outreach=len(outreach),
            invited=len(invited),
            nothing=len(members - voted - outreach - invited),
        )

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

    def chapters_with(self, min_members: int) -> int:
        sizes = (
            select(Membership.chapter_id)
            .group_by(col(Membership.chapter_id))
            .having(func.count(col(Membership.id)) >= min_members)
            .subquery()
        )
        return self._count(select(func.count()).select_from(sizes))
