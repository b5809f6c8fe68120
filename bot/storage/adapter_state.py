"""Small values an adapter keeps across restarts, one JSON value per (platform, key)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, delete

from bot.storage.models import AdapterState, utcnow


class AdapterStateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, platform: str, key: str, default: Any = None) -> Any:
        row = self.session.get(AdapterState, (platform, key))
        return default if row is None else row.value

    def set(self, platform: str, key: str, value: Any) -> None:
        row = self.session.get(AdapterState, (platform, key))
        if row is None:
            row = AdapterState(platform=platform, key=key)
        row.value = value
        row.updated_at = utcnow()
        self.session.add(row)

    def delete(self, platform: str, key: str) -> None:
        self.session.exec(
            delete(AdapterState).where(AdapterState.platform == platform, AdapterState.key == key)
        )
