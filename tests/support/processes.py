"""Several bot processes in one test: each an Application with its own engine on one
PostgreSQL database, its Telegram adapter and its Leadership, as `chapterbot run` builds
them. Only the leader drains the outbox and polls."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from bot.adapters.telegram import TelegramAdapter, create_adapter
from bot.adapters.telegram.ratelimit import Limits
from bot.app import Application, build_application
from bot.config import Settings
from bot.core.events import ChatRef
from bot.core.outgoing import Outgoing, Priority, Text
from bot.scheduling.leadership import Leadership
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore
from tests.support.fake_telegram import FakeTelegram


@dataclasses.dataclass
class Process:
    app: Application
    adapter: TelegramAdapter
    leadership: Leadership


@contextlib.asynccontextmanager
async def telegram_processes(
    settings: Settings,
    fake: FakeTelegram,
    count: int,
    retry: float = 0.2,
    limits: Limits | None = None,
) -> AsyncIterator[list[Process]]:
    settings = dataclasses.replace(settings, telegram_token=fake.token, telegram_api_url=fake.url)
    processes: list[Process] = []
    try:
        for _ in range(count):
            app = build_application(settings)
            adapter = create_adapter(app)
            adapter.network_backoff = 0.01
            if limits is not None:
                adapter.limits = limits
            await adapter.start(lead=False)
            leadership = Leadership(app.services.database, [adapter], retry=retry)
            processes.append(Process(app, adapter, leadership))
            await leadership.start()
        yield processes
    finally:
        for process in reversed(processes):
            await process.leadership.stop()
            await process.adapter.stop()
            process.app.close()


def queue_broadcast(database: Database, chat_ids: list[int], text: str) -> None:
    """One message to each of these Telegram chats, queued in one statement as a firing
    queues a fan-out."""
    with database.session() as session:
        outbox = OutboxStore(session)
        with outbox.held():
            for chat_id in chat_ids:
                ref = ChatRef("telegram", str(chat_id))
                outbox.enqueue(Outgoing(ref, Text(text), priority=Priority.BROADCAST))
