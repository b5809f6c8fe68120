"""The outbox: messages to chats other than the one being answered wait in the database
until the platform's sender delivers them.

A message is inserted in the same transaction as the change that caused it, so it is never
lost; it is marked sent only after the platform accepted it, so a crash repeats at most the
messages in flight. Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so several
processes may drain one platform without sending a message twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from bot.core.outbox import DeliveryFailed, Outbox
from bot.core.outgoing import Outgoing, from_record, to_record
from bot.storage.database import Database
from bot.storage.models import Delivery, utcnow

log = logging.getLogger(__name__)

# Set on a session that stored messages (see Services.outbox_filled).
FILLED = "outbox_filled"
# A claimed row whose sender died is claimed again after this long.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8… capped at 10 minutes."""
    return float(min(600, 2**attempts))


class OutboxStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, message: Outgoing, member_id: int | None = None) -> None:
        self.session.info[FILLED] = True  # the turn's owner wakes the senders after commit
        self.session.add(
            Delivery(
                message_id=message.id,
                platform=message.chat.platform,
                chat_id=message.chat.chat_id,
                member_id=member_id,
                message=to_record(message),
                priority=int(message.priority),
            )
        )

    def claim(
        self, platform: str, limit: int = 50, chat_id: str | None = None
    ) -> list[tuple[int, Outgoing]]:
        now = utcnow()
        due = or_(
            and_(Delivery.status == "pending", Delivery.due_at <= now),
            and_(Delivery.status == "sending", Delivery.claimed_at < now - CLAIM_LEASE),
        )
        query = select(Delivery).where(Delivery.platform == platform, due)
        if chat_id is not None:
            query = query.where(Delivery.chat_id == chat_id)
        query = (
            query.order_by(Delivery.priority, Delivery.id)  # replies before broadcasts
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = []
        for row in self.session.exec(query):
            row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
            self.session.add(row)
            claimed.append((row.id, from_record(row.message)))
        return claimed

    def mark_sent(self, delivery_id: int) -> None:
        self._set(delivery_id, status="sent", sent_at=utcnow(), last_error=None)

    def retry(self, delivery_id: int, after: float, error: str) -> None:
        due = utcnow() + timedelta(seconds=after)
        self._set(
            delivery_id, status="pending", due_at=due, claimed_at=None, last_error=error[:500]
        )

    def fail(self, delivery_id: int, error: str) -> None:
        self._set(delivery_id, status="failed", last_error=error[:500])

    def release(self, delivery_ids: list[int], due_at: datetime) -> None:
        """Put claimed rows back untouched (the sender must pause first)."""
        if delivery_ids:
            self.session.exec(
                update(Delivery)
                .where(Delivery.id.in_(delivery_ids))  # type: ignore[union-attr]
                .values(status="pending", due_at=due_at, claimed_at=None)
            )

    def _set(self, delivery_id: int, **values: object) -> None:
        self.session.exec(update(Delivery).where(Delivery.id == delivery_id).values(**values))


class OutboxDrainer:
    """Sends one platform's waiting messages through that platform's outbox."""

    def __init__(
        self,
        database: Database,
        platform: str,
        outbox: Outbox,
        poll_interval: float = 1.0,
        chat_id: str | None = None,
    ) -> None:
        self.database = database
        self.platform = platform
        self.outbox = outbox
        self.poll_interval = poll_interval
        self.chat_id = chat_id
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def drain_once(self, limit: int = 50) -> int:
        """Send what is due now; returns how many messages the platform accepted."""
        with self.database.session() as session:
            claimed = OutboxStore(session).claim(self.platform, limit, self.chat_id)
        sent = 0
        for position, (delivery_id, message) in enumerate(claimed):
            try:
                await self.outbox.send(message)
            except DeliveryFailed as failure:
                self._record_failure(delivery_id, message, failure)
                if failure.retry_after:
                    # The platform asked this sender to pause: hand the rest back and wait.
                    rest = [d for d, _m in claimed[position + 1 :]]
                    resume = utcnow() + timedelta(seconds=failure.retry_after)
                    with self.database.session() as session:
                        OutboxStore(session).release(rest, resume)
                    await asyncio.sleep(failure.retry_after)
                    return sent
                continue
            except Exception as exc:  # an adapter bug must not stop every later delivery
                log.exception("delivery %s of message %s failed", delivery_id, message.id)
                self._record_failure(delivery_id, message, DeliveryFailed(repr(exc)))
                continue
            with self.database.session() as session:
                OutboxStore(session).mark_sent(delivery_id)
            sent += 1
        return sent

    def _record_failure(self, delivery_id: int, message: Outgoing, failure: DeliveryFailed) -> None:
        with self.database.session() as session:
            store = OutboxStore(session)
            attempts = session.get(Delivery, delivery_id)
            tries = attempts.attempts if attempts else MAX_ATTEMPTS
            if failure.permanent or tries >= MAX_ATTEMPTS:
                log.warning("message %s dropped: %s", message.id, failure.reason)
                store.fail(delivery_id, failure.reason)
            else:
                store.retry(delivery_id, failure.retry_after or backoff(tries), failure.reason)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-{self.platform}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if await self.drain_once():
                    continue
            except Exception:
                log.exception("outbox for %s: draining failed; trying again", self.platform)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
