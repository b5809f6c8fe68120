"""The Matrix adapter: one matrix-nio client, its sync loop, and the senders of its messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nio import AsyncClient, AsyncClientConfig

from bot.adapters.matrix.config import MatrixConfig
from bot.adapters.matrix.outbox import NETWORK_ERRORS, LiveOutbox, MatrixOutbox
from bot.adapters.matrix.render import Renderer
from bot.adapters.matrix.rooms import RoomKeeper
from bot.adapters.matrix.session import LoginFailed, log_in, open_session
from bot.adapters.matrix.store import PLATFORM, MatrixStore
from bot.adapters.matrix.sync import TIMELINE_LIMIT, Backoff, SyncLoop
from bot.adapters.matrix.timeline import TimelineHandler
from bot.app import Application
from bot.scheduling.outbox import OutboxDrainer

log = logging.getLogger(__name__)

# How long a reply waits for the homeserver (rate limits, outages) before it is queued.
REPLY_PATIENCE = 120.0
# The drainer's deliveries wait less: it has the outbox table to retry from.
DELIVERY_PATIENCE = 20.0


class MatrixAdapter:
    name = PLATFORM  # also its name as leader-only work

    def __init__(
        self,
        app: Application,
        config: MatrixConfig | None = None,
        *,
        timeline_limit: int = TIMELINE_LIMIT,
        backoff: Backoff | None = None,
        reply_patience: float = REPLY_PATIENCE,
    ) -> None:
        self.app = app
        self.config = config or MatrixConfig.from_settings(app.services.settings)
        services = app.services
        self.store = MatrixStore(services.database)
        self.client = AsyncClient(
            self.config.homeserver,
            self.config.user_id,
            # Rate limits and outages are handled here (with the same transaction id), not by
            # nio's silent, unbounded retries; the bot does not read encrypted rooms.
            config=AsyncClientConfig(
                max_limit_exceeded=0,
                max_timeouts=0,
                encryption_enabled=False,
                request_timeout=30,
            ),
        )
        renderer = Renderer(services.catalogs, self.config.user_id, list(app.dispatcher.commands))
        self.outbox = MatrixOutbox(self.client, self.store, renderer, DELIVERY_PATIENCE)
        self.drainer = OutboxDrainer(services.database, PLATFORM, self.outbox)
        self.live_outbox = LiveOutbox(
            MatrixOutbox(self.client, self.store, renderer, reply_patience),
            services.database,
            on_queued=self.drainer.wake,
        )
        self.rooms = RoomKeeper(self.client, self.config, self.store, services, renderer)
        self.timeline = TimelineHandler(
            app, self.client, self.store, self.rooms, self.outbox, self.live_outbox
        )
        self.sync = SyncLoop(
            self.client,
            self.store,
            self.timeline.handle,
            self._log_in_again,
            timeline_limit=timeline_limit,
            backoff=backoff,
        )
        self._connecting: asyncio.Task[None] | None = None
        self._logged_in = False
        self._leading = False

    @property
    def ready(self) -> asyncio.Event:
        """Set once the first sync batch was handled: the bot reads and answers."""
        return self.sync.ready

    async def start(self, lead: bool = True) -> None:
        """Log in (or resume the saved session); with `lead`, also sync and deliver (else
        bot.scheduling.leadership calls lead() and follow()).

        Refused credentials raise LoginFailed; an unreachable homeserver is waited for in
        the background."""
        self._leading = lead
        try:
            await open_session(self.client, self.config, self.store)
        except NETWORK_ERRORS as exc:
            log.warning("Matrix: homeserver unreachable at start (%r); retrying", exc)
            self._connecting = asyncio.create_task(self._connect_later(), name="matrix-connect")
            return
        await self._connected()

    async def _connect_later(self) -> None:
        backoff = Backoff()
        while True:
            await asyncio.sleep(backoff.next_delay())
            try:
                await open_session(self.client, self.config, self.store)
            except NETWORK_ERRORS:
                continue
            except LoginFailed as exc:
                log.error("Matrix: %s; the Matrix adapter stays stopped", exc)
                return
            await self._connected()
            return

    async def _connected(self) -> None:
        self._logged_in = True
        if self._leading:
            await self._run()

    async def lead(self) -> None:
        """The leader's part: the sync loop (one reader of the stored token) and the drainer
        (one process's pace against the homeserver's rate limit). Started once logged in."""
        self._leading = True
        if self._logged_in:
            await self._run()

    async def follow(self) -> None:
        """A follower's client stays logged in and idle: the sync loop reads every room, so
        the Matrix turns and their replies are the leader's."""
        self._leading = False
        await self.sync.stop()  # between batches: the one being handled ends, token stored
        if self.drainer.wake in self.app.services.outbox_listeners:
            self.app.services.outbox_listeners.remove(self.drainer.wake)
        await self.drainer.stop()

    async def _run(self) -> None:
        if not self.drainer.running:
            await self.drainer.start(reclaim=True)
            self.app.services.outbox_listeners.append(self.drainer.wake)
        if not self.sync.running:
            self.sync.start()

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
            self._connecting = None
        await self.follow()
        await self.client.close()

    async def _log_in_again(self) -> None:
        """The saved access token stopped working (logged out elsewhere)."""
        self.store.forget_session()
        try:
            await log_in(self.client, self.config, self.store)
        except LoginFailed as exc:
            log.error("Matrix: %s", exc)
