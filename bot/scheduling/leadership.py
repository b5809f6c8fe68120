"""Leadership: one process at a time runs the clock.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own.
When the leader dies, or its connection does, PostgreSQL releases the lock and the next
process that asks takes over (within `retry` seconds). No home-made protocol: the database
decides. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.database import Database

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key for "runs the clock" ("chap" in ASCII); any other use of
# advisory locks in this database must pick another key.
LEADER_LOCK = 0x63686170


class Leadership:
    def __init__(
        self,
        database: Database,
        on_elected: Callable[[], object],
        on_lost: Callable[[], object],
        retry: float = 2.0,
    ) -> None:
        self.database = database
        self.on_elected = on_elected
        self.on_lost = on_lost
        self.retry = retry
        self.leading = False
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.database.is_sqlite:
            self._elected()
            return
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            self._lost()
        self._close()

    async def _run(self) -> None:
        while True:
            try:
                if self.leading:
                    self._check()
                else:
                    self._try()
            except Exception as exc:  # the database went away: not leading any more
                log.warning("leadership: %s", exc)
                if self.leading:
                    self._lost()
                self._close()
            await asyncio.sleep(self.retry)

    def _try(self) -> None:
        if self._connection is None:
            self._connection = self.database.engine.connect()
        won = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK}
        ).scalar_one()
        self._connection.commit()  # the lock is the session's, not the transaction's
        if won:
            self._elected()

    def _check(self) -> None:
        assert self._connection is not None
        self._connection.execute(text("SELECT 1"))
        self._connection.commit()

    def _elected(self) -> None:
        self.leading = True
        log.info("this process leads: it runs the clock")
        self.on_elected()

    def _lost(self) -> None:
        self.leading = False
        log.warning("this process no longer leads: its clock stops")
        self.on_lost()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()  # never back to the pool: it held the lock
            self._connection = None
