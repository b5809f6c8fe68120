"""Webhook mode with its secret token, and restarts that neither lose nor repeat updates."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.adapters.telegram import TelegramAdapter, create_adapter
from bot.adapters.telegram.state import TelegramState
from bot.app import Application
from tests.adapters.telegram.conftest import Talk, texts
from tests.support.fake_telegram import SECRET_HEADER, FakeTelegram


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def webhook_env(monkeypatch: pytest.MonkeyPatch) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    monkeypatch.setenv("CHAPTERBOT_TELEGRAM_WEBHOOK_URL", url)
    monkeypatch.setenv("CHAPTERBOT_TELEGRAM_LISTEN", f"127.0.0.1:{port}")
    return url


@pytest.fixture
async def webhook_adapter(
    telegram_app: Application, webhook_env: str
) -> AsyncIterator[TelegramAdapter]:
    adapter = create_adapter(telegram_app)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


async def post(url: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=json.dumps(body), headers=headers) as response,
    ):
        return response.status


async def test_webhook_refuses_calls_without_the_secret(
    fake: FakeTelegram,
    webhook_adapter: TelegramAdapter,
    webhook_env: str,
    telegram_app: Application,
) -> None:
    stored = TelegramState(telegram_app.services.database).webhook_secret()
    assert fake.webhook_url == webhook_env
    assert fake.webhook_secret == stored and len(stored) >= 32

    ann = fake.person("Ann", language_code="en")
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": ann.id, "type": "private", "first_name": "Ann"},
            "from": ann.json(),
            "text": "/forget",
        },
    }
    assert await post(webhook_env, forged, "not-the-secret") == 403
    assert await post(webhook_env, forged, None) == 403
    assert not webhook_adapter.has_handled(999)

    # Telegram itself posts with the secret: the member gets an answer.
    answer = await Talk(fake, webhook_adapter, ann, None).say("/help")
    assert "What I can do" in texts(answer)
    assert fake.calls_of("getUpdates") == [], "polled while a webhook is set"


async def test_webhook_keeps_its_secret_across_restarts(
    fake: FakeTelegram, telegram_app: Application, webhook_env: str
) -> None:
    secrets = []
    for _ in range(2):
        adapter = create_adapter(telegram_app)
        await adapter.start()
        secrets.append(fake.webhook_secret)
        await adapter.stop()
    assert secrets[0] and secrets[0] == secrets[1]


async def test_a_configured_webhook_secret_is_used(
    fake: FakeTelegram,
    telegram_app: Application,
    webhook_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAPTERBOT_TELEGRAM_WEBHOOK_SECRET", "set-by-the-operator_1")
    adapter = create_adapter(telegram_app)
    await adapter.start()
    try:
        assert fake.webhook_secret == "set-by-the-operator_1"
        ann = fake.person("Ann")
        assert await Talk(fake, adapter, ann, None).say("/help")
    finally:
        await adapter.stop()


async def test_a_restart_neither_repeats_nor_loses_updates(
    fake: FakeTelegram, telegram_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.core.dispatcher")
    ann = fake.person("Ann", language_code="en")
    first = create_adapter(telegram_app)
    await first.start()
    chat = Talk(fake, first, ann, None)
    assert "What I can do" in texts(await chat.say("/help"))

    # The bot handles an update, then dies before Telegram hears it was handled.
    fake.lose_confirmations = True
    assert "nothing to stop" in texts(await chat.say("/cancel"))
    await first.stop()
    fake.lose_confirmations = False
    unconfirmed = list(fake.pending_updates)
    assert unconfirmed, "the update should wait to be delivered again"

    # Meanwhile Ann writes again.
    while_down = fake.say(ann, "/help")

    second = create_adapter(telegram_app)
    await second.start()
    try:
        await Talk(fake, second, ann, None).handled(while_down)
        said = [m["text"] for m in fake.bot_messages(chat.chat)]
        assert sum("nothing to stop" in text for text in said) == 1, said
        assert sum("What I can do" in text for text in said) == 2, said
        assert f"telegram update {unconfirmed[0]} was handled already" in caplog.text
        await fake.wait_for(lambda: not fake.pending_updates, what="all updates confirmed")
    finally:
        await second.stop()
