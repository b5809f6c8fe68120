"""Telegram's flood limits hold however many processes run: the leader alone drains the
outbox, through one rate limiter. Against the fake that answers 429 past the limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.app import build_application
from bot.core.events import ChatRef
from bot.core.outgoing import Outgoing, Text
from bot.storage.models import Delivery
from bot.storage.outbox import OutboxStore
from tests.conftest import make_settings
from tests.support.fake_telegram import Chat, FakeTelegram
from tests.support.fake_telegram.flood import FloodControl
from tests.support.postgres import throwaway_database
from tests.support.processes import telegram_processes

RECIPIENTS = 150
ONE_CHAT = 23  # past the private burst of 20: paced at one a second
IN_GROUP = 21  # past 20 a minute: the last one waits three seconds


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database() as url:
        # Migrated once, as `chapterbot db upgrade` does before the processes start.
        from bot.storage import migrate
        from bot.storage.database import Database

        database = Database(url)
        migrate.upgrade(database)
        database.dispose()
        yield url


def sent(url: str, locales_dir: Path, cache_dir: Path) -> int:
    app = build_application(make_settings(url, locales_dir, cache_dir))
    try:
        with app.services.database.session() as session:
            return session.exec(
                select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
            ).one()
    finally:
        app.close()


@pytest.mark.parametrize("count", [1, 3])
async def test_the_outbox_drains_within_telegrams_limits(
    count: int, database_url: str, locales_dir: Path, cache_dir: Path
) -> None:
    async with FakeTelegram() as fake:
        fake.flood = flood = FloodControl()
        people = [fake.private_chat(fake.person(f"Member {n}")) for n in range(RECIPIENTS)]
        group = fake.group("Chapter", {})
        group.bot_status = "member"
        settings = make_settings(database_url, locales_dir, cache_dir)
        async with telegram_processes(settings, fake, count) as processes:
            expected: dict[Chat, int] = {chat: 1 for chat in people}
            expected[people[0]] = ONE_CHAT
            expected[group] = IN_GROUP
            with processes[0].app.services.database.session() as session:
                outbox = OutboxStore(session)
                for chat, times in expected.items():
                    for n in range(times):
                        ref = ChatRef("telegram", str(chat.id))
                        outbox.enqueue(Outgoing(ref, Text(f"News {n + 1}")))
            total = sum(expected.values())
            await fake.wait_for(
                lambda: sum(len(c.bot_message_ids) for c in expected) >= total,
                timeout=60,
                what=f"{total} messages delivered",
            )
            await fake.wait_for(
                lambda: sent(database_url, locales_dir, cache_dir) == total,
                timeout=10,
                what="every delivery marked sent",
            )
            assert [p.leadership.leading for p in processes].count(True) == 1
        assert flood.refusals == 0, flood.refused
        for chat, times in expected.items():
            texts = [m["text"] for m in fake.bot_messages(chat)]
            assert texts == [f"News {n + 1}" for n in range(times)], chat.id
    fake.check()
