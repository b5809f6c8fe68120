"""Which updates this process is done with, and the pruning of the record of handled ones.

Whether an update was handled is recorded in the database in the transaction of what it did
(bot/storage/handled.py), so an update delivered again, after a restart or to another
process, is skipped there. This keeps, in memory, only which updates this process is done
with (handled, skipped, or failed: the core apologized), for whoever waits on one, and prunes
the database's record now and then.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from bot.storage.database import Database
from bot.storage.handled import HandledUpdates
from bot.storage.selections import SelectionRepository

log = logging.getLogger(__name__)

REMEMBERED_UPDATES = 1000
PRUNE_EVERY = 3600.0  # seconds


class UpdateLedger:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._recent: deque[int] = deque(maxlen=REMEMBERED_UPDATES)
        self._known: set[int] = set()
        self._pruned_at: float | None = None

    def done(self, update_id: int) -> bool:
        return update_id in self._known

    def finish(self, update_id: int) -> None:
        if update_id not in self._known:
            if len(self._recent) == self._recent.maxlen:
                self._known.discard(self._recent[0])
            self._recent.append(update_id)
            self._known.add(update_id)
        if self._pruned_at is None or time.monotonic() - self._pruned_at >= PRUNE_EVERY:
            self.prune()

    def prune(self) -> None:
        """Forget the updates handled a week ago and the selections never cast."""
        self._pruned_at = time.monotonic()
        try:
            with self.database.session() as session:
                HandledUpdates(session).prune()
                SelectionRepository(session).prune()
        except Exception:
            log.exception("the record of handled updates could not be pruned; later, then")
