"""Two processes on one PostgreSQL database, one after the other on the same bot: what one
process began with an update, the other one continues; an update handled by one and delivered
again to the other is not handled twice."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter, create_adapter
from bot.app import Application
from tests.adapters.telegram.conftest import Talk, texts
from tests.adapters.telegram.test_polls import press
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import two_processes as processes_on_one_database


@pytest.fixture
def two_processes(
    fake: FakeTelegram, postgres_url: str, locales_dir: Path, cache_dir: Path
) -> Iterator[tuple[Application, Application]]:
    settings = dataclasses.replace(
        make_settings(postgres_url, locales_dir, cache_dir),
        telegram_token=fake.token,
        telegram_api_url=fake.url,
    )
    with processes_on_one_database(settings) as apps:
        yield apps


@pytest.fixture
async def running() -> AsyncIterator[list[TelegramAdapter]]:
    """Adapters started by the test, stopped at its end."""
    adapters: list[TelegramAdapter] = []
    yield adapters
    for adapter in adapters:
        await adapter.stop()


async def start(app: Application, running: list[TelegramAdapter]) -> TelegramAdapter:
    adapter = create_adapter(app)
    await adapter.start()
    running.append(adapter)
    return adapter


async def test_a_selection_begun_in_one_process_is_cast_in_another(
    fake: FakeTelegram,
    two_processes: tuple[Application, Application],
    running: list[TelegramAdapter],
) -> None:
    ann = fake.person("Annelore", language_code="en", username="annelore")
    bo = fake.person("Bohumil", language_code="en", username="bohumil")
    chat = fake.group("Poll club", {ann: "creator", bo: "member"})
    first = await start(two_processes[0], running)
    await Talk(fake, first, ann, chat).handled(fake.add_bot(ann, chat))
    sent = await Talk(fake, first, ann, chat).say(
        "/poll Which days? | Mon | Tue | Wed | anonymous | multiple"
    )
    [poll] = [m for m in sent if m.get("reply_markup")]
    assert await press(fake, Talk(fake, first, bo, chat), poll, "Mon") == "✅ Mon"

    # The first process handles Bo's next press, then stops before Telegram hears of it.
    fake.lose_confirmations = True
    assert await press(fake, Talk(fake, first, bo, chat), poll, "Tue") == "✅ Mon, Tue"
    await first.stop()
    fake.lose_confirmations = False
    [unconfirmed] = fake.pending_updates

    second = await start(two_processes[1], running)
    bo_then = Talk(fake, second, bo, chat)
    await bo_then.handled(unconfirmed)  # delivered again: Tue is not taken out again
    assert await press(fake, bo_then, poll, "Wed") == "✅ Mon, Tue, Wed"
    assert await press(fake, bo_then, poll, "Done") == "Your vote is counted."
    results = texts(await Talk(fake, second, ann, chat).say("/results"))
    assert "1 person voted" in results
    assert results.count("33%") == 3, results
