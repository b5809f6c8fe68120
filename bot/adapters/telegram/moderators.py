"""Who moderates a group: its administrators, asked of Telegram and remembered briefly."""

from __future__ import annotations

import logging
import time

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

log = logging.getLogger(__name__)

MODERATOR_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}


class Moderators:
    def __init__(self, bot: Bot, ttl: float = 300.0, max_entries: int = 10_000) -> None:
        self.bot = bot
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_moderator(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as error:
            # Not knowing is not a reason to refuse the command's ordinary members' part.
            log.warning("could not check whether %s moderates %s: %s", user_id, chat_id, error)
            return False
        answer = member.status in MODERATOR_STATUSES
        if len(self._cache) >= self.max_entries:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[key] = (now + self.ttl, answer)
        return answer
