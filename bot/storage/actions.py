"""Questions sent outside a conversation flow, and their answers."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session, col, select

from bot.storage.models import PendingAction, utcnow


class ActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        member_id: int,
        chat_key: str,
        kind: str,
        payload: dict[str, Any],
        options: list[tuple[str, str]],
    ) -> PendingAction:
        action = PendingAction(
            id="a" + secrets.token_urlsafe(6),
            member_id=member_id,
            chat_key=chat_key,
            kind=kind,
            payload=payload,
            options=[list(o) for o in options],
        )
        self.session.add(action)
        return action

    def open(self, action_id: str, member_id: int) -> PendingAction | None:
        action = self.session.get(PendingAction, action_id)
        if action is None or action.member_id != member_id or action.answered_at is not None:
            return None
        return action

    def latest_open(self, member_id: int, chat_key: str) -> PendingAction | None:
        return self.session.exec(
            select(PendingAction)
            .where(
                PendingAction.member_id == member_id,
                PendingAction.chat_key == chat_key,
                col(PendingAction.answered_at).is_(None),
            )
            .order_by(col(PendingAction.created_at).desc())
        ).first()

    def answered(self, action: PendingAction) -> None:
        action.answered_at = utcnow()
        self.session.add(action)

    def close_all(self, kind: str, payload_key: str, value: Any) -> None:
        """Close every open question of a kind about one thing (a request decided elsewhere)."""
        rows = self.session.exec(
            select(PendingAction).where(
                PendingAction.kind == kind, col(PendingAction.answered_at).is_(None)
            )
        )
        for action in rows:
            if action.payload.get(payload_key) == value:
                self.answered(action)
