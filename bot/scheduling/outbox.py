"""Senders: drain one platform's waiting messages from the outbox (bot.storage.outbox) at the
platform's pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.core.outbox import DeliveryFailed, Outbox
from bot.core.outgoing import Outgoing
from bot.storage.database import Database
from bot.storage.models import Delivery, utcnow
from bot.storage.outbox import MAX_ATTEMPTS, OutboxStore, backoff

log = logging.getLogger(__name__)


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

    @property
    def running(self) -> bool:
        return self._task is not None

    def wake(self) -> None:
        self._wake.set()

    async def start(self, reclaim: bool = False) -> None:
        """reclaim: this is the platform's one sender (the leader's): rows an earlier sender
        claimed and never finished (it died or stopped) are due again now, not after the
        claim lease. One it had sent but not yet marked is sent twice: at most the messages
        in flight."""
        if reclaim:
            with self.database.session() as session:
                OutboxStore(session).reclaim(self.platform)
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
