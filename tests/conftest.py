"""Fixtures: compiled catalogs, the place index, the application on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import Application, build_application
from bot.config import DEMO_ORG_FILE, Settings
from tests.support.feed_server import FeedServer
from tests.support.harness import Harness
from tests.support.postgres import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
# The place index is built once per machine (it depends only on the package data) and shared
# with the subprocesses the CLI tests start.
CACHE_DIR = Path(os.environ.get("CHAPTERBOT_TEST_CACHE_DIR", ROOT / ".cache" / "chapterbot"))


@pytest.fixture(scope="session")
def locales_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed .po files, compiled to .mo as a deployment would have them."""
    target = tmp_path_factory.mktemp("locales")
    shutil.copytree(ROOT / "locales", target, dirs_exist_ok=True)
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "compile", "-d", str(target)], check=True, capture_output=True)
    return target


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    from bot.geo.gazetteer import Gazetteer

    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    Gazetteer.open(CACHE_DIR).close()  # build once, before anything is timed or parallel
    return CACHE_DIR


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


def make_settings(database_url: str, locales_dir: Path, cache_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        org_file=DEMO_ORG_FILE,
        locales_dir=locales_dir,
        cache_dir=cache_dir,
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'chapterbot.sqlite'}"


@pytest.fixture
def app(sqlite_url: str, locales_dir: Path, cache_dir: Path) -> Iterator[Application]:
    application = build_application(make_settings(sqlite_url, locales_dir, cache_dir))
    yield application
    application.close()


@pytest.fixture
def bot(app: Application) -> Harness:
    return Harness(app)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same storage test on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chapterbot.sqlite'}"
        return
    base = request.getfixturevalue("postgres_url")
    yield base
    from sqlalchemy import create_engine, text

    from bot.storage.database import normalize_url

    # Each test starts from an empty schema on the session's throwaway database.
    engine = create_engine(normalize_url(base))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def app_on_any_database(
    any_database_url: str, locales_dir: Path, cache_dir: Path
) -> Iterator[Application]:
    application = build_application(
        make_settings(any_database_url, locales_dir, cache_dir), upgrade_database=True
    )
    yield application
    application.close()


@pytest.fixture
def chapters_bot(
    sqlite_url: str, locales_dir: Path, cache_dir: Path, tmp_path: Path
) -> Iterator[Harness]:
    """An organization whose chapters have organizers (test:olga for Brussels, test:gert for
    Ghent, none for Lille) and an admin (test:admin)."""
    from dataclasses import replace

    from tests.support.organizations import write_chapters_org

    settings = replace(
        make_settings(sqlite_url, locales_dir, cache_dir), org_file=write_chapters_org(tmp_path)
    )
    application = build_application(settings)
    yield Harness(application)
    application.close()


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The local web server of the feed tests (tests/support/feed_server.py)."""
    server = FeedServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def feeds_bot(
    sqlite_url: str, locales_dir: Path, cache_dir: Path, tmp_path: Path
) -> Iterator[Harness]:
    """The organization with organizers (olga for Brussels), allowed to fetch the feed server
    on 127.0.0.1 as a self-hosted site would be (CHAPTERBOT_FEEDS_ALLOW_PRIVATE=1)."""
    from dataclasses import replace

    from tests.support.organizations import write_chapters_org

    settings = replace(
        make_settings(sqlite_url, locales_dir, cache_dir),
        org_file=write_chapters_org(tmp_path),
        feeds_allow_private=True,
    )
    application = build_application(settings)
    yield Harness(application)
    application.close()
