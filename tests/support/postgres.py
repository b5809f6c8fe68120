"""A throwaway database on a real PostgreSQL server, or a clear reason why there is none."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.engine import make_url

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
