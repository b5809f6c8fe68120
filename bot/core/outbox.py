"""Where the core puts what it says. Each adapter provides one; tests record into one."""

from __future__ import annotations

from typing import Protocol

from bot.core.outgoing import Outgoing


class DeliveryFailed(Exception):
    """An adapter could not deliver a message.

    retry_after: seconds to wait before trying again (a rate limit), if the platform said.
    permanent: retrying will never help (the member blocked the bot, the chat is gone).
    """

    def __init__(self, reason: str, retry_after: float | None = None, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class Outbox(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver one message; return once the platform has accepted it, else raise
        DeliveryFailed."""
