"""The clock with 100,000 schedules in the table, on SQLite (and PostgreSQL when a server
answers): what one tick costs when nothing is due, the delay from an occurrence to its
deliveries being queued with the real clock running, and the 19:00 peak (10,000
occurrences due in the same minute) queued in full.

Baseline in the same run: one indexed query of the due rows (what any tick must do).
Run with `make bench`; figures are printed as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scratch_db import scratch_database
from sqlalchemy import bindparam, func, insert, select, text, update

from bot.app import Application, build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.scheduling.clock import Clock
from bot.scheduling.rules import Rule
from bot.storage.models import Chat, Delivery, Schedule, utcnow

SCHEDULES = 100_000
CHATS = 1_000
PEAK = 10_000
IDLE_TICKS = 200


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def fill(app: Application, now: datetime) -> None:
    """100,000 group reminders in 1,000 chats, every day at a minute of the day; none due in
    the next hour (the peak and the delay runs add their own)."""
    rows, chats = [], []
    for n in range(CHATS):
        chats.append({"platform": "bench", "chat_id": f"g{n}", "kind": "group", "created_at": now})
    for n in range(SCHEDULES):
        minute_of_day = 60 + n % (23 * 60)  # 01:00 … 23:59 after now: never in the next hour
        at = now + timedelta(minutes=minute_of_day)
        rule = Rule("cron", minute=str(at.minute), hour=str(at.hour))
        rows.append(
            {
                "kind": "reminder",
                "platform": "bench",
                "chat_id": f"g{n % CHATS}",
                "rule": rule.to_dict(),
                "timezone": "UTC",
                "payload": {"text": f"Reminder {n}"},
                "status": "active",
                "next_at": at,
                "due_at": at,
                "created_at": now,
                "updated_at": now,
            }
        )
    with app.services.database.engine.begin() as connection:
        connection.execute(insert(Chat), chats)
        for start in range(0, len(rows), 5_000):
            connection.execute(insert(Schedule), rows[start : start + 5_000])


def make_due(app: Application, count: int, first: datetime, spread: timedelta) -> None:
    """`count` schedules brought forward to occur between `first` and `first + spread`
    (one statement, run many times: the setup must not eat into the measured time)."""
    step = spread / count
    statement = (
        update(Schedule.__table__)
        .where(Schedule.__table__.c.id == bindparam("b_id"))
        .values(next_at=bindparam("b_at"), due_at=bindparam("b_at"), rule=bindparam("b_rule"))
    )
    with app.services.database.engine.begin() as connection:
        ids = connection.execute(
            select(Schedule.id)
            .where(Schedule.kind == "reminder")
            .order_by(Schedule.id)
            .limit(count)
        ).scalars()
        rows = []
        for n, schedule_id in enumerate(list(ids)):
            at = (first + step * n).replace(microsecond=0)
            rule = Rule("cron", minute=str(at.minute), hour=str(at.hour)).to_dict()
            rows.append({"b_id": schedule_id, "b_at": at, "b_rule": rule})
        connection.execute(statement, rows)


def queued(app: Application) -> int:
    with app.services.database.engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(Delivery).where(Delivery.schedule_id.is_not(None))
            ).scalar_one()
        )


def clear_deliveries(app: Application) -> None:
    with app.services.database.engine.begin() as connection:
        connection.execute(Delivery.__table__.delete())


def idle_ticks(app: Application, label: str) -> None:
    clock = Clock.for_router(app.services, app.dispatcher.router)
    baseline, ticks = [], []
    query = text("SELECT id FROM schedule WHERE due_at <= :now ORDER BY due_at LIMIT 200")
    for _ in range(IDLE_TICKS):
        now = utcnow()
        began = time.perf_counter()
        with app.services.database.engine.connect() as connection:
            connection.execute(query, {"now": now}).all()
        baseline.append(time.perf_counter() - began)
        began = time.perf_counter()
        clock.fire_due(now)
        ticks.append(time.perf_counter() - began)
    query_ms = statistics.median(baseline) * 1000
    print(f"BENCH schedules.{label}.baseline_due_query.p50 {query_ms:.3f} ms")
    print(f"BENCH schedules.{label}.idle_tick.p50 {statistics.median(ticks) * 1000:.3f} ms")
    print(f"BENCH schedules.{label}.idle_tick.p99 {percentile(ticks, 0.99) * 1000:.3f} ms")


async def run_clock_until(app: Application, expected: int, limit: float) -> float:
    """Start the real clock; seconds until `expected` deliveries are queued."""
    clock = Clock.for_router(app.services, app.dispatcher.router)
    started = time.perf_counter()
    clock.start()
    try:
        while queued(app) < expected and time.perf_counter() - started < limit:
            await asyncio.sleep(0.05)
    finally:
        clock.stop()
    return time.perf_counter() - started


def delays(app: Application) -> list[float]:
    with app.services.database.engine.connect() as connection:
        rows = connection.execute(
            select(Delivery.created_at, Delivery.occurrence).where(
                Delivery.schedule_id.is_not(None)
            )
        ).all()
    return [
        (created.replace(tzinfo=UTC) - occurred.replace(tzinfo=UTC)).total_seconds()
        for created, occurred in rows
    ]


async def measure(app: Application, label: str) -> None:
    started = time.perf_counter()
    fill(app, utcnow())
    print(f"# {label}: {SCHEDULES:,} schedules written in {time.perf_counter() - started:.1f} s")
    idle_ticks(app, label)

    # Occurrences spread over 20 seconds, the clock running: each one's delay to the outbox.
    make_due(app, 2_000, utcnow() + timedelta(seconds=3), timedelta(seconds=20))
    await run_clock_until(app, 2_000, 60)
    waited = delays(app)
    print(f"BENCH schedules.{label}.delay_to_queued.p50 {statistics.median(waited) * 1000:.0f} ms")
    print(f"BENCH schedules.{label}.delay_to_queued.p99 {percentile(waited, 0.99) * 1000:.0f} ms")
    clear_deliveries(app)

    # The 19:00 peak: 10,000 occurrences at the same instant.
    peak_at = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
    make_due(app, PEAK, peak_at, timedelta(0))
    await run_clock_until(app, PEAK, 120)
    waited = delays(app)
    print(f"BENCH schedules.{label}.peak_{PEAK}.all_queued_after {max(waited):.2f} s")
    print(f"BENCH schedules.{label}.peak_{PEAK}.queued {len(waited)} deliveries")
    with app.services.database.engine.connect() as connection:
        left = connection.execute(
            select(func.count()).select_from(Schedule).where(Schedule.due_at <= utcnow())
        ).scalar_one()
    print(f"# {label}: schedules still due after the peak: {left}")


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url, org_file=DEMO_ORG_FILE, locales_dir=default_locales_dir(), cache_dir=None
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        app = build_application(settings_for(f"sqlite:///{Path(workdir) / 'bench.sqlite'}"))
        try:
            await measure(app, "sqlite")
        finally:
            app.close()
    with scratch_database("chapterbot_bench_schedules") as url:
        if url is None:
            return
        app = build_application(settings_for(url), upgrade_database=True)
        try:
            await measure(app, "postgresql")
        finally:
            app.close()


if __name__ == "__main__":
    asyncio.run(main())
