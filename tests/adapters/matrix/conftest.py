"""Fixtures for the Matrix adapter: a real Synapse homeserver, bots and people on it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.matrix import MatrixAdapter
from bot.app import Application, build_application
from bot.core.events import Incoming
from tests.adapters.matrix.human import Human
from tests.conftest import make_settings
from tests.support.synapse import RegisteredUser, Synapse, SynapseUnavailable

READY_TIMEOUT = 30.0


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (under CI the Matrix tests must run)")
    pytest.skip(reason)


def start_synapse(directory: Path, **options: Any) -> Synapse:
    try:
        server = Synapse(directory, **options)
        server.start()
    except (SynapseUnavailable, ImportError, OSError) as exc:
        unavailable(f"Synapse could not be started: {exc}")
        raise  # unreachable: skip and fail raise
    return server


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """The shared homeserver: SQLite in memory, rate limits raised."""
    server = start_synapse(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()


class Bot:
    """A running adapter and what the core received through it."""

    def __init__(self, app: Application, adapter: MatrixAdapter, account: RegisteredUser):
        self.app = app
        self.adapter = adapter
        self.account = account
        self.user_id = account.user_id
        self.received: list[Incoming] = []
        original = app.dispatcher.handle

        async def recording(incoming: Incoming, outbox: Any) -> None:
            self.received.append(incoming)
            await original(incoming, outbox)

        app.dispatcher.handle = recording  # type: ignore[method-assign]

    def gettext(self, language: str, message: str) -> str:
        return self.app.services.catalogs.translator(language).gettext(message)

    async def wait_for(self, kind: type, timeout: float = 20.0) -> Any:
        """The latest event of this kind the core received, once there is one."""
        return (await self.wait_for_count(kind, 1, timeout))[-1]

    async def wait_for_count(self, kind: type, count: int, timeout: float = 20.0) -> list[Any]:
        async def seen() -> list[Any]:
            while len(found := [i for i in self.received if isinstance(i, kind)]) < count:
                await asyncio.sleep(0.05)
            return found

        return await asyncio.wait_for(seen(), timeout)


StartBot = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def start_bot(sqlite_url: str, locales_dir: Path, cache_dir: Path) -> AsyncIterator[StartBot]:
    """start_bot(server, account=None, database_url=None, org_file=None, **adapter_options)
    → a ready Bot. Each call is a fresh process as far as the bot knows: its own Application."""
    bots: list[Bot] = []

    async def start(
        server: Synapse,
        account: RegisteredUser | None = None,
        database_url: str | None = None,
        org_file: Path | None = None,
        **options: Any,
    ) -> Bot:
        account = account or server.register()
        settings = replace(
            make_settings(database_url or sqlite_url, locales_dir, cache_dir),
            matrix_homeserver=server.url,
            matrix_user=account.user_id,
            matrix_password=account.password,
        )
        if org_file is not None:
            settings = replace(settings, org_file=org_file)
        app = build_application(settings)
        adapter = MatrixAdapter(app, **options)
        bot = Bot(app, adapter, account)
        bots.append(bot)
        await adapter.start()
        await asyncio.wait_for(adapter.ready.wait(), READY_TIMEOUT)
        return bot

    yield start
    for bot in bots:
        await bot.adapter.stop()
        bot.app.close()


StartHuman = Callable[[Synapse], Awaitable[Human]]


@pytest.fixture
async def start_human() -> AsyncIterator[StartHuman]:
    humans: list[Human] = []

    async def start(server: Synapse, account: RegisteredUser | None = None) -> Human:
        human = Human(server.url, account or server.register())
        humans.append(human)
        await human.start()
        return human

    yield start
    for human in humans:
        await human.stop()
