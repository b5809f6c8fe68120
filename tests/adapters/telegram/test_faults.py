"""Faults at scale: 10,000 messages through the stored outbox while one Bot API call in ten
fails (a 429, a 500, a 502, or the connection lost before or after Telegram handled it).

Nothing is lost, and nothing is sent twice except a message whose answer was lost after
Telegram had taken it (the bot cannot know it arrived: it was in flight)."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import func, select

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.config import TelegramConfig
from bot.adapters.telegram.ratelimit import Limits
from bot.app import Application
from bot.core.events import ChatRef
from bot.core.outgoing import Outgoing, Priority, Text
from bot.scheduling.outbox import OutboxStore
from bot.storage.models import Delivery
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_telegram.server import Chaos

MESSAGES = 10_000
PEOPLE = 500
FAULT_RATE = 0.10

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
async def fast_adapter(telegram_app: Application) -> AsyncIterator[TelegramAdapter]:
    """Telegram's pace is not what is tested here: the limits are lifted, retries quick."""
    limits = Limits(overall_per_second=1e6, private_per_second=1e6, private_burst=1e6)
    config = TelegramConfig.load(telegram_app.services.settings)
    bot = TelegramAdapter(telegram_app, config, limits=limits)
    bot.network_backoff = 0.001
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def statuses(app: Application) -> Counter[str]:
    with app.services.database.session() as session:
        rows = session.exec(select(Delivery.status, func.count()).group_by(Delivery.status))
        return Counter({status: count for status, count in rows})


async def test_ten_thousand_sends_with_one_call_in_ten_failing(
    fake: FakeTelegram, telegram_app: Application, fast_adapter: Any
) -> None:
    people = [fake.person(f"P{n}") for n in range(PEOPLE)]
    chats = [fake.private_chat(p) for p in people]
    with telegram_app.services.database.session() as session:
        store = OutboxStore(session)
        for n in range(MESSAGES):
            person = people[n % PEOPLE]
            ref = ChatRef("telegram", str(person.id))
            store.enqueue(Outgoing(ref, Text(f"message {n}"), priority=Priority.NOTICE))
        session.commit()
    fake.chaos = Chaos(frozenset({"sendMessage"}), FAULT_RATE, random.Random(13))
    started = time.monotonic()
    fast_adapter.drainer.wake()
    while statuses(telegram_app)["sent"] < MESSAGES:
        assert time.monotonic() - started < 120, f"not all sent: {statuses(telegram_app)}"
        await asyncio.sleep(0.5)
    elapsed = time.monotonic() - started

    received = Counter(m["text"] for chat in chats for m in fake.bot_messages(chat))
    assert set(received) == {f"message {n}" for n in range(MESSAGES)}, "a message was lost"
    doubled = sum(count - 1 for count in received.values())
    faults = fake.chaos.counts
    assert sum(faults.values()) >= MESSAGES * FAULT_RATE * 0.8, faults  # the faults happened
    assert all(faults[kind] for kind in Chaos.KINDS), faults
    # Only a message whose answer was lost after it arrived can arrive twice.
    assert doubled <= faults["lost after"], (doubled, faults)
    assert statuses(telegram_app) == Counter({"sent": MESSAGES})
    # Each chat got its messages in the order they were written.
    for chat in chats[:20]:
        numbers = [int(m["text"].split()[1]) for m in fake.bot_messages(chat)]
        firsts = list(dict.fromkeys(numbers))
        assert firsts == sorted(firsts)
    print(f"{MESSAGES} messages, faults {dict(faults)}, doubled {doubled}, {elapsed:.1f} s")
