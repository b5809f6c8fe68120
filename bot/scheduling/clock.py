"""The clock: APScheduler runs the routers' periodic work.

Jobs are module-level functions with explicit ids, rebuilt at every start; a run missed while
the bot was down happens once (coalesced) when it comes back, never in a burst.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.router import Periodic
from bot.core.services import Services
from bot.storage.models import utcnow
from bot.storage.outbox import FILLED

log = logging.getLogger(__name__)

FIRST_RUN_DELAY = timedelta(seconds=30)


def run_periodic(services: Services, periodic: Periodic) -> None:
    """One run, in its own transaction; a failure is logged and the next run tries again."""
    try:
        with services.database.session() as session:
            periodic.run(services, session)
            filled = session.info.get(FILLED, False)
    except Exception:
        log.exception("periodic job %s failed", periodic.name)
        return
    if filled:
        services.outbox_filled()


class Clock:
    def __init__(self, services: Services, periodic: dict[str, Periodic]) -> None:
        self.services = services
        self.periodic = periodic
        self.scheduler = AsyncIOScheduler(timezone="UTC")

    def start(self) -> None:
        for job in self.periodic.values():
            self.scheduler.add_job(
                run_periodic,
                IntervalTrigger(seconds=job.interval.total_seconds()),
                args=(self.services, job),
                id=job.name,
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=int(job.interval.total_seconds()),
                next_run_time=utcnow() + FIRST_RUN_DELAY,
            )
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def run_all_now(self) -> None:
        """For short-lived processes (the terminal chat): catch up once at start."""
        for job in self.periodic.values():
            run_periodic(self.services, job)
