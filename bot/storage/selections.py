"""Poll options a person has selected and not cast yet, kept where every process sees them.

Keyed by platform account (not by member: a person may select before the bot knows them), so
/mydata shows and /forget erases them through the member's identities.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import tuple_
from sqlmodel import Session, col, delete, select

from bot.storage.models import PollSelection, utcnow

# A selection not cast for so long is abandoned.
KEPT = timedelta(days=30)


class SelectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, platform: str, poll: str, chat_id: str, user_id: str) -> PollSelection | None:
        return self.session.get(PollSelection, (platform, poll, chat_id, user_id))

    def selected(self, platform: str, poll: str, chat_id: str, user_id: str) -> list[int]:
        row = self._row(platform, poll, chat_id, user_id)
        return sorted(row.options) if row else []

    def toggle(self, platform: str, poll: str, chat_id: str, user_id: str, index: int) -> list[int]:
        """Add option `index` to the selection, or take it out again; the selection after."""
        row = self._row(platform, poll, chat_id, user_id)
        selected = list(row.options) if row else []
        selected = [i for i in selected if i != index] if index in selected else [*selected, index]
        if not selected:
            if row is not None:
                self.session.delete(row)
            return []
        if row is None:
            row = PollSelection(platform=platform, poll=poll, chat_id=chat_id, user_id=user_id)
        row.options = selected
        row.updated_at = utcnow()
        self.session.add(row)
        return sorted(selected)

    def forget(self, platform: str, poll: str, chat_id: str, user_id: str) -> None:
        row = self._row(platform, poll, chat_id, user_id)
        if row is not None:
            self.session.delete(row)

    def of_accounts(self, accounts: Iterable[tuple[str, str]]) -> list[PollSelection]:
        wanted = list(accounts)
        if not wanted:
            return []
        return list(
            self.session.exec(
                select(PollSelection).where(
                    tuple_(col(PollSelection.platform), col(PollSelection.user_id)).in_(wanted)
                )
            )
        )

    def erase_accounts(self, accounts: Iterable[tuple[str, str]]) -> None:
        wanted = list(accounts)
        if wanted:
            self.session.exec(
                delete(PollSelection).where(
                    tuple_(col(PollSelection.platform), col(PollSelection.user_id)).in_(wanted)
                )
            )

    def prune(self, now: datetime | None = None) -> None:
        before = (now or utcnow()) - KEPT
        self.session.exec(delete(PollSelection).where(col(PollSelection.updated_at) < before))
