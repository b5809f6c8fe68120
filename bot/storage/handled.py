"""Which platform deliveries were handled: recorded in the transaction of what they did.

A platform delivers an update until the bot confirms it (Telegram: the next getUpdates offset,
or a 200 to the webhook), so an update can come again: after a restart, or by a retry to
another process. The row is written with what the update did, so an update is either handled
and recorded, or neither; the unique key makes a second process wait for the first one's
transaction and then find the row. Rows are kept a week, not as a high-water mark: after a week
without updates Telegram restarts its sequence at a random number, which may be lower.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from bot.storage.models import HandledUpdate, utcnow

KEPT = timedelta(days=7)

# Built once: every update runs one of them.
_TABLE = HandledUpdate.__table__  # type: ignore[attr-defined]
_CLAIM = {
    name: insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["platform", "update_id"])
    .returning(_TABLE.c.update_id)
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
_FOUND = select(HandledUpdate.update_id)


class HandledUpdates:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, platform: str, update_id: str) -> bool:
        """Record the update as handled by this transaction; False if it was handled already
        (or is being handled by a transaction that then commits: this one waited for it)."""
        statement = _CLAIM[self.session.get_bind().dialect.name]
        inserted = self.session.execute(
            statement, {"platform": platform, "update_id": update_id, "handled_at": utcnow()}
        ).first()
        return inserted is not None

    def handled(self, platform: str, update_id: str) -> bool:
        found = self.session.exec(
            _FOUND.where(HandledUpdate.platform == platform, HandledUpdate.update_id == update_id)
        ).first()
        return found is not None

    def prune(self, now: datetime | None = None) -> None:
        """Forget what was handled more than a week ago: no platform delivers it again."""
        before = (now or utcnow()) - KEPT
        self.session.exec(delete(HandledUpdate).where(col(HandledUpdate.handled_at) < before))
