"""Alembic migrations, configured in code so they work from an installed package too.

Alembic is imported only to migrate: it is about 11 MB of a process's memory, and a
database already at the head is told from the migration files alone (head_revisions)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.storage.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# `revision = "0011"`, `down_revision: str | None = "0010"`, `down_revision = ("a", "b")`
_DECLARED = re.compile(r"^(down_)?revision\b[^=]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def alembic_config(database: Database) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' would be read as interpolation by configparser (passwords may contain it).
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database), revision)


def head_revisions() -> set[str]:
    """The heads, from the migration files: every revision no other one builds on."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for down, value in _DECLARED.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).update(_QUOTED.findall(value))
    return revisions - parents


def upgrade_if_behind(database: Database) -> None:
    """Upgrade unless the database is at the head already (then Alembic is not loaded)."""
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            current = set(rows.scalars())
    except DBAPIError:  # no version table yet: a new database
        current = set()
    if current != head_revisions():
        upgrade(database)


def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def downgrade(database: Database, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database), revision)
