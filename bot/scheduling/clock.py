"""The clock: APScheduler ticks every second and fires what the schedules table says is due.

Schedules live in our own table (bot.storage.schedules), not in APScheduler's job store: one
job, with an explicit id, reads the due rows through one index. Each firing writes its
deliveries into the outbox and advances its schedule in the same transaction, so a restart
neither repeats nor loses one; the senders deliver. An occurrence missed while the bot was
down fires once if it is within its kind's grace window (marked late), and is skipped
otherwise, its owner told once. Never a burst of past occurrences.

The routers' periodic work (join requests re-sent, poll deadlines) is a schedule too, kept
under a stable key: one clock, not two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from bot.core.router import Occurrence, Periodic, Router, ScheduledKind
from bot.core.services import Services
from bot.scheduling.rules import Rule, every, next_occurrence
from bot.storage.models import Schedule, utcnow
from bot.storage.outbox import FILLED, OutboxStore
from bot.storage.schedules import DONE, ScheduleRepository

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
TICK_OFFSET_US = 20_000
BATCH = 200  # schedules fired per transaction
LATE_AFTER = timedelta(minutes=1)  # fired later than this, an occurrence says it is late
MAX_CATCH_UP = 1000  # past occurrences looked at for one schedule after a long downtime
PERIODIC = "periodic"


def periodic_key(name: str) -> str:
    return f"{PERIODIC}:{name}"


class Clock:
    def __init__(
        self,
        services: Services,
        kinds: Mapping[str, ScheduledKind],
        periodic: Mapping[str, Periodic],
    ) -> None:
        self.services = services
        self.kinds = dict(kinds)
        self.periodic = dict(periodic)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._ticking = asyncio.Lock()

    @classmethod
    def for_router(cls, services: Services, router: Router) -> Clock:
        return cls(services, router.scheduled, router.periodic)

    def start(self) -> None:
        if self.scheduler.running:
            return
        self.keep_periodic_schedules()
        # A scheduler that was shut down cannot start again: leadership may come back.
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=TICK_SECONDS),
            id="schedules.tick",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # Just after each whole second (occurrences fall on whole minutes), and at once
            # after a restart to catch up.
            next_run_time=utcnow().replace(microsecond=TICK_OFFSET_US) + timedelta(seconds=1),
        )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def keep_periodic_schedules(self, now: datetime | None = None) -> None:
        """One schedule per periodic job of the routers; a new one runs at the first tick,
        an existing one keeps its next occurrence (so a restart does not run it again)."""
        now = now or utcnow()
        with self.services.database.session() as session:
            schedules = ScheduleRepository(session)
            declared = {periodic_key(name) for name in self.periodic}
            for retired in schedules.of_kind(PERIODIC):
                if retired.key not in declared and retired.status != DONE:
                    retired.status = DONE  # work the code no longer declares
                    schedules.save(retired)
            for job in self.periodic.values():
                rule = every(int(job.interval.total_seconds())).to_dict()
                schedule = schedules.by_key(periodic_key(job.name))
                if schedule is None:
                    schedule = Schedule(
                        kind=PERIODIC,
                        key=periodic_key(job.name),
                        rule=rule,
                        payload={"name": job.name},
                        next_at=now,
                    )
                elif schedule.rule != rule or schedule.status != "active":
                    schedule.rule, schedule.status = rule, "active"
                    schedule.next_at = min(schedule.next_at or now, now + job.interval)
                else:
                    continue
                schedules.save(schedule)

    async def tick(self) -> int:
        """Fire everything due now, a batch per transaction; returns how many fired."""
        if self._ticking.locked():
            return 0
        async with self._ticking:
            fired = 0
            while True:
                count = self.fire_due(utcnow())
                fired += count
                if count < BATCH:
                    return fired
                await asyncio.sleep(0)  # let members' messages through between batches

    def fire_due(self, now: datetime, limit: int = BATCH) -> int:
        """One batch in one transaction. If a firing fails, the batch is rolled back and fired
        again one schedule at a time, each in a savepoint: the failing one is logged and
        skipped, the others go out (savepoints for every firing would cost the peak dearly)."""
        try:
            return self._fire_batch(now, limit, isolated=False)
        except Exception:
            log.warning("a firing failed; firing that batch one schedule at a time")
        try:
            return self._fire_batch(now, limit, isolated=True)
        except Exception:
            log.exception("the clock could not fire what was due; trying again")
            return 0

    def _fire_batch(self, now: datetime, limit: int, isolated: bool) -> int:
        with self.services.database.session() as session:
            due = ScheduleRepository(session).due(now, limit)
            # The advanced schedules are written together at commit, not before each query
            # a firing makes.
            self._prepare(session, due)
            with session.no_autoflush, self._writes(session, isolated):
                for schedule in due:
                    self.fire(session, schedule, now, isolated)
            filled = session.info.get(FILLED, False)
        if filled:
            self.services.outbox_filled()
        return len(due)

    @staticmethod
    def _writes(session: Session, isolated: bool) -> contextlib.AbstractContextManager[None]:
        """In the fast path the batch's deliveries are written in one statement."""
        return contextlib.nullcontext() if isolated else OutboxStore(session).held()

    def _prepare(self, session: Session, due: list[Schedule]) -> None:
        """Each kind reads what its firings in this batch share, once."""
        by_kind: dict[str, list[Schedule]] = {}
        for schedule in due:
            by_kind.setdefault(schedule.kind, []).append(schedule)
        for name, schedules in by_kind.items():
            kind = self.kinds.get(name)
            if kind is not None and kind.prepare is not None:
                kind.prepare(self.services, session, schedules)

    def fire(
        self, session: Session, schedule: Schedule, now: datetime, isolated: bool = True
    ) -> None:
        """One schedule's due moment: its deliveries written, the schedule advanced."""
        rule = Rule.from_dict(schedule.rule)
        snoozed = schedule.snoozed_until
        if (
            snoozed is not None
            and snoozed <= now
            and (schedule.next_at is None or snoozed <= schedule.next_at)
        ):
            schedule.snoozed_until = None
            occurrence = Occurrence(snoozed, now, now - snoozed > LATE_AFTER)
            self._run(session, schedule, occurrence, isolated)
        else:
            self._fire_rule(session, schedule, rule, now, isolated)
        schedule.last_fired_at = now
        if schedule.next_at is None and schedule.snoozed_until is None:
            schedule.status = DONE
        ScheduleRepository(session).save(schedule)

    def _fire_rule(
        self, session: Session, schedule: Schedule, rule: Rule, now: datetime, isolated: bool
    ) -> None:
        assert schedule.next_at is not None
        past = [schedule.next_at]
        following = next_occurrence(rule, schedule.timezone, schedule.next_at)
        while following is not None and following <= now:
            if len(past) >= MAX_CATCH_UP:
                following = next_occurrence(rule, schedule.timezone, now)
                break
            past.append(following)
            following = next_occurrence(rule, schedule.timezone, following)
        schedule.next_at = following
        kind = self._kind(schedule)
        latest = past[-1]
        grace = kind.grace if kind else None
        if grace is None or now - latest <= grace:
            missed = past[:-1] if grace is not None else []
            occurrence = Occurrence(latest, now, now - latest > LATE_AFTER)
            self._run(session, schedule, occurrence, isolated)
        else:
            missed = past
        if missed and kind is not None and kind.missed is not None:
            kind.missed(self.services, session, schedule, missed)

    def _run(
        self, session: Session, schedule: Schedule, occurrence: Occurrence, isolated: bool
    ) -> None:
        if not isolated:
            self._work(session, schedule, occurrence)
            return
        try:
            with session.begin_nested():
                self._work(session, schedule, occurrence)
        except Exception:
            log.exception("schedule %s (%s) failed to fire", schedule.id, schedule.kind)

    def _work(self, session: Session, schedule: Schedule, occurrence: Occurrence) -> None:
        if schedule.kind == PERIODIC:
            job = self.periodic.get(schedule.payload.get("name", ""))
            if job is not None:
                job.run(self.services, session)
            return
        kind = self._kind(schedule)
        if kind is None:
            log.warning("schedule %s: no handler for kind %s", schedule.id, schedule.kind)
            return
        kind.fire(self.services, session, schedule, occurrence)

    def _kind(self, schedule: Schedule) -> ScheduledKind | None:
        return self.kinds.get(schedule.kind)
