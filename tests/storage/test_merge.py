"""Joining two member records, on SQLite and PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app import Application
from bot.storage.feeds import aware
from bot.storage.growth import GrowthRepository, Headcount
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.merge import merge_members
from bot.storage.models import (
    Ballot,
    Chapter,
    Departure,
    Member,
    MemberInterest,
    Membership,
    PollVoter,
)
from bot.storage.polls import PollRepository


def test_merge_keeps_one_of_each_and_the_latest_ballot(app_on_any_database: Application) -> None:
    database = app_on_any_database.services.database
    with database.session() as session:
        members = MemberRepository(session)
        keep, _, _ = members.get_or_create("telegram", "1")
        gone, _, _ = members.get_or_create("matrix", "@a:x")
        keep.display_name, gone.display_name, gone.place_name = "Ann", "Other", "Gent"
        chapters = list(session.exec(select(Chapter)))[:2]
        memberships = MembershipRepository(session)
        memberships.add(chapters[0].id, keep.id)
        memberships.add(chapters[0].id, gone.id, role="organizer")
        memberships.add(chapters[1].id, gone.id)
        members.set_interests(keep.id, ["events"])
        members.set_interests(gone.id, ["events", "writing"])
        memberships.watch(keep.id, 50.0, 4.0)
        memberships.watch(gone.id, 51.0, 3.0)
        polls = PollRepository(session)
        named = polls.create("Q?", ["a", "b"], keep.id, None, False, False, False, None)
        secret = polls.create("S?", ["a", "b"], keep.id, None, False, True, False, None)
        polls.vote(named, keep.id, [0], "telegram:g")
        polls.vote(named, gone.id, [1], "matrix:r")
        polls.vote(secret, gone.id, [1], "matrix:r")
        session.flush()
        later = session.exec(select(Ballot).where(Ballot.member_id == gone.id)).one()
        later.cast_at = later.cast_at + timedelta(minutes=1)
        session.add(later)
        keep_id, gone_id = keep.id, gone.id
    with database.session() as session:
        keep, gone = session.get(Member, keep_id), session.get(Member, gone_id)
        merge_members(session, keep, gone)
    with database.session() as session:
        assert session.get(Member, gone_id) is None
        keep = session.get(Member, keep_id)
        assert (keep.display_name, keep.place_name) == ("Ann", "Gent")
        identities = {
            (i.platform, i.user_id) for i in MemberRepository(session).identities(keep_id)
        }
        assert identities == {("telegram", "1"), ("matrix", "@a:x")}
        roles = {m.chapter_id: m.role for m in session.exec(select(Membership))}
        assert roles == {chapters[0].id: "organizer", chapters[1].id: "member"}
        interests = sorted(i.interest_key for i in session.exec(select(MemberInterest)))
        assert interests == ["events", "writing"]
        named_ballots = session.exec(select(Ballot).where(Ballot.poll_id == named.id)).all()
        assert [(b.member_id, b.choices) for b in named_ballots] == [(keep_id, [1])]
        voters = {(v.poll_id, v.member_id, v.voted) for v in session.exec(select(PollVoter))}
        assert voters == {(named.id, keep_id, True), (secret.id, keep_id, True)}
        assert PollRepository(session).vote(secret, keep_id, [0], "x") is False  # counted once


def test_merge_keeps_the_earlier_joins_and_records_no_departure(
    app_on_any_database: Application,
) -> None:
    """One person on two accounts: counted once, since the first of their joins."""
    database = app_on_any_database.services.database
    march, may = datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 5, 10, tzinfo=UTC)
    with database.session() as session:
        members = MemberRepository(session)
        keep, _, _ = members.get_or_create("telegram", "1")
        gone, _, _ = members.get_or_create("matrix", "@a:x")
        keep.onboarded_at, gone.onboarded_at = may, march
        chapter = session.exec(select(Chapter)).first()
        memberships = MembershipRepository(session)
        memberships.add(chapter.id, keep.id).joined_at = may
        memberships.add(chapter.id, gone.id).joined_at = march
        keep_id, gone_id, chapter_id = keep.id, gone.id, chapter.id
    with database.session() as session:
        merge_members(session, session.get(Member, keep_id), session.get(Member, gone_id))
    with database.session() as session:
        assert aware(session.get(Member, keep_id).onboarded_at) == march
        [membership] = session.exec(select(Membership)).all()
        assert aware(membership.joined_at) == march
        assert session.exec(select(Departure)).all() == []
        april = datetime(2026, 4, 1, tzinfo=UTC)
        growth = GrowthRepository(session)
        assert growth.headcount(chapter_id, april) == Headcount(members=1, joined=1)
        assert growth.headcount(None, april) == Headcount(members=1, joined=1)
