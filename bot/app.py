"""Builds the application once: settings → storage, languages, places, organization, routers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings, load_organization
from bot.core.dispatcher import Dispatcher
from bot.core.services import Services
from bot.geo.gazetteer import Gazetteer
from bot.handlers import all_routers
from bot.i18n.catalog import Catalogs
from bot.storage import migrate
from bot.storage.chapters import ChapterRepository
from bot.storage.database import STARTUP_LOCK, Database

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Application:
    services: Services
    dispatcher: Dispatcher

    def close(self) -> None:
        self.services.gazetteer.close()
        self.services.database.dispose()


def build_application(settings: Settings, *, upgrade_database: bool | None = None) -> Application:
    """upgrade_database: None upgrades SQLite files automatically and leaves PostgreSQL to
    `chapterbot db upgrade` (several processes must not migrate at once)."""
    organization = load_organization(settings.org_file)
    database = Database(settings.database_url)
    if upgrade_database:
        migrate.upgrade(database)
    elif upgrade_database is None and database.is_sqlite:
        migrate.upgrade_if_behind(database)
    with database.session() as session:
        # Processes starting together take turns: each sees the chapters the other wrote.
        database.lock_for_transaction(session, STARTUP_LOCK)
        ChapterRepository(session).sync(organization.chapters)
    services = Services(
        settings=settings,
        organization=organization,
        catalogs=Catalogs(settings.locales_dir),
        database=database,
        gazetteer=Gazetteer.open(settings.cache_dir),
    )
    return Application(services, Dispatcher(services, all_routers()))
