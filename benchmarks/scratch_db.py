"""A scratch PostgreSQL database for a benchmark, on the server the tests use
(CHAPTERBOT_TEST_POSTGRES_URL, else the local one on 127.0.0.1:5432)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def libpq(url: str) -> str:
    """The same URL as psycopg itself reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database(name: str, keep: bool = False) -> Iterator[str | None]:
    """The URL of database `name`, made afresh and dropped afterwards; None (said on stderr)
    when no server answers. `keep`: one that exists already is used as it is, and stays."""
    base = os.environ.get("CHAPTERBOT_TEST_POSTGRES_URL") or SERVER
    admin = libpq(base)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not (keep and found):
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"# PostgreSQL skipped: {exc}", file=sys.stderr)
        yield None
        return
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
