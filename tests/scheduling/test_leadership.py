"""One process at a time runs the clock: PostgreSQL's advisory lock decides, and a dead
leader is replaced."""

from __future__ import annotations

import asyncio

import psycopg
from sqlalchemy.engine import make_url

from bot.scheduling.leadership import LEADER_LOCK, Leadership, Work
from bot.storage.database import Database


class Record:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.work = [Work("record", self.elected, self.lost)]

    def elected(self) -> None:
        self.events.append("elected")

    def lost(self) -> None:
        self.events.append("lost")


async def wait_until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_sqlite_has_one_process_and_it_leads(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    record = Record()
    leadership = Leadership(database, record.work)
    await leadership.start()
    assert leadership.leading and record.events == ["elected"]
    await leadership.stop()
    assert record.events == ["elected", "lost"]
    database.dispose()


async def test_one_leader_on_postgresql_and_another_takes_over_when_it_dies(
    postgres_url: str,
) -> None:
    first_db, second_db = Database(postgres_url), Database(postgres_url)
    first_record, second_record = Record(), Record()
    first = Leadership(first_db, first_record.work, retry=0.2)
    second = Leadership(second_db, second_record.work, retry=0.2)
    try:
        await first.start()
        await wait_until(lambda: first.leading)
        await second.start()
        await asyncio.sleep(1.0)  # five tries: the lock is taken
        assert not second.leading and second_record.events == []
        # The leader's connection dies (as when its process is killed): another one leads.
        libpq = make_url(postgres_url).set(drivername="postgresql")
        with psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND objid = %s AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                (LEADER_LOCK,),
            )
        await wait_until(lambda: second.leading)
        await wait_until(lambda: not first.leading)
        assert first_record.events == ["elected", "lost"]
        assert second_record.events == ["elected"]
    finally:
        await first.stop()
        await second.stop()
        first_db.dispose()
        second_db.dispose()
