"""The sync loop: long-polls the homeserver, hands each batch over, then stores its token.

The token (next_batch) is stored only after a batch was handled, so a crash or an outage
resumes where handling stopped: nothing a member said is skipped. An unreachable homeserver
is retried with growing delays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from nio import AsyncClient, SyncResponse

from bot.adapters.matrix.outbox import NETWORK_ERRORS
from bot.adapters.matrix.store import MatrixStore

log = logging.getLogger(__name__)

LONG_POLL_MS = 30_000
TIMELINE_LIMIT = 100


def sync_filter(timeline_limit: int) -> dict[str, Any]:
    """Only what the bot reads: room timelines and state; no presence, typing or receipts."""
    nothing = {"not_types": ["*"]}
    return {
        "presence": nothing,
        "account_data": nothing,
        "room": {
            "timeline": {"limit": timeline_limit, "lazy_load_members": True},
            "state": {"lazy_load_members": True},
            "ephemeral": nothing,
            "account_data": nothing,
        },
    }


class Backoff:
    """Growing delays with jitter: 0.5 s, 1 s, 2 s … up to `cap`."""

    def __init__(self, first: float = 0.5, cap: float = 15.0) -> None:
        self.first, self.cap, self.failures = first, cap, 0

    def next_delay(self) -> float:
        self.failures += 1
        delay = min(self.cap, self.first * 2 ** (self.failures - 1))
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.failures = 0


class BatchIncomplete(Exception):
    """A batch could not be read in full (history fetch failed): sync it again later."""


BatchHandler = Callable[[SyncResponse, bool, str | None], Awaitable[None]]
TokenRefused = Callable[[], Awaitable[None]]


class SyncLoop:
    def __init__(
        self,
        client: AsyncClient,
        store: MatrixStore,
        handle_batch: BatchHandler,
        on_token_refused: TokenRefused,
        *,
        timeline_limit: int = TIMELINE_LIMIT,
        backoff: Backoff | None = None,
        long_poll_ms: int = LONG_POLL_MS,
    ) -> None:
        self.client = client
        self.store = store
        self.handle_batch = handle_batch
        self.on_token_refused = on_token_refused
        self.timeline_limit = timeline_limit
        self.backoff = backoff or Backoff()
        self.long_poll_ms = long_poll_ms
        self.ready = asyncio.Event()  # set after the first batch was handled
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """From the stored token: a loop started again (another leader) skips nothing and
        reads no batch twice."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="matrix-sync")

    async def stop(self, grace: float = 30.0) -> None:
        """Stop between batches: a batch being handled is finished (and its token stored)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if not self._busy:
            task.cancel()
        await asyncio.wait({task}, timeout=grace)
        task.cancel()  # a no-op when it already ended
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        since = self.store.sync_token()
        while not self._stopping:
            first = since is None
            try:
                response = await self.client.sync(
                    timeout=0 if first else self.long_poll_ms,
                    since=since,
                    # The very first start skips the history it finds: one event per room.
                    sync_filter=sync_filter(1 if first else self.timeline_limit),
                )
            except NETWORK_ERRORS as exc:
                await self._pause(f"homeserver unreachable ({exc!r})")
                continue
            if not isinstance(response, SyncResponse):
                if response.status_code == "M_UNKNOWN_TOKEN":
                    log.warning("Matrix: the access token was refused; logging in again")
                    await self.on_token_refused()
                await self._pause(f"sync failed: {response.status_code} {response.message}")
                continue
            if self.backoff.failures:
                log.info("Matrix: the homeserver answers again; resuming")
            self.backoff.reset()
            self._busy = True
            try:
                await self.handle_batch(response, first, since)
            except BatchIncomplete as exc:
                # Nothing of it was handled yet: the same batch comes again from `since`.
                await self._pause(str(exc))
                continue
            except Exception:
                # A bug must not stop the bot, nor make it read the same batch forever.
                log.exception("Matrix: handling a sync batch failed; going on")
            finally:
                self._busy = False
            since = response.next_batch
            self.store.save_sync_token(since)
            self.ready.set()

    async def _pause(self, reason: str) -> None:
        delay = self.backoff.next_delay()
        log.warning("Matrix: %s; next try in %.1f s", reason, delay)
        await asyncio.sleep(delay)
