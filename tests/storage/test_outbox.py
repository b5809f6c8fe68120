"""The outbox on SQLite and PostgreSQL: nothing lost, nothing sent twice, pauses honoured."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.app import Application
from bot.core.events import ChatRef
from bot.core.outbox import DeliveryFailed
from bot.core.outgoing import Outgoing, Priority, Text
from bot.scheduling.outbox import OutboxDrainer
from bot.storage.models import Delivery, utcnow
from bot.storage.outbox import CLAIM_LEASE, MAX_ATTEMPTS, OutboxStore


class FlakyOutbox:
    """Accepts messages, except those it was told to refuse (as a platform would)."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.refuse: dict[str, DeliveryFailed] = {}

    async def send(self, message: Outgoing) -> None:
        failure = self.refuse.get(message.body.text)  # type: ignore[union-attr]
        if failure:
            raise failure
        self.sent.append(message)


def enqueue(app: Application, *texts: str, priority: Priority = Priority.NOTICE) -> None:
    with app.services.database.session() as session:
        store = OutboxStore(session)
        for text in texts:
            store.enqueue(Outgoing(ChatRef("test", "org"), Text(text), priority=priority))


def statuses(app: Application) -> dict[str, str]:
    with app.services.database.session() as session:
        rows = session.exec(select(Delivery)).all()
        return {row.message["body"]["text"]: row.status for row in rows}


async def test_messages_are_sent_once_in_priority_order(app_on_any_database: Application) -> None:
    app = app_on_any_database
    enqueue(app, "broadcast", priority=Priority.BROADCAST)
    enqueue(app, "first", "second")
    outbox = FlakyOutbox()
    drainer = OutboxDrainer(app.services.database, "test", outbox)
    assert await drainer.drain_once() == 3
    assert [m.body.text for m in outbox.sent] == ["first", "second", "broadcast"]
    assert await drainer.drain_once() == 0  # nothing sent twice
    assert set(statuses(app).values()) == {"sent"}


async def test_failures_are_retried_later_or_dropped_when_permanent(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    enqueue(app, "flaky", "blocked", "fine")
    outbox = FlakyOutbox()
    outbox.refuse = {
        "flaky": DeliveryFailed("network"),
        "blocked": DeliveryFailed("Forbidden: bot was blocked by the user", permanent=True),
    }
    drainer = OutboxDrainer(app.services.database, "test", outbox)
    assert await drainer.drain_once() == 1
    assert statuses(app) == {"flaky": "pending", "blocked": "failed", "fine": "sent"}
    # Not due yet: the retry waits for its backoff.
    assert await drainer.drain_once() == 0
    with app.services.database.session() as session:
        row = session.exec(select(Delivery).where(Delivery.status == "pending")).one()
        assert row.due_at > utcnow() and row.last_error == "network"
        row.due_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    outbox.refuse = {}
    assert await drainer.drain_once() == 1
    assert statuses(app)["flaky"] == "sent"


async def test_a_message_that_keeps_failing_is_given_up_after_the_limit(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    enqueue(app, "doomed")
    outbox = FlakyOutbox()
    outbox.refuse = {"doomed": DeliveryFailed("network")}
    drainer = OutboxDrainer(app.services.database, "test", outbox)
    for _ in range(MAX_ATTEMPTS):
        with app.services.database.session() as session:
            for row in session.exec(select(Delivery)):
                row.due_at = utcnow() - timedelta(seconds=1)
                session.add(row)
        await drainer.drain_once()
    assert statuses(app) == {"doomed": "failed"}


async def test_a_rate_limit_pauses_the_sender_and_keeps_the_rest(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    enqueue(app, "one", "two", "three")
    outbox = FlakyOutbox()
    outbox.refuse = {"two": DeliveryFailed("Too Many Requests", retry_after=0.05)}
    drainer = OutboxDrainer(app.services.database, "test", outbox)
    assert await drainer.drain_once() == 1
    assert statuses(app) == {"one": "sent", "two": "pending", "three": "pending"}
    with app.services.database.session() as session:
        for row in session.exec(select(Delivery).where(Delivery.status == "pending")):
            row.due_at = utcnow() - timedelta(seconds=1)
            session.add(row)
    outbox.refuse = {}
    assert await drainer.drain_once() == 2
    assert [m.body.text for m in outbox.sent] == ["one", "two", "three"]


async def test_a_claim_left_by_a_crashed_sender_is_taken_again(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    enqueue(app, "in flight")
    with app.services.database.session() as session:
        assert len(OutboxStore(session).claim("test")) == 1  # the sender dies here
    with app.services.database.session() as session:
        assert OutboxStore(session).claim("test") == []  # still leased
        row = session.exec(select(Delivery)).one()
        row.claimed_at = utcnow() - CLAIM_LEASE - timedelta(seconds=1)
        session.add(row)
    outbox = FlakyOutbox()
    assert await OutboxDrainer(app.services.database, "test", outbox).drain_once() == 1
    assert [m.body.text for m in outbox.sent] == ["in flight"]


async def test_the_platforms_new_sender_takes_over_what_a_dead_one_had_claimed(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    enqueue(app, "in flight", "claimed too")
    with app.services.database.session() as session:
        assert len(OutboxStore(session).claim("test")) == 2  # then its sender died
    outbox = FlakyOutbox()
    later = OutboxDrainer(app.services.database, "test", outbox)
    assert await later.drain_once() == 0  # an ordinary sender waits for the claim lease
    leader = OutboxDrainer(app.services.database, "test", outbox)
    await leader.start(reclaim=True)  # the new leader's: the only one for this platform
    try:
        for _ in range(200):
            if set(statuses(app).values()) == {"sent"}:
                break
            await asyncio.sleep(0.02)
    finally:
        await leader.stop()
    assert [m.body.text for m in outbox.sent] == ["in flight", "claimed too"]
    assert set(statuses(app).values()) == {"sent"}
