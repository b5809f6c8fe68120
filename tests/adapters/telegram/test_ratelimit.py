"""Only what puts a message in a chat counts against Telegram's limits: a long poll, a button's
answer or a question about a chat member never waits for a message's place."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.adapters.telegram.ratelimit import Limits, TelegramRateLimiter


async def test_calls_that_send_nothing_do_not_wait_for_the_message_limit() -> None:
    # So low a limit that any message would wait for hours.
    limiter = TelegramRateLimiter(Limits(overall_per_second=1e-4, group_per_minute=1e-4))
    made: list[str] = []

    async def call(endpoint: str) -> Any:
        made.append(endpoint)
        return True

    async def through(endpoint: str, data: dict[str, Any]) -> Any:
        return await limiter.process_request(call, (endpoint,), {}, endpoint, data, None)

    calls = [
        through("getUpdates", {"timeout": 30}),
        through("answerCallbackQuery", {"callback_query_id": "1"}),
        through("getChatMember", {"chat_id": -100, "user_id": 7}),
    ]
    # (A bound so that a regression fails instead of hanging the suite.)
    await asyncio.wait_for(asyncio.gather(*calls), timeout=30)
    assert made == ["getUpdates", "answerCallbackQuery", "getChatMember"]

    sending = asyncio.ensure_future(through("sendMessage", {"chat_id": -100, "text": "hi"}))
    await asyncio.sleep(0)
    assert not sending.done() and "sendMessage" not in made  # waiting for its place
    sending.cancel()
