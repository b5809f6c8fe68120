"""What handlers may use besides the conversation: settings, organization, catalogs, places."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.config import Organization, Settings
from bot.geo.gazetteer import Gazetteer
from bot.i18n.catalog import Catalogs
from bot.storage.database import Database


@dataclass(slots=True)
class Services:
    settings: Settings
    organization: Organization
    catalogs: Catalogs
    database: Database
    gazetteer: Gazetteer
    # Called after a turn stored messages in the outbox: each adapter's sender wakes up at
    # once instead of at its next poll.
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)

    def outbox_filled(self) -> None:
        for listener in self.outbox_listeners:
            listener()
