"""What handlers may use besides the conversation: settings, organization, catalogs, places."""

from __future__ import annotations

from dataclasses import dataclass

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
