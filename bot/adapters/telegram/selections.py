"""The options each person has selected in a multiple choice poll with buttons, not cast yet.

In the database (bot/storage/selections.py), so that a press handled by another process, or
after a restart, adds to the same selection. A press changes it in one transaction with the
record of its update: delivered again, it changes nothing. Presses in one chat take turns with
that chat's turns (the same advisory lock on PostgreSQL).
"""

from __future__ import annotations

from bot.adapters.telegram.state import PLATFORM
from bot.core.dispatcher import chat_lock
from bot.core.events import ChatRef
from bot.storage.database import Database
from bot.storage.handled import HandledUpdates
from bot.storage.selections import SelectionRepository


class Selections:
    def __init__(self, database: Database) -> None:
        self.database = database

    def toggle(
        self, ref: str, chat_id: int, user_id: int, index: int, update_id: int
    ) -> list[int] | None:
        """Add option `index` to the presser's selection or take it out; the selection after
        (None if this update was handled before: nothing changes)."""
        with self.database.session() as session:
            self.database.lock_for_transaction(
                session, chat_lock(ChatRef(PLATFORM, str(chat_id)).key)
            )
            if not HandledUpdates(session).claim(PLATFORM, str(update_id)):
                return None
            return SelectionRepository(session).toggle(
                PLATFORM, ref, str(chat_id), str(user_id), index
            )

    def selected(self, ref: str, chat_id: int, user_id: int) -> list[int]:
        with self.database.session() as session:
            return SelectionRepository(session).selected(PLATFORM, ref, str(chat_id), str(user_id))

    def cast(self, ref: str, chat_id: int, user_id: int, update_id: int) -> None:
        """The vote of update `update_id` was handled: its selection is forgotten. (A vote that
        failed left no record, and the selection stays to be cast again.)"""
        with self.database.session() as session:
            if HandledUpdates(session).handled(PLATFORM, str(update_id)):
                SelectionRepository(session).forget(PLATFORM, ref, str(chat_id), str(user_id))
