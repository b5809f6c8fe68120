"""The clock: one APScheduler job fires what the schedules table says is due, on SQLite and
PostgreSQL; the routers' periodic work is schedules too; a failing schedule harms no other."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.app import Application
from bot.core.events import ChatRef
from bot.core.outgoing import Outgoing, Text
from bot.core.router import Occurrence, Periodic, ScheduledKind
from bot.scheduling.clock import Clock, periodic_key
from bot.scheduling.rules import Rule, once
from bot.storage.models import Delivery, Schedule, utcnow
from bot.storage.outbox import OutboxStore
from bot.storage.schedules import ScheduleRepository


def post(services, session, schedule: Schedule, at: Occurrence) -> None:  # type: ignore[no-untyped-def]
    """A kind that says its payload in the schedule's chat."""
    message = Outgoing(ChatRef("test", schedule.chat_id or ""), Text(schedule.payload["text"]))
    OutboxStore(session).enqueue(message, None, (schedule.id, at.at))


def explode(services, session, schedule: Schedule, at: Occurrence) -> None:  # type: ignore[no-untyped-def]
    raise RuntimeError("boom")


KINDS = {
    "post": ScheduledKind("post", post, grace=timedelta(hours=1)),
    "explode": ScheduledKind("explode", explode, grace=timedelta(hours=1)),
}


def add(app: Application, kind: str, at: datetime, text: str = "hello") -> int:
    with app.services.database.session() as session:
        schedule = ScheduleRepository(session).add(
            Schedule(
                kind=kind,
                platform="test",
                chat_id="room",
                rule=once(at.replace(tzinfo=None)).to_dict(),
                timezone="UTC",
                payload={"text": text},
                next_at=at,
            )
        )
        assert schedule.id is not None
        return schedule.id


def deliveries(app: Application) -> list[Delivery]:
    with app.services.database.session() as session:
        return list(session.exec(select(Delivery)))


def test_a_firing_writes_its_deliveries_and_advances_in_one_transaction(
    app_on_any_database: Application, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_on_any_database
    now = datetime(2027, 1, 4, 18, 0, tzinfo=UTC)
    add(app, "explode", now)
    good = add(app, "post", now)
    clock = Clock(app.services, KINDS, {})
    with caplog.at_level(logging.ERROR):
        assert clock.fire_due(now + timedelta(seconds=1)) == 2
    # The failing schedule wrote nothing and took nothing of the other with it.
    assert [(d.schedule_id, d.message["body"]["text"]) for d in deliveries(app)] == [
        (good, "hello")
    ]
    assert any("failed to fire" in r.getMessage() for r in caplog.records)
    # Both advanced: nothing is due any more, nothing fires twice.
    assert clock.fire_due(now + timedelta(seconds=2)) == 0
    with app.services.database.session() as session:
        statuses = {s.kind: (s.status, s.due_at) for s in session.exec(select(Schedule))}
    assert statuses == {"explode": ("done", None), "post": ("done", None)}


def test_an_occurrence_reaches_a_chat_once_whoever_writes_it(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    now = datetime(2027, 1, 4, 18, 0, tzinfo=UTC)
    schedule_id = add(app, "post", now)
    message = Outgoing(ChatRef("test", "room"), Text("hello"))
    with app.services.database.session() as session:
        OutboxStore(session).enqueue(message, None, (schedule_id, now))
    with pytest.raises(IntegrityError), app.services.database.session() as session:
        again = Outgoing(ChatRef("test", "room"), Text("hello"))
        OutboxStore(session).enqueue(again, None, (schedule_id, now))
        session.flush()
    assert len(deliveries(app)) == 1


def test_the_periodic_work_is_kept_as_schedules_and_runs_at_the_first_tick(
    app_on_any_database: Application, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_on_any_database
    ran: list[str] = []

    def works(services, session) -> None:  # type: ignore[no-untyped-def]
        ran.append("works")

    def fails(services, session) -> None:  # type: ignore[no-untyped-def]
        ran.append("fails")
        raise RuntimeError("boom")

    jobs = {
        "a": Periodic("a", timedelta(minutes=5), fails),
        "b": Periodic("b", timedelta(minutes=5), works),
    }
    clock = Clock(app.services, {}, jobs)
    start = utcnow()
    clock.keep_periodic_schedules(start)
    clock.keep_periodic_schedules(start)  # a restart changes nothing
    with caplog.at_level(logging.ERROR):
        assert clock.fire_due(start + timedelta(seconds=1)) == 2
    # The failure undid the batch, which ran again one job at a time: "works" ran once.
    assert sorted(ran) == ["fails", "fails", "works"]
    # Five minutes later, not before; after a long downtime, once (coalesced).
    assert clock.fire_due(start + timedelta(minutes=4)) == 0
    assert clock.fire_due(start + timedelta(hours=5)) == 2
    assert sorted(ran) == ["fails"] * 4 + ["works"] * 2
    with app.services.database.session() as session:
        keys = sorted(s.key or "" for s in session.exec(select(Schedule)))
    assert keys == [periodic_key("a"), periodic_key("b")]


def test_the_routers_work_is_on_the_same_clock(app: Application) -> None:
    clock = Clock.for_router(app.services, app.dispatcher.router)
    clock.keep_periodic_schedules()
    with app.services.database.session() as session:
        keys = {s.key for s in session.exec(select(Schedule))}
    assert "periodic:join-requests.remind" in keys
    assert {"reminder", "poll.deadline"} <= set(clock.kinds)


async def test_the_running_clock_fires_within_seconds_of_the_time(app: Application) -> None:
    """With the real clock: a one-off due two seconds from now is in the outbox soon after."""
    clock = Clock(app.services, KINDS, {})
    due = (utcnow() + timedelta(seconds=2)).replace(microsecond=0)
    add(app, "post", due)
    clock.start()
    try:
        job = clock.scheduler.get_job("schedules.tick")
        assert job is not None and job.coalesce is True and job.max_instances == 1
        for _ in range(100):
            if deliveries(app):
                break
            await asyncio.sleep(0.1)
    finally:
        clock.stop()
    (delivery,) = deliveries(app)
    created = delivery.created_at.replace(tzinfo=UTC)
    assert timedelta(0) <= created - due < timedelta(seconds=5)


def test_a_rule_with_no_future_occurrence_ends(app: Application) -> None:
    rule = Rule("cron", minute="0", hour="9", until="2027-01-05")
    with app.services.database.session() as session:
        ScheduleRepository(session).add(
            Schedule(
                kind="post",
                platform="test",
                chat_id="room",
                rule=rule.to_dict(),
                timezone="Europe/Brussels",
                payload={"text": "last"},
                next_at=datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
            )
        )
    clock = Clock(app.services, KINDS, {})
    assert clock.fire_due(datetime(2027, 1, 5, 8, 0, 1, tzinfo=UTC)) == 1
    with app.services.database.session() as session:
        (schedule,) = session.exec(select(Schedule)).all()
    assert (schedule.status, schedule.next_at, schedule.due_at) == ("done", None, None)
