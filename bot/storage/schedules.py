"""The schedules table: what the clock does and when (the only SQL about schedules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.storage.models import Schedule, utcnow

ACTIVE, PAUSED, DONE = "active", "paused", "done"
REMINDER = "reminder"


def refresh_due(schedule: Schedule) -> None:
    """The next moment the clock must act on a schedule: its next occurrence or the end of a
    snooze, whichever comes first; nothing while it is paused or done."""
    moments = [m for m in (schedule.next_at, schedule.snoozed_until) if m is not None]
    schedule.due_at = min(moments) if moments and schedule.status == ACTIVE else None
    schedule.updated_at = utcnow()


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, schedule: Schedule) -> Schedule:
        refresh_due(schedule)
        self.session.add(schedule)
        self.session.flush()
        return schedule

    def save(self, schedule: Schedule) -> None:
        refresh_due(schedule)
        self.session.add(schedule)

    def get(self, schedule_id: int) -> Schedule | None:
        return self.session.get(Schedule, schedule_id)

    def open_by_number(self, kind: str, word: str) -> Schedule | None:
        """The schedule a member names by its number ("12" or "#12"), if it is of `kind`
        and not over; anything else typed finds nothing."""
        number = word.lstrip("#")
        if not (number.isascii() and number.isdecimal()) or len(number) > 12:
            return None
        schedule = self.get(int(number))
        if schedule is None or schedule.kind != kind or schedule.status == DONE:
            return None
        return schedule

    def by_key(self, key: str) -> Schedule | None:
        return self.session.exec(select(Schedule).where(Schedule.key == key)).first()

    def of_kind(self, kind: str) -> list[Schedule]:
        return list(self.session.exec(select(Schedule).where(Schedule.kind == kind)))

    def due(self, now: datetime, limit: int = 500) -> list[Schedule]:
        """Schedules whose moment has come, earliest first; on PostgreSQL a row another
        process is firing is skipped, not waited for."""
        query = (
            select(Schedule)
            .where(col(Schedule.due_at) <= now)
            .order_by(col(Schedule.due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.exec(query))

    def next_due_at(self) -> datetime | None:
        return self.session.exec(select(func.min(Schedule.due_at))).first()

    def in_chat(self, kind: str, platform: str, chat_id: str) -> list[Schedule]:
        """A chat's schedules that are not over, oldest first."""
        query = select(Schedule).where(
            Schedule.kind == kind,
            Schedule.platform == platform,
            Schedule.chat_id == chat_id,
            Schedule.status != DONE,
        )
        return list(self.session.exec(query.order_by(col(Schedule.id))))

    def owned_by(self, kind: str, member_id: int) -> list[Schedule]:
        query = select(Schedule).where(
            Schedule.kind == kind, Schedule.owner_id == member_id, Schedule.status != DONE
        )
        return list(self.session.exec(query.order_by(col(Schedule.id))))

    def about_member(self, member_id: int) -> list[Schedule]:
        """Every schedule a member owns or wrote (for /mydata)."""
        query = select(Schedule).where(
            (Schedule.owner_id == member_id) | (Schedule.created_by == member_id)
        )
        return list(self.session.exec(query.order_by(col(Schedule.id))))

    def count_active_in_chat(self, kind: str, platform: str, chat_id: str) -> int:
        query = select(func.count()).where(
            Schedule.kind == kind,
            Schedule.platform == platform,
            Schedule.chat_id == chat_id,
            Schedule.status != DONE,
        )
        return int(self.session.exec(query).one())

    def count_active_owned(self, kind: str, member_id: int) -> int:
        query = select(func.count()).where(
            Schedule.kind == kind, Schedule.owner_id == member_id, Schedule.status != DONE
        )
        return int(self.session.exec(query).one())

    def retarget(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat that changed its id (a Telegram group upgraded to a supergroup)."""
        self.session.exec(
            update(Schedule)
            .where(Schedule.platform == platform, Schedule.chat_id == old_chat_id)
            .values(chat_id=new_chat_id)
        )

    def delete(self, schedule: Schedule) -> None:
        self.session.delete(schedule)
