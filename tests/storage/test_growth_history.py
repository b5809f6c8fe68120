"""The history of growth keeps those who left: departures are numbers, on SQLite and on
PostgreSQL, whether the figures come from the rows or from the hourly tally plus the rows
since. Every figure below is computed by hand from the events of one spring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import Session, select

from bot.app import Application
from bot.storage.growth import Activity, GrowthRepository, Headcount
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, Departure, GrowthDay, Member, OutreachEntry

MONTHS = [datetime(2026, month, 1, tzinfo=UTC) for month in (3, 4, 5, 6, 7)]
# Late in a day: the tally reads them from the next midnight, minus the rows in between.
LATE = [datetime(2026, 5, 15, 15, tzinfo=UTC), datetime(2026, 6, 3, 20, tzinfo=UTC)]
NOW = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)


def at(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def spring(app: Application, tally_at: datetime | None) -> dict[str, int]:
    """Ann joins Antwerp on 10 March, Ben on 20 March, Cleo on 2 April; Ben leaves on 5 May
    for Bruges (6 May); Dirk joins Antwerp on 15 May at 18:00; Ann and Cleo log outreach on
    2 June; Cleo /forget-s on 3 June at 21:00. Each joins
    the organization (onboarding) when joining a chapter. The tally counts at `tally_at`."""
    chapters: dict[str, int] = {}
    members: dict[str, int] = {}
    tallied: list[datetime] = []

    def step(when: datetime, action: Callable[[Session], None]) -> None:
        if tally_at is not None and tally_at <= when and not tallied:
            tallied.append(tally_at)
            with time_machine.travel(tally_at, tick=False), app.services.database.session() as s:
                GrowthRepository(s).count_tally()
        with time_machine.travel(when, tick=False), app.services.database.session() as session:
            action(session)

    def found(session: Session) -> None:
        for name in ("Antwerp", "Bruges"):
            chapter = Chapter(
                slug=name.lower(),
                name=name,
                city=name,
                country_code="BE",
                latitude=51.0,
                longitude=4.0,
            )
            session.add(chapter)
            session.flush()
            assert chapter.id is not None
            chapters[name] = chapter.id

    def join(name: str, chapter: str) -> Callable[[Session], None]:
        def act(session: Session) -> None:
            if name not in members:
                member, _identity, _new = MemberRepository(session).get_or_create("test", name)
                member.onboarded_at = datetime.now(UTC)
                session.add(member)
                session.flush()
                assert member.id is not None
                members[name] = member.id
            MembershipRepository(session).add(chapters[chapter], members[name])

        return act

    def leave(session: Session) -> None:
        MembershipRepository(session).remove(chapters["Antwerp"], members["ben"])

    def talk(session: Session) -> None:
        for name in ("ann", "cleo"):
            session.add(
                OutreachEntry(member_id=members[name], chapter_id=chapters["Antwerp"], people=2)
            )

    def forget(session: Session) -> None:
        MemberRepository(session).erase(members["cleo"])

    step(at(1, 3), found)
    step(at(10, 3), join("ann", "Antwerp"))
    step(at(20, 3), join("ben", "Antwerp"))
    step(at(2, 4), join("cleo", "Antwerp"))
    step(at(5, 5), leave)
    step(at(6, 5), join("ben", "Bruges"))
    step(at(15, 5, 18), join("dirk", "Antwerp"))
    step(at(2, 6), talk)
    step(at(3, 6, 21), forget)
    step(NOW, lambda session: None)
    return chapters


TALLIES = [None, at(1, 3, 0), at(15, 4), at(20, 5, 12), at(3, 6, 18), at(4, 6, 1), at(5, 7)]


@pytest.mark.parametrize("tally_at", TALLIES, ids=lambda t: "rows" if t is None else t.isoformat())
def test_who_left_still_counts_for_the_months_they_were_there(
    app_on_any_database: Application, tally_at: datetime | None
) -> None:
    app = app_on_any_database
    chapters = spring(app, tally_at)
    with time_machine.travel(NOW, tick=False), app.services.database.session() as session:
        growth = GrowthRepository(session)
        antwerp = growth.headcounts(chapters["Antwerp"], [*MONTHS, NOW, *LATE])
        organization = growth.headcounts(None, [*MONTHS, NOW, *LATE])
        sizes = [growth.chapters_with(n) for n in (1, 2, 3)]
        june = growth.activity(chapters["Antwerp"], MONTHS[3], MONTHS[4])
        departures = session.exec(select(Departure)).all()
        days = {d.day: (d.joined, d.departed) for d in session.exec(select(GrowthDay))}
    # Antwerp on 1 March … 1 July, and now: Ben (March–May) still counts in April and May,
    # Cleo (April–June) in May and June; joins are everyone who came, gone since or not.
    assert antwerp == [
        Headcount(members=0, joined=0),
        Headcount(members=2, joined=2),  # Ann, Ben
        Headcount(members=3, joined=3),  # + Cleo
        Headcount(members=3, joined=4),  # + Dirk, − Ben
        Headcount(members=2, joined=4),  # − Cleo
        Headcount(members=2, joined=4),
        Headcount(members=2, joined=3),  # 15 May, 15:00: before Dirk, after Ben
        Headcount(members=3, joined=4),  # 3 June, 20:00: Cleo still there
    ]
    # The organization: Ben never left it; Cleo's /forget leaves her months counted.
    assert organization == [
        Headcount(members=0, joined=0),
        Headcount(members=2, joined=2),
        Headcount(members=3, joined=3),
        Headcount(members=4, joined=4),
        Headcount(members=3, joined=4),
        Headcount(members=3, joined=4),
        Headcount(members=3, joined=3),
        Headcount(members=4, joined=4),
    ]
    # The tally's days (joins into the organization, departures from it) before its day.
    every_day = {date(2026, 3, 10): (1, 0), date(2026, 3, 20): (1, 0), date(2026, 4, 2): (1, 0)}
    every_day |= {date(2026, 5, 15): (1, 0), date(2026, 6, 3): (0, 1)}
    cutoff = tally_at.date() if tally_at else date(2026, 3, 1)
    assert days == {d: n for d, n in every_day.items() if d < cutoff}
    # Of Antwerp's Ann and Dirk, Ann logged outreach in June; Cleo's entry stays, unnamed.
    assert june == Activity(members=2, voted=0, outreach=1, invited=0, nothing=1)
    # Antwerp has Ann and Dirk, Bruges has Ben.
    assert sizes == [2, 1, 0]
    # Ben's leaving and Cleo's /forget (Antwerp and the organization), naming nobody.
    assert sorted(
        (d.chapter_id or 0, d.joined_at.day, d.left_at.day) for d in departures
    ) == sorted([(0, 2, 3), (chapters["Antwerp"], 20, 5), (chapters["Antwerp"], 2, 3)])


def test_a_member_not_onboarded_leaves_no_departure_from_the_organization(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    with app.services.database.session() as session:
        member, _identity, _new = MemberRepository(session).get_or_create("test", "half")
        assert member.id is not None
        MemberRepository(session).erase(member.id)
    with app.services.database.session() as session:
        assert session.exec(select(Departure)).all() == []
        assert session.exec(select(Member)).all() == []
        assert GrowthRepository(session).headcount(None, NOW) == Headcount(0, 0)
