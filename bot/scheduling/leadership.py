"""Leadership: one process at a time does the work only one may do.

The leader runs the clock, the Matrix sync loop, Telegram long polling and the outbox
drainers (so that one process's rate limiter sees every broadcast, and the platforms'
limits hold however many processes there are). Every process takes Telegram webhook
updates and sends its own turns' replies.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own.
When the leader dies, or its connection does, PostgreSQL releases the lock and the next
process that asks takes over (within `retry` seconds). No home-made protocol: the database
decides. SQLite serves one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.database import Database

log = logging.getLogger(__name__)

# pg_try_advisory_lock's key for "leads" ("chap" in ASCII); any other use of advisory locks
# in this database must pick another key.
LEADER_LOCK = 0x63686170
# The lock's connection is idle between checks: if the leader's machine vanishes without
# closing it, the server notices within about 5 + 2 × 2 s and releases the lock.
_KEEPALIVES = (
    "SET tcp_keepalives_idle = 5",
    "SET tcp_keepalives_interval = 2",
    "SET tcp_keepalives_count = 2",
)


class LeaderWork(Protocol):
    """Work only the leader does: started when this process is elected, stopped when it
    no longer leads (or stops). Both may be called again later."""

    name: str

    async def lead(self) -> None: ...

    async def follow(self) -> None: ...


@dataclass(slots=True)
class Work:
    """LeaderWork made of two callables (plain or coroutine functions)."""

    name: str
    start: Callable[[], object]
    stop: Callable[[], object]

    async def lead(self) -> None:
        await _call(self.start)

    async def follow(self) -> None:
        await _call(self.stop)


async def _call(function: Callable[[], object]) -> None:
    result = function()
    if inspect.isawaitable(result):
        await result


class Leadership:
    def __init__(self, database: Database, work: Sequence[LeaderWork], retry: float = 2.0) -> None:
        self.database = database
        self.work = list(work)
        self.retry = retry
        self.leading = False
        self._connection: Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.database.is_sqlite:
            await self._elected()
            return
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            await self._lost()
        self._close()

    async def _run(self) -> None:
        while True:
            try:
                if self.leading:
                    self._check()
                elif self._try():
                    await self._elected()
            except Exception as exc:  # the database went away: not leading any more
                log.warning("leadership: %s", exc)
                self._close()
                if self.leading:
                    await self._lost()
            await asyncio.sleep(self.retry)

    def _try(self) -> bool:
        if self._connection is None:
            self._connection = self.database.engine.connect()
            for statement in _KEEPALIVES:
                self._connection.execute(text(statement))
        won = self._connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK}
        ).scalar_one()
        self._connection.commit()  # the lock is the session's, not the transaction's
        return bool(won)

    def _check(self) -> None:
        assert self._connection is not None
        self._connection.execute(text("SELECT 1"))
        self._connection.commit()

    async def _elected(self) -> None:
        self.leading = True
        log.info("this process leads: %s", ", ".join(w.name for w in self.work) or "nothing")
        for work in self.work:
            await _guarded(work.name, "start", work.lead)

    async def _lost(self) -> None:
        self.leading = False
        log.warning("this process no longer leads: its leader-only work stops")
        for work in reversed(self.work):
            await _guarded(work.name, "stop", work.follow)

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()  # never back to the pool: it held the lock
            self._connection = None


async def _guarded(name: str, action: str, step: Callable[[], Awaitable[None]]) -> None:
    # One piece that fails to start or stop must not keep the others from doing so.
    try:
        await step()
    except Exception:
        log.exception("leadership: %s did not %s", name, action)
