"""The outbox the dispatcher answers one update through."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.adapters.telegram.outbound import TelegramOutbox
from bot.core.outbox import DeliveryFailed
from bot.core.outgoing import Outgoing
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore

log = logging.getLogger(__name__)


class TurnOutbox:
    """Sends a turn's replies at once. A reply Telegram refuses for now (a long flood wait, the
    network down) is handed to the stored outbox, and so is every later reply to that chat in
    the turn, so they arrive late but in order; a reply refused for good (the member blocked
    the bot) ends that chat's replies for this turn."""

    def __init__(
        self, outbox: TelegramOutbox, database: Database, wake_drainer: Callable[[], None]
    ) -> None:
        self.outbox = outbox
        self.database = database
        self.wake_drainer = wake_drainer
        self._deferred: set[str] = set()
        self._dropped: set[str] = set()

    async def send(self, message: Outgoing) -> None:
        key = message.chat.key
        if key in self._dropped:
            return
        if key in self._deferred:
            self._store(message)
            return
        try:
            await self.outbox.send(message)
        except DeliveryFailed as failure:
            if failure.permanent:
                self._dropped.add(key)
                log.info("replies to %s dropped: %s", key, failure.reason)
                return
            log.warning("reply %s to %s deferred: %s", message.id, key, failure.reason)
            self._deferred.add(key)
            self._store(message)

    def _store(self, message: Outgoing) -> None:
        with self.database.session() as session:
            OutboxStore(session).enqueue(message)
        self.wake_drainer()
