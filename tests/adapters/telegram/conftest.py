"""The bot on Telegram, against the fake Bot API over real HTTP; tests play the people."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter, create_adapter
from bot.app import Application, build_application
from tests.conftest import make_settings
from tests.support.fake_telegram import Chat, FakeTelegram, Person

Json = dict[str, Any]


@pytest.fixture(autouse=True)
def no_telegram_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the webhook variables themselves; the developer's own never leak in."""
    for name in (
        "CHAPTERBOT_TELEGRAM_WEBHOOK_URL",
        "CHAPTERBOT_TELEGRAM_LISTEN",
        "CHAPTERBOT_TELEGRAM_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    server.check()


@pytest.fixture
def telegram_app(
    fake: FakeTelegram, tmp_path: Path, locales_dir: Path, cache_dir: Path
) -> Iterator[Application]:
    settings = dataclasses.replace(
        make_settings(f"sqlite:///{tmp_path / 'bot.sqlite'}", locales_dir, cache_dir),
        telegram_token=fake.token,
        telegram_api_url=fake.url,
    )
    application = build_application(settings)
    yield application
    application.close()


@pytest.fixture
async def adapter(telegram_app: Application) -> AsyncIterator[TelegramAdapter]:
    bot = create_adapter(telegram_app)
    bot.network_backoff = 0.01
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


class Talk:
    """One person talking to the bot in one chat, as in the Telegram app."""

    def __init__(
        self, fake: FakeTelegram, adapter: TelegramAdapter, person: Person, chat: Chat | None
    ) -> None:
        self.fake, self.adapter, self.person = fake, adapter, person
        self.chat = chat or fake.private_chat(person)

    @property
    def messages(self) -> list[Json]:
        return self.fake.bot_messages(self.chat)

    async def handled(self, update_id: int | None) -> None:
        if update_id is not None:
            await self.fake.wait_for(
                lambda: self.adapter.has_handled(update_id), what=f"update {update_id}"
            )

    async def _after(self, act: Any) -> list[Json]:
        before = len(self.chat.bot_message_ids)
        await self.handled(act())
        return self.messages[before:]

    async def say(self, text: str) -> list[Json]:
        """Send a message; returns what the bot answered in this chat."""
        return await self._after(lambda: self.fake.say(self.person, text, self.chat))

    async def press(self, button: str | int, message: Json | None = None) -> list[Json]:
        """Press a button under `message` (by default the last message with buttons)."""
        message = message or self.last_with_buttons()
        return await self._after(lambda: self.fake.press(self.person, message, button))

    async def share_location(self, latitude: float, longitude: float) -> list[Json]:
        return await self._after(lambda: self.fake.share_location(self.person, latitude, longitude))

    def last_with_buttons(self) -> Json:
        with_buttons = [m for m in self.messages if m.get("reply_markup")]
        assert with_buttons, "the bot shows no buttons in this chat"
        return with_buttons[-1]


def buttons(message: Json) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def texts(messages: list[Json]) -> str:
    return "\n\n".join(m.get("text", "") for m in messages)


@pytest.fixture
def talk(fake: FakeTelegram, adapter: TelegramAdapter) -> Any:
    def start(person: Person, chat: Chat | None = None) -> Talk:
        return Talk(fake, adapter, person, chat)

    return start
