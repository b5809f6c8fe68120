"""The outbox table's repository: messages to chats other than the one being answered wait
in the database until the platform's sender delivers them.

A message is inserted in the same transaction as the change that caused it, so it is never
lost; it is marked sent only after the platform accepted it, so a crash repeats at most the
messages in flight. Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so several
processes may drain one platform without sending a message twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, update
from sqlmodel import Session, select

from bot.core.events import ChatRef
from bot.core.outgoing import Outgoing, from_record, to_record
from bot.storage.models import Delivery, utcnow

# Set on a session that stored messages (see Services.outbox_filled).
FILLED = "outbox_filled"
# A claimed row whose sender died is claimed again after this long.
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8… capped at 10 minutes."""
    return float(min(600, 2**attempts))


_INSERT_DELIVERY = insert(Delivery.__table__)  # type: ignore[attr-defined]
_HELD = "outbox_held_rows"


def delivery_record(
    record: dict[str, Any],
    chat: ChatRef,
    member_id: int | None,
    occurrence: tuple[int, datetime] | None,
    due_at: datetime | None,
) -> dict[str, Any]:
    """A delivery row of the message `record` (to_record's form)."""
    schedule_id, at = occurrence if occurrence else (None, None)
    now = utcnow()
    return {
        "message_id": record["id"],
        "platform": chat.platform,
        "chat_id": chat.chat_id,
        "member_id": member_id,
        "message": record,
        "priority": int(record["priority"]),
        "status": "pending",
        "attempts": 0,
        "due_at": due_at or now,
        "created_at": now,
        "schedule_id": schedule_id,
        "occurrence": at,
    }


class OutboxStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        message: Outgoing,
        member_id: int | None = None,
        occurrence: tuple[int, datetime] | None = None,
        due_at: datetime | None = None,
    ) -> None:
        """occurrence: (schedule id, when it was due), for a message a firing wrote; the
        table holds one such message per occurrence and chat. due_at: not sent before then
        (a fan-out spread over the day)."""
        self.session.info[FILLED] = True  # the turn's owner wakes the senders after commit
        row = delivery_record(to_record(message), message.chat, member_id, occurrence, due_at)
        held = self.session.info.get(_HELD)
        if held is not None:
            held.append(row)
            return
        # A plain INSERT built once: the rows are not read back in the transaction that
        # writes them.
        self.session.execute(_INSERT_DELIVERY, row)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Rows enqueued inside are written together at the end, in one statement (a
        firing batch at the 19:00 peak writes thousands). Not for work that may be undone
        in a savepoint: its rows would stay."""
        self.session.info[_HELD] = rows = []
        try:
            yield
        finally:
            del self.session.info[_HELD]
        if rows:
            self.session.execute(_INSERT_DELIVERY, rows)

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

    def reclaim(self, platform: str) -> None:
        """Every row of `platform` being sent is pending again (its sender is gone)."""
        self.session.exec(
            update(Delivery)
            .where(Delivery.platform == platform, Delivery.status == "sending")
            .values(status="pending", claimed_at=None)
        )

    def _set(self, delivery_id: int, **values: object) -> None:
        self.session.exec(update(Delivery).where(Delivery.id == delivery_id).values(**values))
