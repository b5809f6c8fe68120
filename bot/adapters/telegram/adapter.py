"""The Telegram adapter: python-telegram-bot's Application, started and stopped by hand so it
shares the event loop with the other adapters, feeding one handler that speaks to the core."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application as PtbApplication
from telegram.ext import ContextTypes, TypeHandler

from bot.adapters.redact import hide_in_logs, quiet
from bot.adapters.telegram.config import TelegramConfig
from bot.adapters.telegram.inbound import ALLOWED_UPDATES, Inbound
from bot.adapters.telegram.ledger import UpdateLedger
from bot.adapters.telegram.menus import publish_menus
from bot.adapters.telegram.moderators import Moderators
from bot.adapters.telegram.outbound import TelegramOutbox
from bot.adapters.telegram.ratelimit import Limits, TelegramRateLimiter
from bot.adapters.telegram.replies import TurnOutbox
from bot.adapters.telegram.request import requests
from bot.adapters.telegram.state import PLATFORM, TelegramState
from bot.adapters.telegram.webhook import WebhookServer
from bot.app import Application
from bot.scheduling.outbox import OutboxDrainer

log = logging.getLogger(__name__)


class TelegramAdapter:
    name = PLATFORM  # also its name as leader-only work

    def __init__(
        self,
        app: Application,
        config: TelegramConfig,
        *,
        limits: Limits | None = None,
        poll_timeout: int = 30,
        network_backoff: float = 0.5,
    ) -> None:
        self.app = app
        self.config = config
        self.limits = limits or Limits(
            overall_per_second=config.messages_per_second,
        )
        self.poll_timeout = poll_timeout
        self.network_backoff = network_backoff
        self.state = TelegramState(app.services.database)
        self.application: PtbApplication[Any, Any, Any, Any, Any, Any] | None = None
        self.outbox: TelegramOutbox | None = None
        self.ledger: UpdateLedger | None = None
        self._inbound: Inbound | None = None
        self._drainer: OutboxDrainer | None = None
        self._webhook: WebhookServer | None = None

    @property
    def webhook_mode(self) -> bool:
        return bool(self.config.webhook_url)

    @property
    def drainer(self) -> OutboxDrainer | None:
        """Sends the stored messages for Telegram chats (notices, deferred replies)."""
        return self._drainer

    def has_handled(self, update_id: int) -> bool:
        """This process is done with the update (what became of it is in the database)."""
        return self.ledger is not None and self.ledger.done(update_id)

    # -- life cycle --------------------------------------------------------------------

    async def start(self, lead: bool = True) -> None:
        """Connect and take webhook updates; with `lead`, also do the leader's part (else
        bot.scheduling.leadership calls lead() and follow())."""
        try:
            await self._start()
            if lead:
                await self.lead()
        except BaseException:
            await self.stop()  # whatever did start is stopped, connections closed
            raise

    async def _start(self) -> None:
        hide_in_logs(self.config.token)
        # Every long poll would be one INFO line from httpx: noise, and each one a URL. PTB
        # logs each Bot API call with its parameters and result at DEBUG.
        quiet(
            ("httpx", logging.WARNING),
            ("telegram.Bot", logging.INFO),
            ("telegram.ext.ExtBot", logging.INFO),
        )
        api = self.config.api_url
        calls, polls = requests()
        builder = (
            PtbApplication.builder()
            .token(self.config.token)
            .request(calls)
            .get_updates_request(polls)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .rate_limiter(TelegramRateLimiter(self.limits))
            .job_queue(None)  # the scheduler is ours (APScheduler on our own tables)
        )
        if self.webhook_mode:
            builder = builder.updater(None)
        application = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        self.application = application
        await application.initialize()  # getMe: the bot's id and username
        bot = application.bot
        services = self.app.services
        self.ledger = UpdateLedger(services.database)
        self.ledger.prune()
        self.outbox = outbox = TelegramOutbox(
            bot, services.catalogs, self.state, network_backoff=self.network_backoff
        )
        self._drainer = drainer = OutboxDrainer(services.database, PLATFORM, outbox)
        self._inbound = Inbound(
            bot,
            self.app,
            outbox,
            self.state,
            Moderators(bot),
            lambda: TurnOutbox(outbox, services.database, drainer.wake),
        )
        try:
            await publish_menus(
                bot,
                self.app.dispatcher.router.commands,
                services.catalogs,
                services.organization.default_language,
            )
        except TelegramError:
            log.exception("the command menus could not be published; going on without")
        await application.start()
        if self.webhook_mode:
            await self._start_webhook()
            log.info("Telegram: @%s is listening (webhook)", bot.username)

    async def lead(self) -> None:
        """The leader's part: long polling (only one consumer may poll) and the drainer (one
        rate limiter for every broadcast, whatever process queued it)."""
        application, drainer = self.application, self._drainer
        assert application is not None and drainer is not None
        if not self.webhook_mode:
            assert application.updater is not None
            if not application.updater.running:
                await application.updater.start_polling(
                    timeout=self.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
                log.info("Telegram: @%s is listening (long polling)", application.bot.username)
        if not drainer.running:
            await drainer.start(reclaim=True)
            # Woken when a turn leaves messages for other chats, not after every update.
            self.app.services.outbox_listeners.append(drainer.wake)

    async def follow(self) -> None:
        """Back to what every process does: webhook updates and its own turns' replies."""
        updater = self.application.updater if self.application is not None else None
        if updater is not None and updater.running:
            await updater.stop()  # confirms the updates fetched so far
        if self._drainer is not None:
            listeners = self.app.services.outbox_listeners
            if self._drainer.wake in listeners:
                listeners.remove(self._drainer.wake)
            await self._drainer.stop()

    async def _start_webhook(self) -> None:
        application = self.application
        assert application is not None and self.config.webhook_url
        secret = self.config.webhook_secret or self.state.webhook_secret()
        hide_in_logs(secret)

        async def receive(data: dict[str, Any]) -> None:
            # Handled before Telegram hears 200: an update a process dies on is delivered
            # again (to another process, behind a load balancer), and the next update of a
            # chat comes only after this one, whichever process takes it.
            await application.process_update(Update.de_json(data, application.bot))

        self._webhook = WebhookServer(
            self.config.listen_host,
            self.config.listen_port,
            self.config.webhook_path,
            secret,
            receive,
        )
        await self._webhook.start()
        await application.bot.set_webhook(
            url=self.config.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def stop(self) -> None:
        """Stop taking updates, handle those already taken, then close the connections."""
        application = self.application
        if application is None:
            return
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        await self.follow()  # polling stops (confirming the updates fetched), the drainer too
        self.application = None
        if application.running:
            await application.stop()  # handles what is still queued
        await application.shutdown()
        log.info("Telegram adapter stopped")

    # -- updates -----------------------------------------------------------------------

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self.ledger is not None and self._inbound is not None
        # Each turn records the update with what it did, and skips one handled before.
        try:
            await self._inbound.handle(update)
        finally:
            self.ledger.finish(update.update_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("Telegram update %s could not be handled", update_id, exc_info=context.error)


def create_adapter(app: Application) -> TelegramAdapter:
    """The adapter for `chapterbot run`, configured from the settings and the environment."""
    return TelegramAdapter(app, TelegramConfig.load(app.services.settings))
