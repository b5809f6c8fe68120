"""Keeps the bot under Telegram's flood limits, and waits out a 429 when it still gets one.

Limits (https://core.telegram.org/bots/faq#broadcasting-to-users): about 30 messages a second
overall, 20 a minute in one group, about one a second in one private chat (short bursts are
tolerated there, so a conversational reply of a few messages is not held back).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Methods that put something in a chat: only these count against the limits (overall and a
# chat's own). getUpdates, answerCallbackQuery, getChatMember… are not messages: were they
# counted, each long poll would take a message's place and hold the next reply back.
_CHAT_METHOD_PREFIXES = ("send", "edit", "stopPoll", "copyMessage", "forwardMessage")
_MAX_TRACKED_CHATS = 10_000


def retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 keeps the exact value as a timedelta; the public property may be a deprecated int.
    value = getattr(error, "_retry_after", None)
    return value.total_seconds() if value is not None else float(error.retry_after)  # type: ignore[arg-type]


class TokenBucket:
    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    @property
    def full(self) -> bool:
        self._refill()
        return self.tokens >= self.capacity

    async def take(self) -> None:
        async with self._lock:
            while True:
                self._refill()
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass(frozen=True, slots=True)
class Limits:
    overall_per_second: float = 30
    group_per_minute: float = 20
    private_per_second: float = 1
    private_burst: float = 20
    max_retries: int = 3  # 429s waited out before giving up on one request
    max_wait: float = 60.0  # a longer retry_after is left to the caller (the outbox)


class TelegramRateLimiter(BaseRateLimiter[int]):
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._overall = TokenBucket(self.limits.overall_per_second, self.limits.overall_per_second)
        self._chats: dict[int | str, TokenBucket] = {}
        self._resume_at = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        self._chats.clear()

    def _chat_bucket(self, chat_id: int | str) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > _MAX_TRACKED_CHATS:
                self._chats = {k: b for k, b in self._chats.items() if not b.full}
            limits = self.limits
            private = isinstance(chat_id, int) and chat_id > 0
            if private:
                bucket = TokenBucket(limits.private_per_second, limits.private_burst)
            else:
                bucket = TokenBucket(limits.group_per_minute / 60, limits.group_per_minute)
            self._chats[chat_id] = bucket
        return bucket

    async def _wait_while_paused(self) -> None:
        while (delay := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self.limits.max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        counted = endpoint.startswith(_CHAT_METHOD_PREFIXES)
        per_chat = counted and chat_id is not None
        attempt = 0
        while True:
            await self._wait_while_paused()
            if counted:
                await self._overall.take()
            if per_chat:
                await self._chat_bucket(chat_id).take()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                if attempt >= retries or wait > self.limits.max_wait:
                    raise
                attempt += 1
                # Telegram's flood control is not only per chat: hold every request back.
                self._resume_at = max(self._resume_at, time.monotonic() + wait)
                log.warning(
                    "Telegram asked to wait %.1f s (%s); waiting, then try %d of %d",
                    wait,
                    endpoint,
                    attempt + 1,
                    retries + 1,
                )
