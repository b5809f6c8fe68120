"""A throwaway database on a real PostgreSQL server, or a clear reason why there is none."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Application

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    return os.environ.get("CHAPTERBOT_TEST_POSTGRES_URL") or DEFAULT_URL


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Create a fresh database for this test session and drop it afterwards."""
    base = server_url()
    try:
        admin = psycopg.connect(_libpq(base), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"no PostgreSQL server answers at {make_url(base).render_as_string()}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (under CI the PostgreSQL tests must run)")
        pytest.skip(reason)
    name = f"chapterbot_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def two_processes(settings: Settings) -> Iterator[tuple[Application, Application]]:
    """Two applications, each with its own engine, on the PostgreSQL database of `settings`
    (as two `chapterbot run` would be); its schema emptied afterwards."""
    from bot.app import build_application
    from bot.storage.database import Database

    first = build_application(settings, upgrade_database=True)
    second = build_application(settings, upgrade_database=False)
    try:
        yield first, second
    finally:
        second.close()
        first.close()
        database = Database(settings.database_url)
        with database.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        database.dispose()
