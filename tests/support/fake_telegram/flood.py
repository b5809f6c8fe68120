"""Telegram's flood control, enforced: a bot past the limits gets 429 with `retry_after`.

Limits (https://core.telegram.org/bots/faq#broadcasting-to-users): about 30 messages a second
per bot, about one a second in one private chat (a short burst is tolerated), 20 a minute in
one group. Each is a token bucket; `slack` tokens absorb the jitter of requests crossing the
network (a bot's limiter that keeps exactly to the pace never meets a 429 here), no more.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# What puts something in a chat: these count, other methods (getMe, answerCallbackQuery…) not.
SENDING = ("send", "edit", "stopPoll", "copyMessage", "forwardMessage")


@dataclass(slots=True)
class Bucket:
    rate: float  # tokens a second
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class FloodControl:
    overall_per_second: float = 30
    private_per_second: float = 1
    private_burst: float = 20
    group_per_minute: float = 20
    slack: float = 2
    refused: Counter[str] = field(default_factory=Counter)  # "overall", "private", "group"
    accepted: int = 0
    _overall: Bucket | None = None
    _chats: dict[int, Bucket] = field(default_factory=dict)

    def _bucket(self, rate: float, capacity: float, now: float) -> Bucket:
        return Bucket(rate, capacity + self.slack, capacity + self.slack, now)

    def check(self, method: str, params: dict[str, Any]) -> int | None:
        """None when the call may go through, else the retry_after (whole seconds)."""
        if not method.startswith(SENDING):
            return None
        now = time.monotonic()
        if self._overall is None:
            self._overall = self._bucket(self.overall_per_second, self.overall_per_second, now)
        chat_id = params.get("chat_id")
        chat: Bucket | None = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
            if chat is None:
                if chat_id > 0:
                    chat = self._bucket(self.private_per_second, self.private_burst, now)
                else:
                    chat = self._bucket(self.group_per_minute / 60, self.group_per_minute, now)
                self._chats[chat_id] = chat
        wait = self._overall.take(now)
        if wait:
            self.refused["overall"] += 1
            return max(1, math.ceil(wait))
        if chat is not None and (wait := chat.take(now)):
            self._overall.tokens += 1  # refused: it did not count against the bot
            self.refused["private" if chat_id > 0 else "group"] += 1  # type: ignore[operator]
            return max(1, math.ceil(wait))
        self.accepted += 1
        return None

    @property
    def refusals(self) -> int:
        return sum(self.refused.values())
